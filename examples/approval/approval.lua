-- The approval of the Wippy workflow docs, as written there. The decision is a
-- message sent to the workflow's PID (process.send): a durable signal, journaled
-- when the workflow receives it, so the wait survives restarts.
local funcs = require("funcs")

local function main(request)
    funcs.call("app.approvals:submit", request)

    local inbox = process.inbox()
    local msg = inbox:receive()  -- 阻塞直到信号到达

    if msg.approved then
        funcs.call("app.orders:fulfill", request.order_id)
    else
        funcs.call("app.notifications:send_rejection", request)
    end

    return { order_id = request.order_id, approved = msg.approved == true, decided_by = msg.by }
end

return { main = main }
