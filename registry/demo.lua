local funcs = require("funcs")
local io = require("io")
local uuid = require("uuid")
local logger = require("logger")

local order = {
    lines = {
        { sku = "book", qty = 2, price = 12.5 },
        { sku = "pen", qty = 10, price = 1.2 },
        { sku = "lamp", qty = 1, price = 39.9 },
    },
    code = "WELCOME10",
}

local function main(): integer
    local id = uuid.v7()
    logger:info("pricing order", { order = id, lines = #order.lines })

    -- Price every line concurrently.
    local futures = {}
    for i, line in ipairs(order.lines) do
        futures[i] = funcs.async("app.pricing:line_total", line)
    end
    local subtotal = 0
    io.print("Invoice " .. id)
    for i, future in ipairs(futures) do
        local payload = future:response():receive()
        local amount = payload:data()
        local line = order.lines[i]
        io.print(string.format("  %-6s x%-3d %8.2f", line.sku, line.qty, amount))
        subtotal = subtotal + amount
    end

    local discount, err = funcs.call("app.pricing:discount", subtotal, order.code)
    if err then
        io.print("discount failed: " .. tostring(err))
        return 1
    end
    io.print(string.format("  %-11s %8.2f", "subtotal", subtotal))
    io.print(string.format("  %-11s %8.2f", "discount", -discount))
    io.print(string.format("  %-11s %8.2f", "total", subtotal - discount))

    local _, bad = funcs.call("app.pricing:line_total", { sku = "ghost", qty = 0, price = 1 })
    io.print("a bad line is refused: " .. bad:message())
    return 0
end

return { main = main }
