"""Tests for the Go-semantics time core (``wippy_py.host._gotime``).

Expected strings are what Go's ``time`` package prints for the same calls.
"""

from __future__ import annotations

import zoneinfo

import pytest

from wippy_py.durations import HOUR, MICROSECOND, MILLISECOND, MINUTE, SECOND
from wippy_py.host import _gotime as gt
from wippy_py.host._gotime import Duration, ParseError, Time

HAVE_NY = "America/New_York" in zoneinfo.available_timezones()
needs_tzdata = pytest.mark.skipif(not HAVE_NY, reason="no IANA zone data on this machine")

# 2006-01-02 15:04:05.123456789 UTC, a Monday.
REF = gt.date(2006, 1, 2, 15, 4, 5, 123456789, gt.UTC)
MST = gt.fixed_zone("MST", -7 * 3600)

LAYOUTS = {
    "LAYOUT": ("01/02 03:04:05PM '06 -0700", "01/02 03:04:05PM '06 +0000"),
    "ANSIC": ("Mon Jan _2 15:04:05 2006", "Mon Jan  2 15:04:05 2006"),
    "UNIX_DATE": ("Mon Jan _2 15:04:05 MST 2006", "Mon Jan  2 15:04:05 UTC 2006"),
    "RUBY_DATE": ("Mon Jan 02 15:04:05 -0700 2006", "Mon Jan 02 15:04:05 +0000 2006"),
    "RFC822": ("02 Jan 06 15:04 MST", "02 Jan 06 15:04 UTC"),
    "RFC822Z": ("02 Jan 06 15:04 -0700", "02 Jan 06 15:04 +0000"),
    "RFC850": ("Monday, 02-Jan-06 15:04:05 MST", "Monday, 02-Jan-06 15:04:05 UTC"),
    "RFC1123": ("Mon, 02 Jan 2006 15:04:05 MST", "Mon, 02 Jan 2006 15:04:05 UTC"),
    "RFC1123Z": ("Mon, 02 Jan 2006 15:04:05 -0700", "Mon, 02 Jan 2006 15:04:05 +0000"),
    "RFC3339": ("2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z"),
    "RFC3339_NANO": ("2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.123456789Z"),
    "KITCHEN": ("3:04PM", "3:04PM"),
    "STAMP": ("Jan _2 15:04:05", "Jan  2 15:04:05"),
    "STAMP_MILLI": ("Jan _2 15:04:05.000", "Jan  2 15:04:05.123"),
    "STAMP_MICRO": ("Jan _2 15:04:05.000000", "Jan  2 15:04:05.123456"),
    "STAMP_NANO": ("Jan _2 15:04:05.000000000", "Jan  2 15:04:05.123456789"),
    "DATE_TIME": ("2006-01-02 15:04:05", "2006-01-02 15:04:05"),
    "DATE_ONLY": ("2006-01-02", "2006-01-02"),
    "TIME_ONLY": ("15:04:05", "15:04:05"),
}


def ny() -> gt.Location:
    return gt.load_location("America/New_York")


# --- layouts and formatting ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_constant_is_gos_string(name: str) -> None:
    assert getattr(gt, name) == LAYOUTS[name][0]


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_format_each_layout_in_utc(name: str) -> None:
    assert REF.format(getattr(gt, name)) == LAYOUTS[name][1]


def test_format_reference_time_in_mst_reproduces_layouts() -> None:
    ref = gt.date(2006, 1, 2, 15, 4, 5, 0, MST)
    assert ref.format(gt.LAYOUT) == gt.LAYOUT
    assert ref.format(gt.UNIX_DATE) == "Mon Jan  2 15:04:05 MST 2006"
    assert ref.format(gt.RFC850) == gt.RFC850
    assert ref.format(gt.RFC1123Z) == gt.RFC1123Z
    assert ref.format(gt.RFC3339) == "2006-01-02T15:04:05-07:00"
    assert ref.format(gt.RFC3339_NANO) == "2006-01-02T15:04:05-07:00"
    assert ref.format(gt.STAMP_MILLI) == "Jan  2 15:04:05.000"
    assert str(ref) == "2006-01-02 15:04:05 -0700 MST"


