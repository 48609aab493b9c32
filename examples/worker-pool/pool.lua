-- A worker pool inside one process: `workers` coroutines take jobs from a channel and
-- send results to another. The jobs sleep for a while (as I/O would); the pool runs
-- them concurrently, so the whole batch takes far less than the sum of the sleeps.
local io = require("io")
local time = require("time")

type Job = { id: integer, n: integer }

local function collatz_steps(n: integer): integer
    local steps = 0
    while n ~= 1 do
        n = (n % 2 == 0) and n // 2 or 3 * n + 1
        steps = steps + 1
    end
    return steps
end

local function worker(id: integer, jobs, results)
    while true do
        local job: Job?, ok = jobs:receive()
        if not ok then return end                 -- channel closed and drained
        time.sleep((job.id % 3 + 1) * 10 * time.MILLISECOND)
        results:send({ job = job.id, worker = id, steps = collatz_steps(job.n) })
    end
end

local function main(workers: string?, count: string?): integer
    local nworkers = tonumber(workers) or 4
    local njobs = tonumber(count) or 12
    local jobs = channel.new(nworkers)            -- buffered: the feeder runs ahead a bit
    local results = channel.new()

    for id = 1, nworkers do
        coroutine.spawn(worker, id, jobs, results)
    end
    coroutine.spawn(function()
        for i = 1, njobs do jobs:send({ id = i, n = 26 + i }) end
        jobs:close()
    end)

    local started = time.now()
    local by_job, used = {}, {}
    for _ = 1, njobs do
        local r = results:receive()
        by_job[r.job] = r.steps
        used[r.worker] = true
    end
    local elapsed = time.now():sub(started)

    for i = 1, njobs do
        io.print(string.format("job %2d: collatz(%d) takes %d steps", i, 26 + i, by_job[i]))
    end
    local nused = 0
    for _ in pairs(used) do nused = nused + 1 end
    io.print(string.format("%d jobs on %d workers (%d busy)", njobs, nworkers, nused))
    local serial = 0
    for i = 1, njobs do serial = serial + (i % 3 + 1) * 10 end
    io.print(string.format("took %dms; the sleeps add up to %dms", elapsed:milliseconds(), serial))
    return 0
end

return { main = main }
