-- Starts the order saga with the inputs of a scenario and prints its outcome.
--   wippy-py run examples/saga saga [ok|out-of-stock|card-declined|no-shipping]
--   wippy-py run registry saga [...]                               (the default app)
-- Compensations log a warning ("compensation: ...") as they run.
local io = require("io")

local SCENARIOS = {
    ["ok"] = { items = { { sku = "book", qty = 2 }, { sku = "pen", qty = 10 } },
               amount = 37.0, country = "DE" },
    ["out-of-stock"] = { items = { { sku = "lamp", qty = 5 } }, amount = 199.5, country = "DE" },
    ["card-declined"] = { items = { { sku = "lamp", qty = 2 } }, amount = 899.0, country = "DE" },
    ["no-shipping"] = { items = { { sku = "book", qty = 1 } }, amount = 12.5, country = "AQ" },
}

local function main(name)
    name = name or "ok"
    local scenario = SCENARIOS[name]
    if scenario == nil then
        io.print("unknown scenario " .. name .. "; use ok, out-of-stock, card-declined or no-shipping")
        return 2
    end
    local order = { id = "S-" .. name, country = scenario.country }
    local pid, err = process.with_options({ ["temporal.workflow.id"] = "saga-" .. name })
        :spawn_monitored("app.workflows:order_saga", "app:temporal_worker",
                         scenario.items, scenario.amount, order)
    if err then
        io.print("cannot start the workflow: " .. tostring(err))
        return 1
    end
    io.print("workflow " .. pid .. " started (scenario " .. name .. ")")

    local events = process.events()
    while true do
        local event = events:receive()
        if event.kind == process.event.EXIT and event.from == pid then
            local failure = event.result.error
            if failure then
                io.print("saga failed: " .. tostring(failure))
                return 1
            end
            local done = event.result.value
            io.print(string.format("order placed: reservation %s, payment %s, shipment %s (%s)",
                done.inventory.id, done.payment.id, done.shipping.id, done.shipping.carrier))
            return 0
        end
    end
end

return { main = main }
