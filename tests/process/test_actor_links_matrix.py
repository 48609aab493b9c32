"""OTP-style exit signals: link/monitor × clean exit/error/terminate × trap_links."""

from __future__ import annotations

from pathlib import Path

import pytest
from actor_harness import run_main

# The child ends the way its argument says: "clean" returns, "error" raises,
# "wait" blocks on its inbox until it is terminated.
CHILD = """
local function main(how)
  if how == "clean" then return "done" end
  if how == "error" then error("child crashed") end
  process.inbox():receive()
end
return { main = main }
"""

PARENT = """
local function main(relation, how, trap)
  process.set_options({ trap_links = trap })
  local spawn = relation == "link" and process.spawn_linked or process.spawn_monitored
  local child = spawn("app:child", "app:processes", how)
  if how == "wait" then
    time.sleep("1s")
    process.terminate(child)
  end
  -- wait for an event, or for a quiet second
  local events = process.events()
  local r = channel.select { events:case_receive(), time.after("5s"):case_receive() }
  if r.channel ~= events then return { event = "none" } end
  local ev = r.value
  local err = ev.result and ev.result.error
  return { event = ev.kind, from_child = ev.from == child,
           value = ev.result and ev.result.value,
           error = err and err:message() or "",
           has_at = ev.at ~= nil and ev.at:unix() > 0 }
end
return { main = main }
"""

EXITS = {"clean": "clean", "error": "error", "terminate": "wait"}


@pytest.mark.parametrize("trap", [False, True], ids=["no_trap", "trap"])
@pytest.mark.parametrize("exit_kind", ["clean", "error", "terminate"])
def test_monitor_gets_exit_on_any_exit(tmp_path: Path, exit_kind: str, trap: bool) -> None:
    run = run_main(tmp_path, PARENT, {"child": CHILD}, "monitor", EXITS[exit_kind], trap)
    assert run.error is None, run.error
    v = run.value
    assert v["event"] == "pid.exit"
    assert v["from_child"] is True
    assert v["has_at"] is True
    if exit_kind == "clean":
        assert v == {"event": "pid.exit", "from_child": True, "value": "done", "error": "",
                     "has_at": True}
    elif exit_kind == "error":
        assert "child crashed" in v["error"]
    else:
        assert v["error"] == "process terminated"


@pytest.mark.parametrize("exit_kind", ["clean", "error", "terminate"])
def test_link_with_trap_links(tmp_path: Path, exit_kind: str) -> None:
    run = run_main(tmp_path, PARENT, {"child": CHILD}, "link", EXITS[exit_kind], True)
    assert run.error is None, run.error
    v = run.value
    if exit_kind == "clean":
        assert v == {"event": "none"}  # LINK_DOWN only on abnormal exits
        return
    assert v["event"] == "pid.link.down"
    assert v["from_child"] is True
    expected = "child crashed" if exit_kind == "error" else "process terminated"
    assert expected in v["error"]


@pytest.mark.parametrize("exit_kind", ["clean", "error", "terminate"])
def test_link_without_trap_links(tmp_path: Path, exit_kind: str) -> None:
    run = run_main(tmp_path, PARENT, {"child": CHILD}, "link", EXITS[exit_kind], False)
    if exit_kind == "clean":
        assert run.error is None
        assert run.value == {"event": "none"}
        return
    # the parent does not see an event: it fails with the link
    assert run.error is not None
    assert run.error.message == "linked process failed"
    assert run.value is None


def test_links_are_bidirectional(tmp_path: Path) -> None:
    """The parent dies: its linked child dies too; a third process watches the child."""
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          local parent = process.spawn_monitored("app:parent", "app:processes", me)
          local child = process.inbox():receive():payload():data()
          process.monitor(child)
          local seen = {}
          local events = process.events()
          for i = 1, 2 do
            local ev = events:receive()
            seen[ev.from == parent and "parent" or "child"] = ev.result.error:message()
          end
          return seen
        end
        return { main = main }
    """, {
        "parent": """
            local function main(observer)
              local child = process.spawn("app:child", "app:processes", "wait")
              process.link(child)
              process.send(observer, "child", child)
              time.sleep("1s")
              error("parent crashed")
            end
            return { main = main }
        """,
        "child": CHILD,
    })
    assert run.error is None, run.error
    assert "parent crashed" in run.value["parent"]
    assert run.value["child"] == "linked process failed"


def test_unlink_and_unmonitor(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local a = process.spawn_linked_monitored("app:child", "app:processes", "wait")
          process.unlink(a)
          process.unmonitor(a)
          process.terminate(a)
          local r = channel.select { process.events():case_receive(),
                                     time.after("2s"):case_receive() }
          return r.channel == process.events() and "event" or "quiet"
        end
        return { main = main }
    """, {"child": CHILD})
    assert run.error is None, run.error
    assert run.value == "quiet"


