-- A stand-in payment service (namespace app.payments): the card's limit is 500.
local logger = require("logger")

local CARD_LIMIT = 500

local function charge(amount)
    if amount > CARD_LIMIT then
        logger:info("card declined", { amount = amount, limit = CARD_LIMIT })
        return { error = string.format("card declined: %.2f is over the limit of %d",
                                       amount, CARD_LIMIT) }
    end
    local id = string.format("pay-%d", math.floor(amount * 100))
    logger:info("card charged", { payment = id, amount = amount })
    return { id = id, amount = amount }
end

local function refund(id)
    logger:warn("compensation: payment refunded", { payment = id })
    return { id = id, refunded = true }
end

return { charge = charge, refund = refund }
