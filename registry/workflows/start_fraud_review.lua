-- Starts the order workflow for a scenario, plays the fraud reviewer when the
-- scenario has one, and prints the workflow's message.
--   wippy-py run examples/fraud-review --clock virtual order [ok|approve|reject|timeout|flaky]
--   wippy-py run registry --clock virtual fraud-review [...]      (the default app)
local io = require("io")

local SCENARIOS = {
    ok = { amount = 250 },                             -- no review
    approve = { amount = 2500, review = true },        -- the reviewer approves
    reject = { amount = 2500, review = false },        -- the reviewer rejects
    timeout = { amount = 2500 },                       -- nobody reviews within 2h
    flaky = { amount = 250 },                          -- payment retried twice
}

local function main(name)
    name = name or "ok"
    local scenario = SCENARIOS[name]
    if scenario == nil then
        io.print("unknown scenario " .. name .. "; use ok, approve, reject, timeout or flaky")
        return 2
    end
    local order = {
        order_id = "F-3001-" .. name,
        customer_id = "cust-42",
        items = { { sku = "book", qty = 2 }, { sku = "lamp", qty = 1 } },
        amount = scenario.amount,
    }
    local pid, err = process.with_options({ ["temporal.workflow.id"] = "order-" .. order.order_id })
        :spawn_monitored("app.workflows:order_processing", "app:temporal_worker", order)
    if err then
        io.print("cannot start the workflow: " .. tostring(err))
        return 1
    end
    io.print("workflow " .. pid .. " started (scenario " .. name .. ")")

    if scenario.review ~= nil then
        -- The reviewer's decision: a durable signal the workflow races against 2h.
        process.send(pid, "fraudReviewApproved", scenario.review)
        io.print("fraud review sent: " .. (scenario.review and "approved" or "rejected"))
    end

    local events = process.events()
    while true do
        local event = events:receive()
        if event.kind == process.event.EXIT and event.from == pid then
            if event.result.error then
                io.print("workflow failed: " .. tostring(event.result.error))
                return 1
            end
            io.print(event.result.value)
            return 0
        end
    end
end

return { main = main }
