-- The ping service: sends `rounds` pings to the process named "pong", one a second,
-- and logs each reply with its round-trip time. Then it idles until it is stopped.
local logger = require("logger")
local time = require("time")

local function main(rounds: integer): string
    local inbox, events = process.inbox(), process.events()
    for n = 1, rounds do
        local sent = time.now()
        local ok, err = process.send("pong", "ping", n)   -- by name, not by PID
        if not ok then error("ping " .. n .. " failed: " .. tostring(err)) end
        local r = channel.select { inbox:case_receive(), time.after("2s"):case_receive() }
        if r.channel ~= inbox then error("no pong for ping " .. n) end
        local reply = r.value:payload():data()
        logger.info("pong " .. reply .. " received", { rtt = tostring(time.now():sub(sent)) })
        time.sleep("1s")
    end
    logger.info("ping finished " .. rounds .. " rounds")
    while true do
        local ev = events:receive()
        if ev.kind == process.event.CANCEL then return "ping done" end
    end
end

return { main = main }
