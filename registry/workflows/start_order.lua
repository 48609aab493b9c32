-- Starts the order processor on the worker and prints its outcome.
--   wippy-py run examples/order-processor --clock virtual order [CARD]
--   wippy-py run registry --clock virtual order [CARD]            (the default app)
local io = require("io")

local function main(card)
    local payment = {
        order_id = "A-1001",
        amount = 42.5,
        currency = "EUR",
        card = card or "4242424242424242",
    }
    -- An explicit workflow ID: if a run of this order is still in flight (say the
    -- app was stopped during the 24h wait), this attaches to it instead of charging
    -- the card a second time.
    local pid, err = process.with_options({ ["temporal.workflow.id"] = "order-" .. payment.order_id })
        :spawn_monitored("app.workflows:order_processor", "app:temporal_worker", payment)
    if err then
        io.print("cannot start the workflow: " .. tostring(err))
        return 1
    end
    io.print("workflow " .. pid .. " started: charge, wait 24h, check the charge")

    local events = process.events()
    while true do
        local event = events:receive()
        if event.kind == process.event.EXIT and event.from == pid then
            if event.result.error then
                io.print("workflow failed: " .. tostring(event.result.error))
                return 1
            end
            local outcome = event.result.value
            io.print(string.format("charge %s: %s%s", outcome.charge, outcome.status,
                outcome.refunded and " (refunded)" or ""))
            return 0
        end
    end
end

return { main = main }
