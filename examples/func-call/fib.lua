local funcs = require("funcs")

-- Recursive through funcs.call: every level is a function call of its own.
local function fib(n: integer): integer
    if n < 2 then return n end
    local a = funcs.call("app:fib", n - 1)
    local b = funcs.call("app:fib", n - 2)
    return a + b
end

return { fib = fib }
