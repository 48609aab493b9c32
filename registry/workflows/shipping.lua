-- A stand-in shipping service (namespace app.shipping): ships to a few countries.
local logger = require("logger")

local COUNTRIES = { DE = "DHL", FR = "Colissimo", NL = "PostNL" }

local function create(order)
    local carrier = COUNTRIES[order.country or ""]
    if carrier == nil then
        logger:info("no carrier", { order = order.id, country = order.country })
        return { error = string.format("no carrier ships to %s", tostring(order.country)) }
    end
    local id = string.format("ship-%s-%s", order.id, order.country)
    logger:info("shipment created", { shipment = id, carrier = carrier })
    return { id = id, carrier = carrier }
end

return { create = create }
