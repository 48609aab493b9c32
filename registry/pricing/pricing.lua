type Line = { sku: string, qty: integer, price: number }

local function line_total(line: Line): number
    if line.qty <= 0 then
        return nil, errors.new({ message = "quantity must be positive: " .. line.sku,
                                 kind = errors.INVALID, retryable = false })
    end
    return line.qty * line.price
end

local function discount(subtotal: number, code: string?): number
    local money = require("money")
    if code == "WELCOME10" then
        return money.round(subtotal * 0.10)
    end
    return 0
end

return { line_total = line_total, discount = discount }
