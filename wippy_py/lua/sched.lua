-- The Lua half of the dispatcher (process/_scheduler.py is the Python half): the
-- run queue, the thread and process records, and K.run, the loop that resumes
-- ready threads. Channels and mailboxes, built on it, are in chan.lua.
--
-- Why in Lua: with the run queue and the channels in Python, a message between
-- two actors crossed the Lua/Python boundary four times (the send, building the
-- Message, the inline receive attempt, the resume) and cost ~5 µs. Here a send to
-- a process blocked in inbox:receive(), the wake-up and the resume never leave
-- Lua. Python sees a thread only when it yields a host operation, ends, or needs
-- attention (a workflow thread parked: its journal is settled; a process whose
-- threads are all parked: maybe a deadlock).
--
-- Records (array tables, never handed to user code):
--   box  {co, tid, P, state, gen, a, b, c}   one per thread (K.new_thread makes
--        it); a, b, c: the values it is resumed with while it is queued (c is
--        set only by a select, which resumes with three values)
--   P    {pid, actor, nthreads, nparked, wf, inbox, events, topics, queued, gone}
--        one per process, in ALL by PID. nparked is kept only while the process
--        has no inbox: it serves the deadlock check, which an inbox rules out.
-- Python names them by PID and thread id (tid): it holds no reference to a
-- record and Lua holds no Python object, which keeps an idle process small.
--
-- K.run(limit, box?, ...) resumes `box` with `...` (the answer to its operation)
-- if given, then ready threads in FIFO order, and returns
--   0, limit, pid, tid, opcode, args...  the thread asks the host for an operation
--   1, limit, pid, tid, ok, results...   the thread ended (ok=false: error object)
--   2, limit, pid, tid                   a workflow thread parked, or every thread
--                                        of an unsubscribed process is parked
--   5, limit                             nothing is ready, or `limit` resumes ran
local K = ...

local co_resume, co_status, co_close = coroutine.resume, coroutine.status, coroutine.close
local raw_next, raw_select = next, select
local pack, unpack, tcreate = table.pack, table.unpack, table.create
local RT, END, SLICE, thread_failed = K.RT, K.END, K.SLICE, K.thread_failed

-- box fields and thread states
local CO <const>, TID <const>, BP <const>, ST <const>, GEN <const> = 1, 2, 3, 4, 5
local VA <const>, VB <const>, VC <const> = 6, 7, 8
local ACTIVE <const>, QUEUED <const>, PARKED <const>, DEAD <const> = 0, 1, 2, 3
K.BOX = { ST = ST, GEN = GEN, PARKED = PARKED }
-- P fields
local PID <const>, ACTOR <const>, NTH <const>, NPARK <const>, WF <const> = 1, 2, 3, 4, 5
local INBOX <const>, EVENTS <const>, TOPICS <const> = 6, 7, 8
local QUEUED_MSGS <const>, GONE <const> = 9, 10
K.PF = { PID = PID, ACTOR = ACTOR, WF = WF, INBOX = INBOX, EVENTS = EVENTS,
  TOPICS = TOPICS, QUEUED = QUEUED_MSGS, GONE = GONE }

-- (RT, PARK): the thread waits on channels, registered by chan.lua;
-- (RT, PARK_RECV, S): a plain receive on the channel state S, registered here
-- (in the main state, where no instruction hook slows the work down).
local PARK, PARK_RECV = {}, {}
K.PARK, K.PARK_RECV = PARK, PARK_RECV
local PACKED = K.PACKED  -- box[VA] == PACKED: box[VB] holds the resume values, packed

-- Messages, payloads and queue entries die young while processes live long: the
-- generational collector makes such allocations ~2.5x cheaper than the
-- incremental one once the heap holds many processes (measured: a 4-field table
-- 238 -> 87 ns with 200k live tables).
collectgarbage("generational")

