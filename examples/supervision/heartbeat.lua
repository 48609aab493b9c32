-- A well-behaved service: a tick every 5 seconds until it is asked to stop.
local logger = require("logger")
local time = require("time")

local function main(): string
    local ticker = time.ticker("5s")
    local events = process.events()
    local beats = 0
    while true do
        local r = channel.select { ticker:response():case_receive(), events:case_receive() }
        if r.channel == events then
            if r.value.kind == process.event.CANCEL then
                ticker:stop()
                logger.info("heartbeat stopping after " .. beats .. " beats")
                return "stopped"
            end
        else
            beats = beats + 1
            logger.info("heartbeat " .. beats)
        end
    end
end

return { main = main }
