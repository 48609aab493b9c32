local funcs = require("funcs")
local io = require("io")
local json = require("json")

local function main(): integer
    local sum, err = funcs.call("app:add", 2, 3)
    io.print("add(2, 3) =", sum)

    local _, div_err = funcs.call("app:divide", 1, 0)
    io.print("divide(1, 0) failed:", div_err:kind(), div_err:message())

    -- Calls run concurrently with async; each future delivers a payload.
    local futures = {}
    for n = 5, 8 do
        futures[#futures + 1] = funcs.async("app:fib", n)
    end
    local results = {}
    for i, future in ipairs(futures) do
        local payload = future:response():receive()
        results[i] = payload:data()
    end
    io.print("fib(5..8) =", json.encode(results))

    -- An executor carries options; a timeout in milliseconds.
    local exec = funcs.new():with_options({ timeout = 1000 })
    io.print("with executor:", exec:call("app:add", 40, 2))

    local _, bad = funcs.call("add", 1, 2)
    io.print("bare name:", bad:kind())
    return 0
end

return { main = main }