---------------------------------------------------------------------------
-- The current process, and telling Python about it lazily: Python callbacks
-- read sched.current, so every Python callable handed to Lua is wrapped by
-- K.host_fn, which reports a change of process before the call. A message that
-- stays in Lua costs nothing.
---------------------------------------------------------------------------
-- NOW = {P, box} of the running thread (false outside K.run), shared with
-- chan.lua and the process glue; TOLD: the P Python was last told about.
local NOW = { false, false }
K.NOW = NOW
local TOLD = false
local sink = nil

function K.set_current_sink(fn) sink = fn end
function K.cur() return NOW[1] or nil end

function K.host_fn(fn)
  return function(...)
    local P = NOW[1]
    if P ~= TOLD then
      TOLD = P
      sink(P and P[PID] or nil)
    end
    return fn(...)
  end
end
K.wrap_host = K.host_fn

-- Adds every function of `fns` to `into`, wrapped by K.host_fn (a host module's
-- Python callables, in one call from Python); returns `into`.
function K.host_fns(fns, into)
  for name, fn in pairs(fns) do into[name] = K.host_fn(fn) end
  return into
end

---------------------------------------------------------------------------
-- The run queue: a ring of boxes (their resume values are in the boxes).
---------------------------------------------------------------------------
local cap, mask = 1024, 1023
local RQ = tcreate(cap)
local rq_head, rq_count = 0, 0  -- slot of the oldest box (0-based), boxes queued

local function rq_grow()
  local bigger = tcreate(cap * 2)
  for k = 0, rq_count - 1 do bigger[k + 1] = RQ[((rq_head + k) & mask) + 1] end
  RQ, cap, mask, rq_head = bigger, cap * 2, cap * 2 - 1, 0
end

local function enqueue(box)
  if rq_count == cap then rq_grow() end
  RQ[((rq_head + rq_count) & mask) + 1] = box
  rq_count = rq_count + 1
end

-- Makes a thread parked on channels ready, to be resumed with (a, b, c).
local function wake(box, a, b, c)
  box[ST], box[VA], box[VB], box[VC] = QUEUED, a, b, c
  local P = box[BP]
  if not P[INBOX] then P[NPARK] = P[NPARK] - 1 end
  if rq_count == cap then rq_grow() end
  RQ[((rq_head + rq_count) & mask) + 1] = box
  rq_count = rq_count + 1
end
K.wake = wake

-- Puts a value into a channel (chan.lua: state {size, closed, ...}; rbox and rgen
-- at 7 and 8): the hot case, a plain receiver waiting, is handled here with the
-- wake-up written out; everything else goes to chan.lua's put.
local RECV <const>, RBOX <const>, RGEN <const> = 4, 7, 8
local slow_put, queue_receiver = nil, nil
-- chan.lua's put (all other cases) and its registration of a receiver in the
-- receivers queue (when the rbox slot is taken).
function K.set_slow_paths(put_fn, queue_fn) slow_put, queue_receiver = put_fn, queue_fn end

-- A thread parks in a plain receive on S: the oldest plain receiver sits in the
-- rbox slot while the receivers queue is empty.
local function park_receiver(box, S)
  local gen = box[GEN] + 1
  box[GEN] = gen
  local r = S[RECV]
  if not S[RBOX] and not (r and r.t >= r.h) then
    S[RBOX], S[RGEN] = box, gen
  else
    queue_receiver(S, box, gen)
  end
end

local function put(S, v)
  local rb = S[RBOX]
  if rb and rb[ST] == PARKED and rb[GEN] == S[RGEN] then  -- (a closed channel has none)
    S[RBOX] = false
    rb[ST], rb[VA], rb[VB] = QUEUED, v, true
    local P = rb[BP]
    if not P[INBOX] then P[NPARK] = P[NPARK] - 1 end
    if rq_count == cap then rq_grow() end
    RQ[((rq_head + rq_count) & mask) + 1] = rb
    rq_count = rq_count + 1
    return
  end
  slow_put(S, v)
