"""coroutine.spawn, the end of main killing spawned coroutines, and deadlock detection."""

from __future__ import annotations

from pathlib import Path

from actor_harness import run_main

DEADLOCK = "deadlock: all coroutines blocked with no pending operations"


def test_spawned_coroutines_run_concurrently(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local results = channel.new(10)
          for i = 1, 3 do
            coroutine.spawn(function(n)
              time.sleep(n * 100 * time.MILLISECOND)
              results:send(n)
            end, 4 - i)
          end
          local order = {}
          for i = 1, 3 do order[i] = results:receive() end
          return order
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == [1, 2, 3]  # ordered by their sleeps, not by spawn order
    assert run.elapsed == 0.3  # concurrent: the longest sleep, on the virtual clock


def test_main_returning_ends_spawned_coroutines(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          local worker = process.spawn_monitored("app:forker", "app:processes", me)
          local inbox = process.inbox()
          local ticks = 0
          local events = process.events()
          local exited = false
          local deadline = time.after("10s")
          while true do
            local r = channel.select { inbox:case_receive(), events:case_receive(),
                                       deadline:case_receive() }
            if r.channel == inbox then ticks = ticks + 1
            elseif r.channel == events then exited = true
            else break end
          end
          return { ticks = ticks, exited = exited }
        end
        return { main = main }
    """, {"forker": """
        local function main(observer)
          coroutine.spawn(function()
            while true do
              process.send(observer, "tick")
              time.sleep("1s")
            end
          end)
          time.sleep("2500ms")
          return "main done"
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    # ticks at 0s, 1s, 2s; main returns at 2.5s and the coroutine dies with it
    assert run.value == {"ticks": 3, "exited": True}


def test_failing_spawned_coroutine_fails_the_process(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          coroutine.spawn(function() error("worker broke") end)
          time.sleep("1s")
          return "unreachable"
        end
        return { main = main }
    """)
    assert run.error is not None and "worker broke" in run.error.message


def test_spawn_needs_a_function(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local ok, err = pcall(coroutine.spawn, 42)
          return tostring(err)
        end
        return { main = main }
    """)
    assert "coroutine.spawn expects a function" in run.value


def test_deadlock_on_a_channel_nobody_sends_to(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local ch = channel.new()
          coroutine.spawn(function() ch:receive() end)
          ch:receive()
        end
        return { main = main }
    """)
    assert run.error is not None
    assert run.error.message == DEADLOCK


def test_deadlock_is_found_after_a_timer_fires_unread(tmp_path: Path) -> None:
    """A pending timer keeps the process alive; once it fired into a channel nobody
    reads, nothing can wake the process any more."""
    run = run_main(tmp_path, """
        local function main()
          local unused = time.after("2s")
          channel.new():receive()
        end
        return { main = main }
    """)
    assert run.error is not None and run.error.message == DEADLOCK
    assert run.elapsed == 2.0


def test_no_deadlock_while_an_operation_is_pending(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local ch = channel.new()
          coroutine.spawn(function()
            time.sleep("5s")
            ch:send("late but fine")
          end)
          return ch:receive()
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == "late but fine"


def test_no_deadlock_while_subscribed_to_the_inbox(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          process.spawn("app:late", "app:processes", me)
          return process.inbox():receive():payload():data()
        end
        return { main = main }
    """, {"late": """
        local function main(target)
          time.sleep("1h")
          process.send(target, "hi", "an hour later")
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value == "an hour later"
    assert run.elapsed == 3600.0


def test_runtime_yields_pass_through_user_coroutines(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local gen = coroutine.wrap(function()
            for i = 1, 3 do
              time.sleep("1s")  -- a runtime yield inside a user coroutine
              coroutine.yield(i)
            end
          end)
          return { gen(), gen(), gen(), process.pid() ~= "" }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == [1, 2, 3, True]
    assert run.elapsed == 3.0
