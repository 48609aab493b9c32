"""The dispatcher's Lua half (lua/sched.lua, lua/chan.lua): messages between actors
stay in Lua, yet Python callbacks see the right process; channel internals are out of
user code's reach; the run queue and channel queues grow, wrap and shrink."""

from __future__ import annotations

from pathlib import Path

from actor_harness import run_main

DEADLOCK = "deadlock: all coroutines blocked with no pending operations"


def test_python_callbacks_see_the_process_a_lua_send_woke(tmp_path: Path) -> None:
    # Each member is woken by a send made in Lua by another member, then makes a
    # Python call that acts on the calling process (registering its own name).
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          local members = {}
          for i = 1, 5 do
            members[i] = process.spawn("app:member", "app:processes", me, "m" .. i)
          end
          for i = 1, 5 do process.send(members[i], "next", members[i % 5 + 1]) end
          local inbox = process.inbox()
          process.send(members[1], "token", 15)
          inbox:receive()
          local owners = {}
          for i = 1, 5 do
            local pid = process.registry.lookup("m" .. i)
            owners[i] = pid == members[i]
          end
          return owners
        end
        return { main = main }
    """, {"member": """
        local function main(parent, name)
          local inbox = process.inbox()
          local next_pid = inbox:receive():payload():data()
          local registered = false
          while true do
            local n = inbox:receive():payload():data()
            if not registered then
              assert(process.registry.register(name))
              registered = true
            end
            if n == 0 then process.send(parent, "done", true)
            else process.send(next_pid, "token", n - 1) end
          end
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value == [True] * 5


def test_channel_internals_are_out_of_reach(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local ch = channel.new(4)
          ch:send(1)
          local inbox = process.inbox()
          local keys = 0
          for _ in pairs(ch) do keys = keys + 1 end
          local copy_ok = pcall(function()
            process.send(process.pid(), "ch", ch)
            local sent = inbox:receive():payload():data()
            return sent:receive()
          end)
          return {
            next = next(ch) == nil, rawlen = rawlen(ch), pairs = keys,
            metatable = getmetatable(ch), copy_usable = copy_ok, value = ch:receive(),
          }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == {"next": True, "rawlen": 0, "pairs": 0, "metatable": "channel",
                         "copy_usable": False, "value": 1}


def test_bursts_grow_and_wrap_the_run_queue(tmp_path: Path) -> None:
    # 3000 children become ready at once (more than the run queue's first ring), and
    # every child's reply wakes the parent again while others are queued.
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          for i = 1, 3000 do process.spawn("app:child", "app:processes", me, i) end
          local inbox = process.inbox()
          local sum = 0
          for _ = 1, 3000 do sum = sum + inbox:receive():payload():data() end
          return sum
        end
        return { main = main }
    """, {"child": """
        local function main(parent, i) process.send(parent, "n", i) end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value == 3000 * 3001 // 2


def test_long_backlogs_keep_sender_order(tmp_path: Path) -> None:
    # The sender appends 3 messages per turn, the receiver takes 2: a backlog that
    # never drains, consumed at one end while it grows at the other (the buffer
    # re-bases itself), and per-sender order holds throughout.
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          process.spawn("app:sender", "app:processes", me, 3000)
          local inbox = process.inbox()
          local expected, ok = 1, true
          for i = 1, 3000 do
            local n = inbox:receive():payload():data()
            if n ~= expected then ok = false end
            expected = expected + 1
            if i % 2 == 0 then time.sleep(0) end
          end
          return ok
        end
        return { main = main }
    """, {"sender": """
        local function main(parent, n)
          for i = 1, n do
            process.send(parent, "n", i)
            if i % 3 == 0 then time.sleep(0) end
          end
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value is True


def test_select_loops_with_a_case_that_never_fires(tmp_path: Path) -> None:
    # Every select parks on a channel that never fires; those registrations go
    # stale (and are pruned), and the loop still gets every message in order.
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          process.spawn("app:sender", "app:processes", me, 2000)
          local inbox, never = process.inbox(), channel.new()
          local got = {}
          while #got < 2000 do
            local r = channel.select { never:case_receive(), inbox:case_receive() }
            got[#got + 1] = r.value:payload():data()
          end
          return got[1] == 1 and got[2000] == 2000
        end
        return { main = main }
    """, {"sender": """
        local function main(parent, n)
          for i = 1, n do
            process.send(parent, "n", i)
            coroutine.yield()
          end
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value is True


def test_a_process_that_unlistened_can_deadlock(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local ch = process.listen("topic")
          process.unlisten(ch)
          channel.new():receive()
        end
        return { main = main }
    """)
    assert run.error is not None
    assert run.error.message == DEADLOCK


def test_messages_read_through_to_table_payloads_only(tmp_path: Path) -> None:
    # Methods first, then the payload table's fields; a message forwarded inside a
    # payload (deep-copied) behaves the same.
    run = run_main(tmp_path, """
        local function main()
          local me, inbox = process.pid(), process.inbox()
          process.send(me, "t", { approved = true, topic = "shadowed" })
          process.send(me, "n", 42)
          local t, n = inbox:receive(), inbox:receive()
          process.send(me, "fwd", { t = t, n = n })
          local fwd = inbox:receive():payload():data()
          local function view(m)
            return { approved = m.approved, topic = m:topic(), data = m:payload():data(),
                     missing = m.nope, meta = getmetatable(m) }
          end
          return { view(t), view(n), view(fwd.t), view(fwd.n) }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    table_view = {"approved": True, "topic": "t", "meta": "message",
                  "data": {"approved": True, "topic": "shadowed"}}
    number_view = {"topic": "n", "data": 42, "meta": "message"}
    assert run.value == [table_view, number_view, table_view, number_view]
