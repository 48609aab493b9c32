-- Does a few jobs, then crashes. The supervisor restarts it with backoff.
local logger = require("logger")
local time = require("time")

local function main(jobs: integer)
    logger.info("worker started", { pid = process.pid() })
    for job = 1, jobs do
        time.sleep("500ms")
        logger.info("worker finished job " .. job)
    end
    error("simulated crash after " .. jobs .. " jobs")
end

return { main = main }
