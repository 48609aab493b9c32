-- The saga of the Wippy workflow docs, as written there: each step is an activity;
-- a failed step compensates the steps before it, in reverse order. The three
-- arguments are the names the saga uses: the items to reserve, the amount to
-- charge and the order to ship.
local funcs = require("funcs")

local function main(items, amount, order)
    local inventory = funcs.call("app.inventory:reserve", items)
    if inventory.error then
        return nil, inventory.error
    end

    local payment = funcs.call("app.payments:charge", amount)
    if payment.error then
        funcs.call("app.inventory:release", inventory.id)
        return nil, payment.error
    end

    local shipping = funcs.call("app.shipping:create", order)
    if shipping.error then
        funcs.call("app.payments:refund", payment.id)
        funcs.call("app.inventory:release", inventory.id)
        return nil, shipping.error
    end

    return {inventory = inventory, payment = payment, shipping = shipping}
end

return { main = main }