def test_format_every_token() -> None:
    t = gt.date(2024, 3, 5, 7, 8, 9, 50_000_000, gt.fixed_zone("", 5 * 3600 + 30 * 60))
    layout = (
        "2006 06 01 1 Jan January 02 2 _2 15 03 3 04 4 05 5 PM pm Mon Monday "
        "MST -0700 -07:00 -07 Z0700 Z07:00 Z07 002 __2"
    )
    assert t.format(layout) == (
        "2024 24 03 3 Mar March 05 5  5 07 07 7 08 8 09 9 AM am Tue Tuesday "
        "+0530 +0530 +05:30 +05 +0530 +05:30 +05 065  65"
    )
    assert t.format("05.000|05.999|05.000000|05,999999999|05.9|05.0|05,000") == (
        "09.050|09.05|09.050000|09,05|09|09.0|09,050"
    )
    assert gt.date(2024, 1, 1, 23, 0, 0, 0).format("3PM 03pm") == "11PM 11pm"
    assert gt.date(2024, 1, 1, 0, 0).format("3:04PM") == "12:00AM"
    assert gt.date(2024, 1, 1, 12, 0).format("3:04PM") == "12:00PM"


def test_format_literals_and_quirks() -> None:
    t = gt.date(2024, 7, 4, 9, 5, 0)
    assert t.format("Month: Jan (Janx) Mondays") == "Month: Jul (Janx) Thursdays"
    assert t.format("x_2006") == "x_2024"
    assert t.format("Z07:00 Z0700 Z07 Z07:00:00 Z070000") == "Z Z Z Z Z"
    assert t.format("-07:00 -0700 -07 -07:00:00 -070000") == "+00:00 +0000 +00 +00:00:00 +000000"
    assert gt.date(-5, 1, 1).format("2006 06") == "-0005 05"
    lmt = gt.fixed_zone("LMT", -(4 * 3600 + 56 * 60 + 2))
    assert t.in_location(lmt).format("-07:00:00 -070000 Z07:00:00") == (
        "-04:56:02 -045602 -04:56:02"
    )


def test_format_rfc3339_and_str() -> None:
    assert REF.format_rfc3339() == "2006-01-02T15:04:05Z"
    assert str(REF) == "2006-01-02 15:04:05.123456789 +0000 UTC"
    assert str(gt.date(2024, 1, 1, 0, 0, 0, 0, gt.fixed_zone("", -3600))) == (
        "2024-01-01 00:00:00 -0100 -0100"
    )


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_parse_round_trip_each_layout(name: str) -> None:
    layout, text = LAYOUTS[name]
    parsed = gt.parse(layout, text)
    assert parsed.format(layout) == text
    if name in ("DATE_TIME", "RFC3339", "RFC1123", "RFC1123Z", "UNIX_DATE", "RUBY_DATE"):
        assert parsed.equal(REF.truncate(SECOND))
        assert parsed.location() == gt.UTC
    if name == "RFC3339_NANO":
        assert parsed == REF


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_parse_round_trip_each_layout_with_offset(name: str) -> None:
    layout = LAYOUTS[name][0]
    t = gt.date(2023, 11, 9, 21, 7, 3, 4_005_006, gt.fixed_zone("CET", 3600))
    text = t.format(layout)
    assert gt.parse(layout, text).format(layout) == text


def test_parse_defaults_and_partial_layouts() -> None:
    assert str(gt.parse(gt.KITCHEN, "3:04PM")) == "0000-01-01 15:04:00 +0000 UTC"
    assert str(gt.parse(gt.DATE_ONLY, "2024-02-29")) == "2024-02-29 00:00:00 +0000 UTC"
    jst = gt.fixed_zone("JST", 9 * 3600)
    t = gt.parse(gt.DATE_TIME, "2024-01-01 09:00:00", jst)
    assert t.location() == jst
    assert t.utc().format(gt.DATE_TIME) == "2024-01-01 00:00:00"