end
K.put = put

---------------------------------------------------------------------------
-- Processes and threads (called from Python, by PID)
---------------------------------------------------------------------------
local ALL = {}  -- pid -> P of the processes that are alive or about to start
K.ALL = ALL

-- The record of `pid`, created on first use: messages may reach a process
-- before it starts (spawner:with_message).
local function proc_of(pid)
  local P = ALL[pid]
  if P == nil then
    P = { pid, false, 0, 0, false, false, false, false, false, false }
    ALL[pid] = P
  end
  return P
end
K.proc_of = proc_of

local function thread_start(box, P, tid, front)
  box[TID], box[BP], box[ST] = tid, P, QUEUED
  P[NTH] = P[NTH] + 1
  if not front then
    enqueue(box)
    return
  end
  if rq_count == cap then rq_grow() end
  rq_head = (rq_head - 1) & mask
  RQ[rq_head + 1] = box
  rq_count = rq_count + 1
end

-- A workflow is not an actor: a send to one must go through its Python hooks.
function K.proc_start(pid, box, tid, wf, front)
  local P = proc_of(pid)
  P[WF], P[ACTOR] = wf, not wf
  thread_start(box, P, tid, front)
end

function K.thread_add(pid, box, tid) thread_start(box, proc_of(pid), tid, false) end

function K.proc_end(pid)
  local P = ALL[pid]
  if P == nil then return end
  ALL[pid] = nil
  P[GONE], P[ACTOR] = true, false
  P[INBOX], P[EVENTS], P[TOPICS], P[QUEUED_MSGS] = false, false, false, false
end

-- Python wakes a thread that waited for a host operation.
function K.push(box, ...)
  local st = box[ST]
  if st == DEAD or st == QUEUED then return end
  if st == PARKED and not box[BP][INBOX] then box[BP][NPARK] = box[BP][NPARK] - 1 end
  if raw_select("#", ...) == 2 then  -- (value, err): most host operations answer so
    box[ST], box[VA], box[VB] = QUEUED, ...
  else
    box[ST], box[VA], box[VB] = QUEUED, PACKED, pack(...)
  end
  enqueue(box)
end

local function subscribed(P)
  if P[INBOX] then return true end
  local topics = P[TOPICS]
  return topics and raw_next(topics) ~= nil or false
end

function K.kill(box)
  local st, P = box[ST], box[BP]
  if st ~= DEAD and P then
    if st == PARKED and not P[INBOX] then P[NPARK] = P[NPARK] - 1 end
    P[NTH] = P[NTH] - 1
  end
  box[ST], box[VA], box[VB], box[VC] = DEAD, nil, nil, nil
  local co = box[CO]
  if co_status(co) == "suspended" then co_close(co) end
end

-- True when one of the boxes (the threads of a process) is queued.
function K.any_queued(...)
  for i = 1, select("#", ...) do
    if (select(i, ...))[ST] == QUEUED then return true end
  end
  return false
end

function K.idle() return rq_count == 0 end

-- Every thread is parked on channels and no message or event can reach the
-- process (Python adds: no host operation pending).
function K.stuck(pid)
  local P = ALL[pid]
  return P ~= nil and not subscribed(P) and P[NTH] > 0 and P[NPARK] == P[NTH]
end

---------------------------------------------------------------------------
-- The loop
---------------------------------------------------------------------------
local CONTINUE <const>, OP <const>, DONE <const> = -1, 0, 1
local ATTENTION <const>, BARE <const>, IDLE <const> = 2, 3, 5
local OUT = nil  -- the packed values of an OP or DONE report

-- A thread of a process without an inbox parked (counted): does Python need to
-- look at the process (a workflow, or maybe a deadlock)?
local function parked_attention(P)
  local n = P[NPARK] + 1
  P[NPARK] = n
  return P[WF] or (n == P[NTH] and not subscribed(P))
end

