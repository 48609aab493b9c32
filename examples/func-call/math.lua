local function add(a: number, b: number): number
    return a + b
end

local function divide(a: number, b: number): (number?, any)
    if b == 0 then
        return nil, errors.new({ message = "division by zero", kind = errors.INVALID, retryable = false })
    end
    return a / b
end

return { add = add, divide = divide }
