"""process.send / inbox / listen routing, payload packing, per-sender order, bad input."""

from __future__ import annotations

from pathlib import Path

from actor_harness import run_main

ECHO = """
local function main()
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    local payload = msg:payload()  -- nil when the message carried no payload
    process.send(msg:from(), "echo", msg:topic(), payload and payload:data())
  end
end
return { main = main }
"""


def test_pid_format_and_self_send(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          process.send(me, "note", "hi")
          local msg = process.inbox():receive()
          return { me = me, id = process.id(), topic = msg:topic(), from = msg:from(),
                   data = msg:payload():data(), field = msg.nope }
        end
        return { main = main }
    """)
    assert run.error is None
    me = run.value["me"]
    assert me.startswith("{wippy:terminal|0x") and me.endswith("}")
    assert run.value == {"me": me, "id": me, "topic": "note", "from": me, "data": "hi"}


def test_payload_packing_one_several_none(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local echo = process.spawn("app:echo", "app:processes")
          local inbox = process.inbox()
          process.send(echo, "one", 42)
          process.send(echo, "many", 1, "two", { three = 3 })
          process.send(echo, "none")
          local out = {}
          for i = 1, 3 do
            local reply = inbox:receive():payload():data()
            local topic, data = reply[1], reply[2]
            out[topic] = data == nil and "nil" or data
          end
          return out
        end
        return { main = main }
    """, {"echo": ECHO})
    assert run.error is None, run.error
    assert run.value == {"one": 42, "many": [1, "two", {"three": 3}], "none": "nil"}


def test_several_payloads_are_a_table_of_payloads(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          process.send(process.pid(), "many", 1, nil, "three")
          process.send(process.pid(), "one", {1, 2})
          local inbox = process.inbox()
          local many, one = inbox:receive():payload(), inbox:receive():payload()
          return {count = #many, first = many[1]:data(), second = many[2]:data() == nil,
                  third = many[3]:data(), whole = many:data()[3],
                  one_is_payload = getmetatable(one) == "payload", one = one:data()}
        end
        return { main = main }
    """, {})
    assert run.error is None, run.error
    assert run.value == {"count": 3, "first": 1, "second": True, "third": "three",
                         "whole": "three", "one_is_payload": True, "one": [1, 2]}


def test_sent_tables_are_copies(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local echo = process.spawn("app:echo", "app:processes")
          local t = { n = 1 }
          process.send(echo, "t", t)
          t.n = 2
          local back = process.inbox():receive():payload():data()[2]
          return { back.n, t.n }
        end
        return { main = main }
    """, {"echo": ECHO})
    assert run.value == [1, 2]


def test_sending_a_function_is_an_error(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local ok, err = pcall(process.send, process.pid(), "f", function() end)
          return { ok, tostring(err) }
        end
        return { main = main }
    """)
    assert run.value[0] is False
    assert "cannot send a function" in run.value[1]


def test_bad_destinations_and_topics(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local dead = process.spawn("app:quick", "app:processes")
          coroutine.yield()
          time.sleep("1ms")
          local function try(...)
            local ok, err = process.send(...)
            return { tostring(ok), err and err:kind() or "", err and err:message() or "" }
          end
          return {
            unknown_name = try("nobody", "t", 1),
            dead_pid = try(dead, "t", 1),
            at_topic = try(process.pid(), "@inbox", 1),
            empty_topic = try(process.pid(), "", 1),
            number_topic = try(process.pid(), 5, 1),
            table_dest = try({}, "t", 1),
          }
        end
        return { main = main }
    """, {"quick": "return { main = function() end }"})
    assert run.error is None, run.error
    v = run.value
    assert v["unknown_name"] == ["false", "NotFound", "could not resolve: nobody"]
    assert v["dead_pid"] == ["true", "", ""]
    assert v["at_topic"] == ["false", "Invalid", "cannot send to @ topics"]
    assert v["empty_topic"][:2] == ["false", "Invalid"]
    assert v["number_topic"][:2] == ["false", "Invalid"]
    assert v["table_dest"][:2] == ["false", "Invalid"]


def test_messages_from_one_sender_arrive_in_order(tmp_path: Path) -> None:
    sender = """
    local function main(target, tag, count)
      for i = 1, count do
        process.send(target, "seq", tag, i)
        if i % 7 == 0 then time.sleep(0) end  -- interleave with the other sender
      end
    end
    return { main = main }
    """
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          local inbox = process.inbox()
          process.spawn("app:sender", "app:processes", me, "a", 300)
          process.spawn("app:sender", "app:processes", me, "b", 300)
          local last, order = { a = 0, b = 0 }, {}
          for i = 1, 600 do
            local d = inbox:receive():payload():data()
            local tag, n = d[1], d[2]
            if n ~= last[tag] + 1 then return "out of order: " .. tag .. " " .. n end
            last[tag] = n
            order[#order + 1] = tag
          end
          -- the two streams really interleaved
          local switches = 0
          for i = 2, #order do if order[i] ~= order[i - 1] then switches = switches + 1 end end
          return { last.a, last.b, switches > 10 }
        end
        return { main = main }
    """, {"sender": sender})
    assert run.error is None, run.error
    assert run.value == [300, 300, True]


def test_messages_wait_queued_until_the_inbox_is_subscribed(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          process.send(me, "first", 1)
          process.send(me, "second", 2)
          -- nobody subscribed yet: both stay queued, in order
          local inbox = process.inbox()
          local a, b = inbox:receive(), inbox:receive()
          return { a:topic(), b:topic() }
        end
        return { main = main }
    """)
    assert run.value == ["first", "second"]


def test_listen_takes_its_topic_before_the_inbox(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          local inbox = process.inbox()
          local jobs = process.listen("job")
          local raw_msgs = process.listen("msg", { message = true })
          process.send(me, "other", "to inbox")
          process.send(me, "job", "a", "b")
          process.send(me, "msg", 7)
          local job = jobs:receive()
          local m = raw_msgs:receive()
          local other = inbox:receive()
          -- after unlisten, the topic falls back to the inbox
          process.unlisten(jobs)
          process.send(me, "job", "late")
          local late = inbox:receive()
          local _, ok = jobs:receive()
          return { job = job, m_topic = m:topic(), m_data = m:payload():data(),
                   other = other:payload():data(), late = late:topic(),
                   closed = ok == false }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == {"job": ["a", "b"], "m_topic": "msg", "m_data": 7,
                         "other": "to inbox", "late": "job", "closed": True}


def test_message_for_an_unsubscribed_topic_waits_for_listen(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local me = process.pid()
          process.send(me, "special", "early")
          time.sleep("10ms")
          local ch = process.listen("special")
          return ch:receive()
        end
        return { main = main }
    """)
    assert run.value == "early"


def test_listen_bad_topics(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local function try(topic)
            local ch, err = process.listen(topic)
            return { ch == nil, err and err:kind() or "" }
          end
          process.listen("dup")
          return { empty = try(""), at = try("@x"), dup = try("dup") }
        end
        return { main = main }
    """)
    assert run.value == {"empty": [True, "Invalid"], "at": [True, "Invalid"],
                         "dup": [True, "Invalid"]}


def test_inbox_returns_the_same_channel(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local a, b = process.inbox(), process.inbox()
          local e1, e2 = process.events(), process.events()
          process.send(process.pid(), "x", 1)
          local r = channel.select { a:case_receive(), e1:case_receive() }
          return { a == b, e1 == e2, r.channel == b }
        end
        return { main = main }
    """)
    assert run.value == [True, True, True]
