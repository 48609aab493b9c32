-- A stand-in payment gateway (namespace app.api). Activities may not do I/O here:
-- they return plausible data and log what a real gateway call would do.
local logger = require("logger")

-- As with real gateways' test cards: a charge on a card ending in 0002 is accepted
-- at once but fails when it settles.
local FAILS_AT_SETTLEMENT = "0002"

local function charge_card(payment)
    if type(payment) ~= "table" or type(payment.card) ~= "string" or #payment.card < 4 then
        return nil, errors.new({ message = "charge_card: the payment needs a card number",
                                 kind = errors.INVALID, retryable = false })
    end
    local id = string.format("ch_%s_%s", payment.order_id, string.sub(payment.card, -4))
    logger:info("card charged", { charge = id, amount = payment.amount })
    return { id = id, amount = payment.amount, currency = payment.currency, status = "pending" }
end

local function check_status(id)
    local status = "succeeded"
    if string.sub(id, -4) == FAILS_AT_SETTLEMENT then
        status = "failed"
    end
    logger:info("charge checked", { charge = id, status = status })
    return status
end

local function refund(id)
    logger:warn("refunding a failed charge", { charge = id })
    return { id = "re_" .. id, charge = id, status = "refunded" }
end

return { charge_card = charge_card, check_status = check_status, refund = refund }