def test_monitor_and_link_of_a_dead_pid(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local dead = process.spawn("app:child", "app:processes", "clean")
          time.sleep("1ms")
          local ok1, err1 = process.link(dead)
          local ok2 = process.monitor(dead)
          local ev = process.events():receive()
          process.set_options({ trap_links = true })
          local ok3 = process.link(dead)
          local ev2 = process.events():receive()
          local ok4, err4 = process.monitor("no_such_name")
          return { link = { ok1, err1:kind() }, monitor = ok2,
                   exit = { ev.kind, ev.result.error:kind() },
                   trapped_link = { ok3, ev2.kind, ev2.result.error:kind() },
                   by_name = { ok4, err4:kind() } }
        end
        return { main = main }
    """, {"child": CHILD})
    assert run.error is None, run.error
    assert run.value == {
        "link": [False, "NotFound"],
        "monitor": True,
        "exit": ["pid.exit", "NotFound"],
        "trapped_link": [True, "pid.link.down", "NotFound"],
        "by_name": [False, "NotFound"],
    }


def test_failures_cascade_along_a_long_chain(tmp_path: Path) -> None:
    """200 processes linked in a chain: the last one fails, they all go (no recursion)."""
    run = run_main(tmp_path, """
        local function main()
          local first = process.spawn_monitored("app:link", "app:processes", 200)
          local ev = process.events():receive()
          time.sleep("1s")  -- let the cascade finish
          return ev.result.error:message()
        end
        return { main = main }
    """, {"link": """
        local function main(n)
          if n == 0 then
            time.sleep("1s")
            error("end of the chain")
          end
          process.spawn_linked("app:link", "app:processes", n - 1)
          process.inbox():receive()
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value == "linked process failed"
    assert list(run.node.scheduler.procs) == []  # main itself has ended too


def test_terminate_and_cancel(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          local stubborn = process.spawn_monitored("app:stubborn", "app:processes")
          local polite = process.spawn_monitored("app:polite", "app:processes", me)
          process.cancel(polite, "please stop")
          process.cancel(stubborn, "please stop")
          local reason = process.inbox():receive():payload():data()
          local ev = process.events():receive()
          -- the stubborn one ignores CANCEL (it never reads events) and keeps running
          time.sleep("3s")
          local ok = process.terminate(stubborn)
          local ev2 = process.events():receive()
          local ok2, err2 = process.terminate("nobody")
          local ok3 = process.terminate(stubborn)  -- already dead: dropped
          return { reason = reason, polite = ev.result.value,
                   stubborn = ev2.result.error:message(), ok = ok,
                   bad = err2:kind(), again = ok3 }
        end
        return { main = main }
    """, {
        "stubborn": """
            local function main() while true do time.sleep("1s") end end
            return { main = main }
        """,
        "polite": """
            local function main(observer)
              local ev = process.events():receive()
              process.send(observer, "reason", { ev.kind, ev.reason, ev.from == observer,
                                                 ev.at:unix() > 0 })
              return "stopped politely"
            end
            return { main = main }
        """,
    })
    assert run.error is None, run.error
    assert run.value == {
        "reason": ["pid.cancel", "please stop", True, True],
        "polite": "stopped politely",
        "stubborn": "process terminated",
        "ok": True,
        "bad": "NotFound",
        "again": True,
    }


def test_terminating_itself_stops_at_once(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          process.terminate(process.pid())
          io.print("still running")
          return "unreachable"
        end
        return { main = main }
    """)
    assert run.stdout == ""
    assert run.error is not None and run.error.message == "process terminated"


def test_terminating_a_linked_peer_takes_the_caller_down(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local peer = process.spawn_linked("app:child", "app:processes", "wait")
          process.terminate(peer)
          io.print("still running")
        end
        return { main = main }
    """, {"child": CHILD})
    assert run.stdout == ""
    assert run.error is not None and run.error.message == "linked process failed"


def test_options(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local before = process.get_options().trap_links
          local ok = process.set_options({ trap_links = true })
          local after = process.get_options().trap_links
          local bad, err = process.set_options({ upgradable = true })
          local bad2, err2 = process.set_options({ trap_links = "yes" })
          return { before, ok, after, bad, err:kind(), bad2, err2:kind(),
                   process.event.EXIT, process.event.LINK_DOWN, process.event.CANCEL }
        end
        return { main = main }
    """)
    assert run.value == [False, True, True, False, "Invalid", False, "Invalid",
                         "pid.exit", "pid.link.down", "pid.cancel"]
