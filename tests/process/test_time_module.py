"""The time module: sleep, after, timers, tickers, durations, Time and Location objects."""

from __future__ import annotations

from pathlib import Path

from actor_harness import run_main


def test_sleep_moves_the_clock_and_now(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local t0 = time.now()
          time.sleep("1h30m")
          local t1 = time.now()
          time.sleep(250 * time.MILLISECOND)
          time.sleep(time.parse_duration("2s"))
          time.sleep(0)
          time.sleep(1.5e9)  -- a float is nanoseconds too
          local d = time.now():sub(t0)
          return { t1:sub(t0):minutes(), d:nanoseconds(), tostring(d), t1:after(t0),
                   t0:before(t1), t0:equal(t0:add(0)), t0 < t1, t0 == t0:utc() }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    ns = (90 * 60 + 0.25 + 2 + 1.5) * 1e9
    assert run.value == [90.0, int(ns), "1h30m3.75s", True, True, True, True, True]
    assert run.elapsed == 90 * 60 + 3.75


def test_durations(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local d = time.parse_duration("1h15m30.5s")
          local bad, err = time.parse_duration("5d")
          local bad2, err2 = time.parse_duration({})
          local ok_sleep, sleep_err = pcall(time.sleep, "soon")
          return {
            hours = d:hours(), minutes = d:minutes(), seconds = d:seconds(),
            ms = d:milliseconds(), us = d:microseconds(), ns = d:nanoseconds(),
            str = d:string(), from_int = time.parse_duration(1500):string(),
            bad = { bad == nil, err:kind(), err:message() },
            bad2 = { bad2 == nil, err2:kind() },
            sleep = { ok_sleep, tostring(sleep_err) },
            units = { time.NANOSECOND, time.MICROSECOND, time.MILLISECOND, time.SECOND,
                      time.MINUTE, time.HOUR },
            rounded = d:round(time.MINUTE):string(),
            truncated = d:truncate(time.HOUR):string(),
            neg = time.parse_duration("-2s"):abs():string(),
          }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    v = run.value
    assert v["hours"] == 1 + 15 / 60 + 30.5 / 3600
    assert v["minutes"] == 75 + 30.5 / 60
    assert v["seconds"] == 4530.5
    assert v["ms"] == 4_530_500
    assert v["us"] == 4_530_500_000
    assert v["ns"] == 4_530_500_000_000
    assert v["str"] == "1h15m30.5s"
    assert v["from_int"] == "1.5µs"
    assert v["bad"][:2] == [True, "Invalid"] and "5d" in v["bad"][2]
    assert v["bad2"] == [True, "Invalid"]
    assert v["sleep"][0] is False and "time.sleep" in v["sleep"][1]
    assert v["units"] == [1, 1000, 10**6, 10**9, 60 * 10**9, 3600 * 10**9]
    assert v["rounded"] == "1h16m0s"
    assert v["truncated"] == "1h0m0s"
    assert v["neg"] == "2s"


def test_after_delivers_a_time(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local t0 = time.now()
          local ch = time.after("3s")
          local fired, ok = ch:receive()
          -- the classic timeout pattern
          local never = channel.new()
          local r = channel.select { never:case_receive(), time.after("1s"):case_receive() }
          return { fired:sub(t0):seconds(), ok, r.channel ~= never, getmetatable(fired) }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == [3.0, True, True, "time"]
    assert run.elapsed == 4.0


def test_timer_stop_and_reset(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local t0 = time.now()
          local function elapsed() return time.now():sub(t0):seconds() end
          local function fired(ch, within)
            local r = channel.select { ch:case_receive(), time.after(within):case_receive() }
            return r.channel == ch
          end
          local timer = time.timer("2s")
          local stopped = timer:stop()
          local stopped_again = timer:stop()
          local after_stop = fired(timer:response(), "5s")          -- t = 5
          local reset_dead = timer:reset("1s")                         -- inactive: false
          local got = fired(timer:channel(), "5s")                   -- t = 6
          local at_fire = elapsed()
          local stop_after_fire = timer:stop()
          local t2 = time.timer("10s")
          time.sleep("4s")                                             -- t = 10
          local reset_live = t2:reset("1s")                            -- active: true
          local got2 = fired(t2:response(), "30s")                   -- t = 11
          local bad, err = time.timer(0)
          local bad2, err2 = t2:reset("-1s")
          return { stopped, stopped_again, after_stop, reset_dead, got, at_fire,
                   stop_after_fire, reset_live, got2, elapsed(), bad == nil, err:kind(),
                   bad2, err2:kind(), timer:response() == timer:channel() }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == [True, False, False, False, True, 6.0, False, True, True, 11.0,
                         True, "Invalid", False, "Invalid", True]


def test_ticker(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local t0 = time.now()
          local ticker = time.ticker("500ms")
          local at = {}
          for i = 1, 3 do
            at[i] = ticker:response():receive():sub(t0):milliseconds()
          end
          time.sleep("2s")  -- a slow reader: ticks are dropped, one stays buffered
          local buffered = ticker:channel():receive():sub(t0):milliseconds()
          local stopped = ticker:stop()
          local r = channel.select { ticker:channel():case_receive(),
                                     time.after("3s"):case_receive() }
          local bad, err = time.ticker("0s")
          return { at, buffered, stopped, r.channel ~= ticker:channel(), bad == nil,
                   err:kind() }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    assert run.value == [[500, 1000, 1500], 2000, True, True, True, "Invalid"]


def test_time_values_and_formatting(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local t = time.date(2024, time.FEBRUARY, 29, 13, 4, 5, 123456789, time.utc)
          local y, m, d = t:date()
          local hh, mm, ss = t:clock()
          local paris, err = time.load_location("Europe/Paris")
          local nope, nerr = time.load_location("Mars/Olympus")
          local east = time.fixed_zone("EAST", 3 * 3600)
          local parsed, perr = time.parse(time.RFC3339, "2024-03-01T10:00:00+02:00")
          local bad, berr = time.parse(time.DATE_ONLY, "not a date")
          return {
            ymd = { y, m, d }, hms = { hh, mm, ss },
            fields = { t:year(), t:month(), t:day(), t:hour(), t:minute(), t:second(),
                       t:nanosecond(), t:weekday(), t:year_day() },
            rfc = t:format_rfc3339(), fmt = t:format("Mon Jan 2 15:04:05.000 2006"),
            date_only = t:format(time.DATE_ONLY),
            unix = t:unix(), unix_nano = t:unix_nano(),
            paris = t:in_location(paris):format("15:04 MST"), paris_name = paris:string(),
            nope = { nope == nil, nerr:kind() },
            east = t:in_location(east):format(time.RFC3339), east_loc = tostring(east),
            next_month = t:add_date(0, 1, 0):format(time.DATE_ONLY),
            parsed = parsed:utc():format(time.RFC3339), parsed_err = perr == nil,
            bad = { bad == nil, berr:kind() },
            trunc = t:truncate(time.HOUR):format(time.TIME_ONLY),
            round = t:round(time.MINUTE):format(time.TIME_ONLY),
            from_unix = time.unix(1700000000, 0):utc():format(time.RFC3339),
            zero = time.unix(0, 0):is_zero(), loc = t:location():string(),
            str = tostring(t),
          }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    v = run.value
    assert v["ymd"] == [2024, 2, 29] and v["hms"] == [13, 4, 5]
    assert v["fields"] == [2024, 2, 29, 13, 4, 5, 123456789, 4, 60]
    assert v["rfc"] == "2024-02-29T13:04:05Z"
    assert v["fmt"] == "Thu Feb 29 13:04:05.123 2024"
    assert v["date_only"] == "2024-02-29"
    assert v["unix"] == 1709211845
    assert v["unix_nano"] == 1709211845123456789
    assert v["paris"] == "14:04 CET" and v["paris_name"] == "Europe/Paris"
    assert v["nope"] == [True, "Invalid"]
    assert v["east"] == "2024-02-29T16:04:05+03:00" and v["east_loc"] == "EAST"
    assert v["next_month"] == "2024-03-29"
    assert v["parsed"] == "2024-03-01T08:00:00Z" and v["parsed_err"] is True
    assert v["bad"] == [True, "Invalid"]
    assert v["trunc"] == "13:00:00"
    assert v["round"] == "13:04:00"
    assert v["from_unix"] == "2023-11-14T22:13:20Z"
    assert v["zero"] is False and v["loc"] == "UTC"
    assert v["str"] == "2024-02-29 13:04:05.123456789 +0000 UTC"


def test_time_argument_errors(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local t = time.now()
          local function err(f) local ok, e = pcall(f); return ok == false and tostring(e) end
          return {
            sub = err(function() return t:sub(5) end),
            add = err(function() return t:add("soon") end),
            in_loc = err(function() return t:in_location("Paris") end),
            after = err(function() return time.after({}) end),
            date = err(function() return time.date(2024, "Feb", 1) end),
          }
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    v = run.value
    assert "expected a Time" in v["sub"]
    assert "time.add" in v["add"]
    assert "expected a Location" in v["in_loc"]
    assert "time.after" in v["after"]
    assert "integers" in v["date"]