def test_parse_tokens() -> None:
    assert gt.parse("2006-002", "2024-060").date() == (2024, 2, 29)
    assert gt.parse("2006-002", "2023-060").date() == (2023, 3, 1)
    assert gt.parse("2006 __2", "2024   7").date() == (2024, 1, 7)
    assert gt.parse("06", "69").year() == 1969
    assert gt.parse("06", "68").year() == 2068
    assert gt.parse("Jan 2 2006", "feb 3 2021").date() == (2021, 2, 3)
    assert gt.parse("January _2, 2006", "MARCH  9, 2021").date() == (2021, 3, 9)
    assert gt.parse("3:04PM", "12:30AM").clock() == (0, 30, 0)
    assert gt.parse("3:04PM", "12:30PM").clock() == (12, 30, 0)
    assert gt.parse("3:04pm", "1:00pm").clock() == (13, 0, 0)
    assert gt.parse("1/2/06", "12/31/99").date() == (1999, 12, 31)
    # A fraction in the value is accepted after seconds even without one in the layout.
    assert gt.parse(gt.DATE_TIME, "2024-01-02 03:04:05.25").nanosecond() == 250_000_000
    assert gt.parse(gt.RFC3339_NANO, "2024-01-02T03:04:05Z").nanosecond() == 0
    assert gt.parse("05,000", "07,123").nanosecond() == 123_000_000
    # Go ignores the weekday's value (only its spelling is checked).
    assert gt.parse(gt.RFC1123, "Fri, 02 Jan 2006 15:04:05 UTC").weekday() == gt.MONDAY


def test_parse_zones() -> None:
    t = gt.parse(gt.RFC3339, "2024-01-02T03:04:05+05:30")
    assert t.utc().format(gt.RFC3339) == "2024-01-01T21:34:05Z"
    assert t.zone() == ("", 19800)
    assert str(t) == "2024-01-02 03:04:05 +0530 +0530"
    assert gt.parse(gt.RFC3339, "2024-01-02T03:04:05+00:00").location() == gt.UTC
    jst = gt.fixed_zone("JST", 9 * 3600)
    assert gt.parse(gt.RFC3339, "2024-01-02T03:04:05Z", jst).location() == gt.UTC
    assert gt.parse(gt.RFC3339, "2024-01-02T03:04:05+09:00", jst).location() == jst
    assert gt.parse("15:04 -07:00:00", "10:00 -04:56:02").zone() == ("", -17762)
    # An abbreviation the location does not know becomes a zone with offset 0 (as in Go).
    edt = gt.parse(gt.RFC1123, "Mon, 01 Jul 2024 12:00:00 EDT")
    assert edt.zone() == ("EDT", 0)
    assert edt.format(gt.RFC1123) == "Mon, 01 Jul 2024 12:00:00 EDT"
    assert gt.parse("15:04 MST", "10:00 JST", jst).utc().clock() == (1, 0, 0)
    # GMT+N carries its hour offset; the wall clock is kept.
    gmt = gt.parse("15:04 MST", "12:00 GMT+3")
    assert gmt.zone() == ("GMT+3", 10800)
    assert gmt.utc().clock() == (9, 0, 0)


PARSE_ERRORS = [
    (gt.DATE_ONLY, "x", 'parsing time "x" as "2006-01-02": cannot parse "x" as "2006"'),
    (
        gt.RFC3339,
        "2024-01-02 03:04:05Z",
        'parsing time "2024-01-02 03:04:05Z" as "2006-01-02T15:04:05Z07:00": '
        'cannot parse " 03:04:05Z" as "T"',
    ),
    (gt.DATE_ONLY, "2024-13-01", 'parsing time "2024-13-01": month out of range'),
    (gt.DATE_ONLY, "2024-02-30", 'parsing time "2024-02-30": day out of range'),
    (gt.DATE_ONLY, "2023-02-29", 'parsing time "2023-02-29": day out of range'),
    (gt.DATE_ONLY, "2024-01-01 junk", 'parsing time "2024-01-01 junk": extra text: " junk"'),
    (gt.TIME_ONLY, "24:00:00", 'parsing time "24:00:00": hour out of range'),
    (gt.TIME_ONLY, "23:60:00", 'parsing time "23:60:00": minute out of range'),
    (gt.TIME_ONLY, "23:59:60", 'parsing time "23:59:60": second out of range'),
    (gt.KITCHEN, "13:04PM", 'parsing time "13:04PM": hour out of range'),
    (gt.KITCHEN, "3:04pm", 'parsing time "3:04pm" as "3:04PM": cannot parse "pm" as "PM"'),
    (
        gt.DATE_ONLY,
        "2024-1-02",
        'parsing time "2024-1-02" as "2006-01-02": cannot parse "1-02" as "01"',
    ),
    (
        gt.STAMP_MILLI,
        "Jan  2 15:04:05.12",
        'parsing time "Jan  2 15:04:05.12" as "Jan _2 15:04:05.000": cannot parse ".12" as ".000"',
    ),
    (
        gt.RFC1123,
        "Xyz, 02 Jan 2006 15:04:05 UTC",
        'parsing time "Xyz, 02 Jan 2006 15:04:05 UTC" as "Mon, 02 Jan 2006 15:04:05 MST": '
        'cannot parse "Xyz, 02 Jan 2006 15:04:05 UTC" as "Mon"',
    ),
    (
        gt.RFC3339,
        "2024-01-02T03:04:05+0530",
        'parsing time "2024-01-02T03:04:05+0530" as "2006-01-02T15:04:05Z07:00": '
        'cannot parse "+0530" as "Z07:00"',
    ),
    ("2006-002", "2023-366", 'parsing time "2023-366": day-of-year out of range'),
    ("2006-01-002", "2024-03-060", 'parsing time "2024-03-060": day-of-year does not match month'),
    (gt.DATE_ONLY, 'a"b', 'parsing time "a\\"b" as "2006-01-02": cannot parse "a\\"b" as "2006"'),
]


