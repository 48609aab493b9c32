-- Stand-in services of the order workflow (namespace app.fulfillment). Activities
-- cannot do I/O here: they log what they would do and return plausible data.
local logger = require("logger")

-- Payments from this amount on are held for a fraud review.
local REVIEW_THRESHOLD = 1000

local function reserve_inventory(items)
    local units = 0
    for _, item in ipairs(items) do units = units + item.qty end
    logger:info("stock reserved", { lines = #items, units = units })
    return { reserved = units }
end

-- Idempotent: the transaction ID derives from the order, so a retried attempt
-- names the same transaction. An order whose ID contains "flaky" meets a payment
-- gateway that is unavailable for its first two attempts (a retryable error).
local function process_payment(order_id, amount)
    local attempt = require("ctx").get("attempt") or 1
    if string.find(order_id, "flaky", 1, true) and attempt < 3 then
        logger:warn("payment gateway unavailable", { order = order_id, attempt = attempt })
        return nil, errors.new({ message = "payment gateway unavailable",
                                 kind = errors.UNAVAILABLE, retryable = true })
    end
    local status = amount >= REVIEW_THRESHOLD and "REQUIRES_REVIEW" or "APPROVED"
    local transaction_id = "txn-" .. order_id
    logger:info("payment processed", { transaction = transaction_id, amount = amount,
                                       status = status, attempt = attempt })
    return { transaction_id = transaction_id, status = status, attempt = attempt }
end

local function notify_fraud_team(order_id)
    logger:info("fraud team notified", { order = order_id })
    return { ticket = "FRAUD-" .. order_id }
end

local function deduct_inventory(items)
    local units = 0
    for _, item in ipairs(items) do units = units + item.qty end
    logger:info("stock deducted", { units = units })
    return { deducted = units }
end

local function send_order_confirmation_email(customer_id, order_id)
    logger:info("order confirmation sent", { customer = customer_id, order = order_id })
    return { to = customer_id, template = "order-confirmed" }
end

local function send_follow_up_email(customer_id, order_id)
    logger:info("follow-up email sent", { customer = customer_id, order = order_id })
    return { to = customer_id, template = "how-was-your-order" }
end

local function refund_payment(transaction_id)
    logger:warn("compensation: payment refunded", { transaction = transaction_id })
    return { transaction_id = transaction_id, refunded = true }
end

return {
    reserve_inventory = reserve_inventory,
    process_payment = process_payment,
    notify_fraud_team = notify_fraud_team,
    deduct_inventory = deduct_inventory,
    send_order_confirmation_email = send_order_confirmation_email,
    send_follow_up_email = send_follow_up_email,
    refund_payment = refund_payment,
}
