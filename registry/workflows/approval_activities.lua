-- Stand-in services of the approval workflow: an approval queue, order fulfilment
-- and notifications. They log what they would do and return plausible data.
local logger = require("logger")

local function submit(request)
    local ticket = "APR-" .. request.order_id
    logger:info("approval requested", { ticket = ticket, amount = request.amount,
                                        requester = request.requester })
    return { ticket = ticket, queue = "finance" }
end

local function fulfill(order_id)
    logger:info("order fulfilled", { order = order_id })
    return { order_id = order_id, status = "fulfilled" }
end

local function send_rejection(request)
    logger:info("rejection sent", { order = request.order_id, to = request.requester })
    return { to = request.requester, template = "request-rejected" }
end

return { submit = submit, fulfill = fulfill, send_rejection = send_rejection }
