-- The order processor of the Wippy workflow docs, as written there: every
-- funcs.call is an activity and time.sleep("24h") a durable timer, so the run
-- survives a restart in the middle of its day of waiting.
local funcs = require("funcs")
local time = require("time")

local function main(payment)
    local result = funcs.call("app.api:charge_card", payment)
    time.sleep("24h")
    local status = funcs.call("app.api:check_status", result.id)

    if status == "failed" then
        funcs.call("app.api:refund", result.id)
    end

    return { charge = result.id, status = status, refunded = status == "failed" }
end

return { main = main }
