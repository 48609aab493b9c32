-- The pong service: registers the name "pong" and answers every ping.
local logger = require("logger")

local function main(): string
    local ok, err = process.registry.register("pong")
    if not ok then error("cannot register the name pong: " .. tostring(err)) end
    logger.info("pong ready", { pid = process.pid() })

    local inbox, events = process.inbox(), process.events()
    while true do
        local r = channel.select { inbox:case_receive(), events:case_receive() }
        if r.channel == inbox then
            local msg = r.value
            if msg:topic() == "ping" then
                local n = msg:payload():data()
                process.send(msg:from(), "pong", n)
            end
        elseif r.value.kind == process.event.CANCEL then
            logger.info("pong stopping", { reason = r.value.reason })
            return "pong done"
        end
    end
end

return { main = main }
