-- A stand-in inventory service (namespace app.inventory): fixed stock levels.
local logger = require("logger")

local STOCK = { book = 20, pen = 100, lamp = 3 }

local function reserve(items)
    local count = 0
    for _, item in ipairs(items) do
        local available = STOCK[item.sku] or 0
        if item.qty > available then
            logger:info("cannot reserve", { sku = item.sku, wanted = item.qty, available = available })
            return { error = string.format("out of stock: %s (wanted %d, %d available)",
                                           item.sku, item.qty, available) }
        end
        count = count + item.qty
    end
    local id = string.format("res-%s-%d", items[1] and items[1].sku or "none", count)
    logger:info("stock reserved", { reservation = id, units = count })
    return { id = id, units = count }
end

local function release(id)
    logger:warn("compensation: stock released", { reservation = id })
    return { id = id, released = true }
end

return { reserve = reserve, release = release }