-- A thread parked: does Python need to look at its process?
local function parked(box, P)
  box[ST] = PARKED
  if P[INBOX] then return P[WF] end
  return parked_attention(P)
end

-- What a resume of `box` came back with (the first values co_resume returned).
local function settle(box, ok, a, b, c)
  if box[ST] == DEAD then return CONTINUE end  -- ended meanwhile (terminated)
  if a == RT then
    if b == PARK_RECV then park_receiver(box, c) end
    if b == PARK or b == PARK_RECV then
      if parked(box, box[BP]) then return ATTENTION end
      return CONTINUE
    end
    OUT = b
    return OP
  end
  if ok and a ~= END then return BARE end  -- a bare coroutine.yield(): resumed at once
  box[ST] = DEAD
  local P = box[BP]
  P[NTH] = P[NTH] - 1
  OUT = ok and b or pack(false, thread_failed(a))
  return DONE
end

local function report(code, limit, box)
  NOW[1], NOW[2], TOLD = false, false, false
  local pid, tid = box[BP][PID], box[TID]
  local out = OUT
  if not out then return code, limit, pid, tid end
  OUT = nil
  return code, limit, pid, tid, unpack(out, 1, out.n)
end

local function resume(box, ...)
  local co = box[CO]
  NOW[1], NOW[2] = box[BP], box
  SLICE[1], SLICE[2], SLICE[3] = 0, false, co
  local code = settle(box, co_resume(co, ...))
  while code == BARE do
    SLICE[1], SLICE[2] = 0, false
    code = settle(box, co_resume(co))
  end
  return code
end

function K.run(limit, box, ...)
  TOLD = false
  if box ~= nil and box[ST] == ACTIVE then
    local code = resume(box, ...)
    if code ~= CONTINUE then return report(code, limit, box) end
  end
  -- Constants in registers: the loop below is the hot path of every message.
  local now, slice, rt, park_recv, packed = NOW, SLICE, RT, PARK_RECV, PACKED
  while limit > 0 and rq_count > 0 do
    local i = rq_head + 1
    local b = RQ[i]
    RQ[i] = false
    rq_head, rq_count = i & mask, rq_count - 1
    if b[ST] == QUEUED then
      limit = limit - 1
      local co, P, x, y, z = b[CO], b[BP], b[VA], b[VB], b[VC]
      b[ST], b[VA], b[VB] = ACTIVE, nil, nil
      now[1], now[2] = P, b
      slice[1], slice[2], slice[3] = 0, false, co
      local ok, r1, r2, r3
      if z ~= nil then  -- a select case: (index, value, ok)
        b[VC] = nil
        ok, r1, r2, r3 = co_resume(co, x, y, z)
      elseif x == packed then ok, r1, r2, r3 = co_resume(co, unpack(y, 1, y.n))
      else ok, r1, r2, r3 = co_resume(co, x, y) end
      if r2 == park_recv and r1 == rt and b[ST] == ACTIVE then  -- the common case, inline
        local gen = b[GEN] + 1
        b[ST], b[GEN] = PARKED, gen
        local r = r3[RECV]
        if not r3[RBOX] and not (r and r.t >= r.h) then
          r3[RBOX], r3[RGEN] = b, gen
        else
          queue_receiver(r3, b, gen)
        end
        if P[INBOX] then
          if P[WF] then return report(ATTENTION, limit, b) end
        elseif parked_attention(P) then
          return report(ATTENTION, limit, b)
        end
      else
        local code = settle(b, ok, r1, r2, r3)
        while code == BARE do
          slice[1], slice[2] = 0, false
          code = settle(b, co_resume(co))
        end
        if code ~= CONTINUE then return report(code, limit, b) end
      end
    end
  end
  NOW[1], NOW[2], TOLD = false, false, false
  if rq_count == 0 and cap > 4096 then  -- a burst is over: give the ring back
    RQ, cap, mask, rq_head = tcreate(1024), 1024, 1023, 0
  end
  return IDLE, limit
end

return K
