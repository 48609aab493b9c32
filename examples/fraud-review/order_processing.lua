-- orderProcessingWorkflow of the durable-functions seed, ported from TypeScript.
-- The workflow itself is deterministic; its side effects are activities (funcs.call),
-- its waits durable timers and signals, so a run may take days and survive restarts.
local funcs = require("funcs")
local time = require("time")
local workflow = require("workflow")

-- workflow.callActivity: an activity's error is raised, as `await` throws it.
local function call_activity(target, ...)
    local result, err = funcs.call(target, ...)
    if err then error(err, 0) end
    return result
end

-- workflow.callActivityWithRetry: the same through an executor with a retry policy.
local function call_activity_with_retry(retry_policy, target, ...)
    local executor = funcs.new():with_options({ ["activity.retry_policy"] = retry_policy })
    local result, err = executor:call(target, ...)
    if err then error(err, 0) end
    return result
end

local function main(order)
    local transaction_id = nil

    local ok, failure = pcall(function()
        -- 检查并预留库存 (check and reserve the stock)
        call_activity("app.fulfillment:reserve_inventory", order.items)

        -- 支付处理: idempotent, retried automatically
        local payment_response = call_activity_with_retry(
            { initial_interval = "10s", maximum_attempts = 5 },
            "app.fulfillment:process_payment", order.order_id, order.amount)

        transaction_id = payment_response.transaction_id

        -- timer, human interaction
        if payment_response.status == "REQUIRES_REVIEW" then
            call_activity("app.fulfillment:notify_fraud_team", order.order_id)

            local approval_event = process.listen("fraudReviewApproved")
            local timeout = time.after("2h")

            -- wait for whichever comes first
            local winner = channel.select({ approval_event:case_receive(), timeout:case_receive() })

            if winner.channel == timeout then
                -- a review that timed out counts as failed: raise to compensate
                error("欺诈审核超时", 0)
            end

            local is_approved = winner.value
            if not is_approved then
                error("欺诈审核被拒绝", 0)
            end
        end

        -- 从库存中扣除商品、发送订单确认邮件 (deduct stock, confirm by email)
        call_activity("app.fulfillment:deduct_inventory", order.items)
        call_activity("app.fulfillment:send_order_confirmation_email", order.customer_id, order.order_id)

        -- 等到 24 小时后发送跟进邮件 (a follow-up email one day later)
        time.sleep("24h")
        call_activity("app.fulfillment:send_follow_up_email", order.customer_id, order.order_id)
    end)

    if ok then
        return string.format("订单 %s 处理成功。", order.order_id)
    end

    -- 补偿 (compensation)
    if transaction_id then
        call_activity("app.fulfillment:refund_payment", transaction_id)
    end
    -- console.error in the original: workflows may not log (it is not deterministic),
    -- so the reason is journaled in the run's memo instead.
    workflow.attrs({ memo = { failure = tostring(failure) } })
    return string.format("订单 %s 处理失败。", order.order_id)
end

return { main = main }
