-- Starts the approval workflow, sends it the decision and prints the outcome.
--   wippy-py run examples/approval approval [approve|reject]
--   wippy-py run registry approval [approve|reject]               (the default app)
local io = require("io")

local function main(decision)
    decision = decision or "approve"
    if decision ~= "approve" and decision ~= "reject" then
        io.print("unknown decision " .. decision .. "; use approve or reject")
        return 2
    end
    local request = { order_id = "A-2001", amount = 1200, requester = "ada@example.com",
                      reason = "new laptop" }
    local pid, err = process.with_options({ ["temporal.workflow.id"] = "approval-" .. request.order_id })
        :spawn_monitored("app.workflows:approval", "app:temporal_worker", request)
    if err then
        io.print("cannot start the workflow: " .. tostring(err))
        return 1
    end
    io.print("workflow " .. pid .. " started: it submits the request, then waits for the decision")

    -- The decision is a signal: journaled by the workflow when it arrives, even if
    -- it comes before the workflow started waiting.
    process.send(pid, "decision", { approved = decision == "approve", by = "finance-lead" })
    io.print("decision sent: " .. decision)

    local events = process.events()
    while true do
        local event = events:receive()
        if event.kind == process.event.EXIT and event.from == pid then
            if event.result.error then
                io.print("workflow failed: " .. tostring(event.result.error))
                return 1
            end
            local outcome = event.result.value
            io.print(string.format("order %s %s by %s", outcome.order_id,
                outcome.approved and "approved and fulfilled" or "rejected (requester notified)",
                tostring(outcome.decided_by)))
            return 0
        end
    end
end

return { main = main }