@pytest.mark.parametrize(("layout", "value", "message"), PARSE_ERRORS)
def test_parse_errors(layout: str, value: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        gt.parse(layout, value)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


# --- calendar arithmetic ------------------------------------------------------------------


def test_date_normalises_like_go() -> None:
    assert gt.date(2023, 13, 1).date() == (2024, 1, 1)
    assert gt.date(2023, 0, 1).date() == (2022, 12, 1)
    assert gt.date(2024, -1, 1).date() == (2023, 11, 1)
    assert gt.date(2023, 1, 32).date() == (2023, 2, 1)
    assert gt.date(2023, 2, 29).date() == (2023, 3, 1)
    assert gt.date(2023, 3, 0).date() == (2023, 2, 28)
    assert str(gt.date(2023, 1, 1, 25)) == "2023-01-02 01:00:00 +0000 UTC"
    assert str(gt.date(2023, 1, 1, 0, -1)) == "2022-12-31 23:59:00 +0000 UTC"
    assert str(gt.date(2023, 1, 1, 0, 0, 60)) == "2023-01-01 00:01:00 +0000 UTC"
    assert str(gt.date(2023, 1, 1, 0, 0, 0, -1)) == "2022-12-31 23:59:59.999999999 +0000 UTC"
    assert gt.date(2023, 1, 1, 0, 0, 0, 2 * SECOND).clock() == (0, 0, 2)


def test_add_date_normalises_like_go() -> None:
    assert gt.date(2023, 10, 31).add_date(0, 1, 0).date() == (2023, 12, 1)
    assert gt.date(2024, 2, 29).add_date(1, 0, 0).date() == (2025, 3, 1)
    assert gt.date(2024, 1, 31).add_date(0, 1, 0).date() == (2024, 3, 2)
    assert gt.date(2023, 3, 31).add_date(0, -1, 0).date() == (2023, 3, 3)
    assert gt.date(2024, 3, 1).add_date(0, 0, -1).date() == (2024, 2, 29)
    jst = gt.fixed_zone("JST", 9 * 3600)
    t = gt.date(2023, 3, 25, 12, 30, 15, 7, jst).add_date(1, 2, 3)
    assert str(t) == "2024-05-28 12:30:15.000000007 +0900 JST"


def test_add_sub_and_comparisons() -> None:
    a = gt.date(2024, 1, 1)
    b = a.add(90 * MINUTE)
    assert b.clock() == (1, 30, 0)
    assert b.sub(a) == 90 * MINUTE
    assert a.sub(b) == -90 * MINUTE
    assert a.before(b) and b.after(a) and not a.after(b)
    assert a.compare(b) == -1 and b.compare(a) == 1 and a.compare(a) == 0
    assert gt.zero_time().sub(gt.date(9999, 1, 1)) == -(2**63)
    assert gt.date(9999, 1, 1).sub(gt.zero_time()) == 2**63 - 1


def test_weekday_year_day_iso_week() -> None:
    assert REF.weekday() == gt.MONDAY
    assert gt.date(2024, 12, 31).weekday() == gt.TUESDAY
    assert gt.date(2024, 12, 31).year_day() == 366
    assert gt.date(2023, 12, 31).year_day() == 365
    assert gt.date(2024, 3, 1).year_day() == 61
    assert gt.date(1970, 1, 1).weekday() == gt.THURSDAY
    assert gt.date(2000, 1, 1).weekday() == gt.SATURDAY
    assert gt.date(2021, 1, 1).iso_week() == (2020, 53)
    assert gt.date(2024, 12, 30).iso_week() == (2025, 1)
    assert gt.date(2006, 1, 2).iso_week() == (2006, 1)
    assert gt.month_name(gt.DECEMBER) == "December"
    assert gt.weekday_name(gt.SUNDAY) == "Sunday"
    assert gt.month_name(13) == "%!Month(13)"


def test_field_accessors() -> None:
    assert REF.date() == (2006, 1, 2)
    assert REF.clock() == (15, 4, 5)
    assert (REF.year(), REF.month(), REF.day()) == (2006, gt.JANUARY, 2)
    assert (REF.hour(), REF.minute(), REF.second(), REF.nanosecond()) == (15, 4, 5, 123456789)
    assert REF.zone() == ("UTC", 0)


def test_round_and_truncate_go_examples() -> None:
    t = gt.date(0, 0, 0, 12, 15, 30, 918273645)
    expected_round = [
        (1, "12:15:30.918273645"),
        (MICROSECOND, "12:15:30.918274"),
        (MILLISECOND, "12:15:30.918"),
        (SECOND, "12:15:31"),
        (2 * SECOND, "12:15:30"),
        (MINUTE, "12:16:00"),
        (10 * MINUTE, "12:20:00"),
        (HOUR, "12:00:00"),
    ]
    for d, text in expected_round:
        assert t.round(d).format("15:04:05.999999999") == text
    t = gt.parse("2006 Jan 02 15:04:05", "2012 Dec 07 12:15:30.918273645")
    expected_trunc = [
        (1, "12:15:30.918273645"),
        (MICROSECOND, "12:15:30.918273"),
        (MILLISECOND, "12:15:30.918"),
        (SECOND, "12:15:30"),
        (2 * SECOND, "12:15:30"),
        (MINUTE, "12:15:00"),
        (10 * MINUTE, "12:10:00"),
    ]
    for d, text in expected_trunc:
        assert t.truncate(d).format("15:04:05.999999999") == text
    assert t.round(0) is t and t.truncate(-1) is t


def test_round_halves_up_and_is_relative_to_zero_time() -> None:
    assert gt.date(2024, 1, 1, 0, 0, 0, 500_000_000).round(SECOND).clock() == (0, 0, 1)
    assert gt.date(0, 12, 31, 23, 59, 59, 500_000_000).round(SECOND).is_zero()
    assert gt.date(2024, 1, 1, 0, 0, 0, 499_999_999).round(SECOND).clock() == (0, 0, 0)
    jst = gt.fixed_zone("JST", 9 * 3600)
    day = gt.date(2024, 7, 1, 12, 0, 0, 0, jst).truncate(24 * HOUR)
    assert str(day) == "2024-07-01 09:00:00 +0900 JST"  # midnight UTC, not local


# --- unix, zero time, now -----------------------------------------------------------------


def test_unix_round_trips() -> None:
    t = gt.unix(1_700_000_000, 5, gt.UTC)
    assert t.format(gt.RFC3339_NANO) == "2023-11-14T22:13:20.000000005Z"
    assert t.unix() == 1_700_000_000
    assert t.unix_nano() == 1_700_000_000_000_000_005
    assert t.unix_milli() == 1_700_000_000_000
    assert gt.from_unix_nano(t.unix_nano(), gt.UTC) == t
    before = gt.unix(0, -1, gt.UTC)
    assert str(before) == "1969-12-31 23:59:59.999999999 +0000 UTC"
    assert (before.unix(), before.unix_milli(), before.unix_micro()) == (-1, -1, -1)
    assert before.nanosecond() == 999_999_999
    assert gt.unix(1, 2 * SECOND, gt.UTC).unix() == 3
    assert gt.unix(0).location() is gt.LOCAL
    assert gt.from_unix_nano(0).location() is gt.LOCAL
    assert gt.unix(0).utc() == gt.from_unix_nano(0, gt.UTC)


def test_zero_time() -> None:
    z = gt.zero_time()
    assert z.is_zero()
    assert str(z) == "0001-01-01 00:00:00 +0000 UTC"
    assert z.unix() == -62135596800
    assert z == gt.date(1, 1, 1)
    assert z.weekday() == gt.MONDAY and z.year_day() == 1
    assert z.in_location(gt.fixed_zone("JST", 9 * 3600)).is_zero()
    assert not z.add(1).is_zero()
    assert not gt.unix(0, 0, gt.UTC).is_zero()


def test_now_uses_injected_clock_only() -> None:
    t = gt.now(lambda: 1_700_000_000_000_000_000)
    assert t.location() is gt.LOCAL
    assert t.utc().format_rfc3339() == "2023-11-14T22:13:20Z"
    assert gt.now(lambda: 0, gt.UTC) == gt.unix(0, 0, gt.UTC)
    assert isinstance(gt.now(), Time)


def test_nothing_else_reads_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def boom() -> int:
        raise AssertionError("wall clock read")

    monkeypatch.setattr(time, "time_ns", boom)
    monkeypatch.setattr(time, "time", boom)
    gt.parse(gt.RFC3339, "2024-01-02T03:04:05Z").add_date(0, 1, 0).round(HOUR).format(gt.ANSIC)
    gt.date(2024, 1, 1).in_local().format(gt.UNIX_DATE)


# --- locations ----------------------------------------------------------------------------


def test_fixed_zones_and_equality() -> None:
    jst = gt.fixed_zone("JST", 9 * 3600)
    t = gt.date(2024, 1, 1, 0, 0, 0, 0, jst)
    assert t.utc().format(gt.DATE_TIME) == "2023-12-31 15:00:00"
    assert str(t) == "2024-01-01 00:00:00 +0900 JST"
    assert t.format(gt.RFC3339) == "2024-01-01T00:00:00+09:00"
    assert t.location() == jst and str(jst) == "JST"
    assert t.equal(t.utc()) and t != t.utc()
    assert len({t, t.in_location(jst), t.utc()}) == 2
    assert t.in_location(gt.UTC) == t.utc()
    assert t.in_local().location() is gt.LOCAL


def test_load_location_special_names_and_errors() -> None:
    assert gt.load_location("") is gt.UTC
    assert gt.load_location("UTC") is gt.UTC
    assert gt.load_location("Local") is gt.LOCAL
    with pytest.raises(ValueError, match=r"^unknown time zone Mars/Olympus$"):
        gt.load_location("Mars/Olympus")
    with pytest.raises(ValueError):
        gt.load_location("../etc/passwd")


@needs_tzdata
def test_iana_zone_with_dst() -> None:
    zone = ny()
    assert zone.name == "America/New_York"
    summer = gt.date(2024, 7, 1, 12, 0, 0, 0, zone)
    winter = gt.date(2024, 1, 15, 12, 0, 0, 0, zone)
    assert str(summer) == "2024-07-01 12:00:00 -0400 EDT"
    assert str(winter) == "2024-01-15 12:00:00 -0500 EST"
    assert summer.zone() == ("EDT", -4 * 3600)
    assert summer.utc().clock() == (16, 0, 0)
    assert gt.unix(1_700_000_000, 0, zone).format(gt.RFC1123Z) == "Tue, 14 Nov 2023 17:13:20 -0500"


@needs_tzdata
def test_iana_zone_transitions_follow_go() -> None:
    zone = ny()
    # In the spring gap Go picks the offset before the transition: 2:30 EDT == 1:30 EST.
    assert gt.date(2024, 3, 10, 2, 30, 0, 0, zone).format(gt.RFC3339) == "2024-03-10T01:30:00-05:00"
    assert gt.date(2024, 3, 10, 3, 0, 0, 0, zone).format(gt.RFC3339) == "2024-03-10T03:00:00-04:00"
    # In the autumn overlap Go picks the first (daylight) occurrence.
    assert gt.date(2024, 11, 3, 1, 30, 0, 0, zone).format(gt.RFC3339) == "2024-11-03T01:30:00-04:00"
    start = gt.date(2024, 3, 9, 12, 0, 0, 0, zone)
    assert start.add(24 * HOUR).format(gt.RFC3339) == "2024-03-10T13:00:00-04:00"
    next_day = start.add_date(0, 0, 1)
    assert next_day.format(gt.RFC3339) == "2024-03-10T12:00:00-04:00"
    assert next_day.sub(start) == 23 * HOUR
    assert gt.date(1850, 1, 1, 0, 0, 0, 0, zone).format("MST -07:00:00") == "LMT -04:56:02"


@needs_tzdata
def test_parse_in_iana_zone() -> None:
    zone = ny()
    t = gt.parse(gt.DATE_TIME, "2024-07-01 12:00:00", zone)
    assert t.location() == zone and t.utc().clock() == (16, 0, 0)
    abbrev = gt.parse(gt.RFC1123, "Mon, 01 Jul 2024 12:00:00 EDT", zone)
    assert abbrev.location() == zone and abbrev.equal(t)
    est = gt.parse(gt.RFC1123, "Mon, 15 Jan 2024 12:00:00 EST", zone)
    assert est.utc().clock() == (17, 0, 0)
    numeric = gt.parse(gt.RFC1123Z, "Mon, 01 Jul 2024 12:00:00 -0400", zone)
    assert numeric.location() == zone and numeric.equal(t)
    other = gt.parse(gt.RFC1123Z, "Mon, 01 Jul 2024 12:00:00 -0500", zone)
    assert other.zone() == ("", -5 * 3600)
    assert gt.parse(gt.UNIX_DATE, "Mon Jul  1 12:00:00 UTC 2024", zone).location() == gt.UTC


# --- durations ----------------------------------------------------------------------------


def test_duration_units() -> None:
    assert Duration(4 * HOUR + 30 * MINUTE).hours() == 4.5
    assert Duration(HOUR + 30 * MINUTE).minutes() == 90.0
    assert Duration(MINUTE + 30 * SECOND).seconds() == 90.0
    assert Duration(-1500 * MILLISECOND).seconds() == -1.5
    assert Duration(SECOND).milliseconds() == 1000
    assert Duration(SECOND).microseconds() == 1_000_000
    assert Duration(SECOND).nanoseconds() == SECOND
    assert Duration(-1500).microseconds() == -1
    assert Duration(-1).milliseconds() == 0
    assert int(Duration(7)) == 7
    assert Duration.parse("1h30m") == Duration(90 * MINUTE)


def test_duration_string() -> None:
    assert str(Duration(HOUR + 15 * MINUTE + 30 * SECOND + 918273645)) == "1h15m30.918273645s"
    assert str(Duration(1500 * MILLISECOND)) == "1.5s"
    assert str(Duration(0)) == "0s"
    assert str(Duration(-2 * MICROSECOND)) == "-2µs"


def test_duration_round_truncate_go_examples() -> None:
    d = Duration(HOUR + 15 * MINUTE + 30 * SECOND + 918273645)
    cases = [
        (1, "1h15m30.918273645s", "1h15m30.918273645s"),
        (MICROSECOND, "1h15m30.918274s", "1h15m30.918273s"),
        (MILLISECOND, "1h15m30.918s", "1h15m30.918s"),
        (SECOND, "1h15m31s", "1h15m30s"),
        (2 * SECOND, "1h15m30s", "1h15m30s"),
        (MINUTE, "1h16m0s", "1h15m0s"),
        (10 * MINUTE, "1h20m0s", "1h10m0s"),
        (HOUR, "1h0m0s", "1h0m0s"),
    ]
    for m, rounded, truncated in cases:
        assert str(d.round(m)) == rounded
        assert str(d.truncate(m)) == truncated


def test_duration_round_negative_abs_and_overflow() -> None:
    assert Duration(-1500 * MILLISECOND).round(SECOND) == Duration(-2 * SECOND)
    assert Duration(-1400 * MILLISECOND).round(SECOND) == Duration(-SECOND)
    assert Duration(-1500 * MILLISECOND).truncate(SECOND) == Duration(-SECOND)
    assert Duration(5).round(0) == Duration(5) and Duration(5).truncate(-1) == Duration(5)
    assert Duration(2**63 - 1).round(HOUR) == Duration(2**63 - 1)
    assert Duration(-(2**63)).round(HOUR) == Duration(-(2**63))
    assert Duration(-5).abs() == Duration(5)
    assert Duration(-(2**63)).abs() == Duration(2**63 - 1)
    assert Duration(1) < Duration(2)
