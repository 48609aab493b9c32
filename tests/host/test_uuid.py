"""Tests for the Python core of the ``uuid`` host module."""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import uuid as std_uuid

import pytest

from wippy_py.host import _uuid as u

STD_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SAMPLE = "886313e1-3b8a-5372-9b90-0c9aee199e5d"
DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


def counting_bytes(n: int) -> bytes:
    return bytes(range(n))


# ----------------------------------------------------------------------------- v3 / v5


@pytest.mark.parametrize(
    ("fn", "namespace", "name", "expected"),
    [
        (u.v5, DNS, "python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d"),
        (u.v3, DNS, "python.org", "6fa459ea-ee8a-3ca4-894e-db77e160355e"),
        (u.v5, "dns", "python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d"),
        (u.v3, "DNS", "python.org", "6fa459ea-ee8a-3ca4-894e-db77e160355e"),
        (u.v5, "url", "http://python.org/", "4c565f0d-3f5a-5890-b41b-20cf47701c5e"),
        (u.v3, "Url", "http://python.org/", "9fe8e8c4-aaa8-32a9-a55c-4535a88b748d"),
        (u.v5, "oid", "1.3.6.1", "1447fa61-5277-5fef-a9b3-fbc6e44f4af3"),
        (u.v3, "x500", "c=ca", "658d3002-db6b-3040-a1d1-8ddd7d189a4d"),
        (u.v5, "x500", "c=ca", "cc957dd1-a972-5349-98cd-874190002798"),
    ],
)
def test_name_based_known_vectors(fn, namespace, name, expected):
    assert fn(namespace, name) == expected


@pytest.mark.parametrize("fn", [u.v3, u.v5])
def test_name_based_matches_stdlib(fn):
    std = std_uuid.uuid3 if fn is u.v3 else std_uuid.uuid5
    ns = str(std_uuid.uuid4())
    for name in ["", "a", "héllo wörld", "日本語", "x" * 1000]:
        assert fn(ns, name) == str(std(std_uuid.UUID(ns), name))


def test_name_based_namespace_forms_are_equivalent():
    forms = [DNS, DNS.upper(), DNS.replace("-", ""), "{" + DNS + "}", "urn:uuid:" + DNS, "dns"]
    assert len({u.v5(f, "x") for f in forms}) == 1


def test_name_based_bytes_name_hashed_raw():
    raw = b"\xff\xfe"
    digest = bytearray(hashlib.sha1(std_uuid.NAMESPACE_DNS.bytes + raw).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    assert u.v5("dns", raw) == str(std_uuid.UUID(bytes=bytes(digest)))
    assert u.v5("dns", "é") == u.v5("dns", "é".encode())
    assert u.v3("dns", "é") == str(std_uuid.uuid3(std_uuid.NAMESPACE_DNS, "é"))


@pytest.mark.parametrize("fn", [u.v3, u.v5])
@pytest.mark.parametrize(
    ("namespace", "name", "message"),
    [
        ("not-a-uuid", "x", "invalid namespace UUID format"),
        ("", "x", "invalid namespace UUID format"),
        ("dnsx", "x", "invalid namespace UUID format"),
        (None, "x", "expected string, got nil"),
        (42, "x", "expected string, got number"),
        (DNS, None, "invalid name: expected string, got nil"),
        (DNS, 5, "invalid name: expected string, got number"),
        (DNS, {"a": 1}, "invalid name: expected string, got table"),
    ],
)
def test_name_based_errors(fn, namespace, name, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        fn(namespace, name)


# ----------------------------------------------------------------------------- v4


def test_v4_format_version_variant():
    seen = set()
    for _ in range(200):
        s = u.v4()
        assert STD_RE.fullmatch(s)
        assert u.version(s) == 4
        assert u.variant(s) == "RFC4122"
        assert std_uuid.UUID(s).version == 4
        seen.add(s)
    assert len(seen) == 200


def test_v4_injected_randomness_is_deterministic():
    assert u.v4(counting_bytes) == u.v4(counting_bytes) == "00010203-0405-4607-8809-0a0b0c0d0e0f"
    assert u.v4(lambda n: b"\xff" * n) == "ffffffff-ffff-4fff-bfff-ffffffffffff"


@pytest.mark.parametrize("bad", [lambda n: b"\x00" * (n - 1), lambda n: "x" * n])
def test_v4_bad_random_source(bad):
    with pytest.raises(ValueError, match="random source"):
        u.v4(bad)


# ----------------------------------------------------------------------------- v7


def test_v7_layout_and_parse():
    before = time.time()
    s = u.v7()
    after = time.time()
    assert STD_RE.fullmatch(s)
    assert u.version(s) == 7
    assert u.variant(s) == "RFC4122"
    info = u.parse(s)
    assert info["version"] == 7 and info["variant"] == "RFC4122"
    assert before - 0.002 <= info["timestamp"] <= after + 0.002
    assert "node" not in info


def test_v7_monotonic_over_10000_calls():
    ids = [u.v7() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_v7_monotonic_with_frozen_and_backwards_clock():
    state = u.ClockState()
    clock = iter([5000] * 3000 + [4000] * 10 + [6000])
    ids = [u.v7(now_ms=lambda: next(clock), state=state) for _ in range(3011)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # Counter overflow (seed < 2048, 4096 slots) borrows the next millisecond.
    stamps = [u.parse(i)["timestamp"] for i in ids]
    assert stamps[0] == 5.0
    assert max(stamps[:3010]) <= 5.002
    assert stamps[-1] == 6.0


def test_v7_injected_sources_are_deterministic_with_fresh_state():
    def make() -> list[str]:
        state = u.ClockState()
        return [u.v7(lambda: 1_700_000_000_000, counting_bytes, state) for _ in range(3)]

    first = make()
    assert first == make()
    assert first[0] == "018bcfe5-6800-7001-8203-040506070809"
    assert first[1] == "018bcfe5-6800-7002-8203-040506070809"
    assert u.parse(first[0])["timestamp"] == 1_700_000_000.0


def test_v7_shared_process_state_is_used_by_default():
    a = u.v7(now_ms=lambda: 1)  # a clock far in the past cannot go backwards
    b = u.v7()
    assert a < b


@pytest.mark.parametrize("ms", [-1, 1 << 48])
def test_v7_clock_out_of_range(ms):
    with pytest.raises(ValueError, match="out of range"):
        u.v7(now_ms=lambda: ms, state=u.ClockState())


# ----------------------------------------------------------------------------- v1


def test_v1_layout_and_parse():
    before = time.time()
    s = u.v1()
    after = time.time()
    assert STD_RE.fullmatch(s)
    assert u.version(s) == 1
    assert u.variant(s) == "RFC4122"
    info = u.parse(s)
    assert before - 0.001 <= info["timestamp"] <= after + 0.001
    assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", info["node"])
    assert int(info["node"][:2], 16) & 0x01  # random node has the multicast bit
    # Agrees with the stdlib's interpretation of the fields.
    std = std_uuid.UUID(s)
    assert std.version == 1
    assert (std.time - 0x01B21DD213814000) / 1e7 == pytest.approx(info["timestamp"])
    assert std.node == int(info["node"].replace(":", ""), 16)


def test_v1_injected_sources():
    ns = 1_700_000_000_123_456_700
    s = u.v1(now_ns=lambda: ns, node=0xAABBCCDDEEFF, clock_seq=0x1234, state=u.ClockState())
    std = std_uuid.UUID(s)
    assert std.node == 0xAABBCCDDEEFF
    assert std.clock_seq == 0x1234
    assert std.time == ns // 100 + 0x01B21DD213814000
    info = u.parse(s)
    assert info["node"] == "aa:bb:cc:dd:ee:ff"
    assert info["timestamp"] == pytest.approx(1_700_000_000.1234567)
    node = bytes.fromhex("aabbccddeeff")
    again = u.v1(now_ns=lambda: ns, node=node, clock_seq=0x1234, state=u.ClockState())
    assert again == s


def test_v1_unique_and_increasing_timestamps():
    state = u.ClockState()
    ids = [u.v1(now_ns=lambda: 10**18, node=1, state=state) for _ in range(100)]
    assert len(set(ids)) == 100
    times = [std_uuid.UUID(i).time for i in ids]
    assert times == sorted(times)
    ids2 = [u.v1() for _ in range(1000)]
    assert len(set(ids2)) == 1000


@pytest.mark.parametrize(
    "kwargs",
    [
        {"node": 1 << 48},
        {"node": -1},
        {"node": b"\x00" * 5},
        {"node": True},
        {"clock_seq": 0x4000},
        {"clock_seq": -1},
        {"now_ns": lambda: -(10**20)},
    ],
)
def test_v1_invalid_arguments(kwargs):
    with pytest.raises(ValueError, match="v1:"):
        u.v1(**kwargs)


# ----------------------------------------------------------------------------- validate


@pytest.mark.parametrize(
    "value",
    [
        SAMPLE,
        SAMPLE.upper(),
        SAMPLE.replace("-", ""),
        "{" + SAMPLE + "}",
        "urn:uuid:" + SAMPLE,
        "URN:UUID:" + SAMPLE.upper(),
        "00000000-0000-0000-0000-000000000000",
    ],
)
def test_validate_accepts(value):
    assert u.validate(value) is True


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        42,
        1.5,
        SAMPLE.encode(),
        [SAMPLE],
        {"id": SAMPLE},
        "",
        "hello",
        SAMPLE[:-1],
        SAMPLE + "0",
        SAMPLE.replace("-", "_"),
        SAMPLE.replace("8", "g", 1),
        "886313e13-b8a-5372-9b90-0c9aee199e5d",
        "{" + SAMPLE,
        SAMPLE + "}",
        "urn:uuid:{" + SAMPLE + "}",
        " " + SAMPLE,
        SAMPLE + "\n",
        "886313e1-3b8a-5372-9b90-0c9aee199e5\u0663",  # non-ASCII digit
        "886313e1+3b8a-5372-9b90-0c9aee199e5d",
    ],
)
def test_validate_rejects(value):
    assert u.validate(value) is False


# ----------------------------------------------------------------------------- version/variant


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("00000000-0000-0000-0000-000000000000", 0),
        (SAMPLE, 5),
        ("6fa459ea-ee8a-3ca4-894e-db77e160355e", 3),
        (DNS, 1),
        ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", 15),
    ],
)
def test_version(value, expected):
    assert u.version(value) == expected


@pytest.mark.parametrize(
    ("byte8", "expected"),
    [
        ("0", "Reserved"),
        ("7", "Reserved"),
        ("8", "RFC4122"),
        ("b", "RFC4122"),
        ("c", "Microsoft"),
        ("d", "Microsoft"),
        ("e", "Future"),
        ("f", "Future"),
    ],
)
def test_variant(byte8, expected):
    assert u.variant(f"00000000-0000-4000-{byte8}000-000000000000") == expected


@pytest.mark.parametrize("fn", [u.version, u.variant, u.parse, u.format_uuid])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope", "invalid UUID format: 'nope'"),
        ("", "invalid UUID format"),
        ("x" * 500, "..."),
        (None, "invalid UUID: expected string, got nil"),
        (7, "invalid UUID: expected string, got number"),
        (False, "expected string, got boolean"),
        ([], "expected string, got table"),
        (b"\xff", "invalid UUID format: not valid UTF-8"),
    ],
)
def test_invalid_ids_raise(fn, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        fn(value)


# ----------------------------------------------------------------------------- parse


def test_parse_name_based_and_random_have_no_timestamp():
    for s in (u.v4(), u.v5("dns", "a"), u.v3("dns", "a")):
        info = u.parse(s)
        assert set(info) == {"version", "variant"}


def test_parse_v7_known_value():
    info = u.parse("017f22e2-79b0-7cc3-98c4-dc0c0c07398f")  # RFC 9562 appendix A.6
    assert info == {"version": 7, "variant": "RFC4122", "timestamp": 1645557742.0}


def test_parse_v1_known_value():
    # RFC 9562 appendix A.1 example: Tuesday, February 22, 2022 2:22:22.000000 PM GMT-05:00
    info = u.parse("C232AB00-9414-11EC-B3C8-9F6BDECED846")
    assert info["version"] == 1
    assert info["variant"] == "RFC4122"
    assert info["timestamp"] == pytest.approx(1645557742.0)
    assert info["node"] == "9f:6b:de:ce:d8:46"


def test_parse_accepts_all_forms():
    base = u.parse(SAMPLE)
    for form in (SAMPLE.upper(), SAMPLE.replace("-", ""), "{" + SAMPLE + "}", "urn:uuid:" + SAMPLE):
        assert u.parse(form) == base


# ----------------------------------------------------------------------------- format


def test_format_forms():
    assert u.format_uuid(SAMPLE) == SAMPLE
    assert u.format_uuid(SAMPLE, "standard") == SAMPLE
    assert u.format_uuid(SAMPLE, None) == SAMPLE
    assert u.format_uuid(SAMPLE, "simple") == SAMPLE.replace("-", "")
    assert u.format_uuid(SAMPLE, "urn") == "urn:uuid:" + SAMPLE
    assert u.format_uuid(SAMPLE, "URN") == "urn:uuid:" + SAMPLE


def test_format_round_trips():
    ids = [u.v1(), u.v4(), u.v7(), u.v5("url", "x"), SAMPLE.upper()]
    forms = ["standard", "simple", "urn"]
    for s, (a, b) in itertools.product(ids, itertools.product(forms, forms)):
        out = u.format_uuid(u.format_uuid(s, a), b)
        assert out == u.format_uuid(s, b)
        assert out == out.lower()
        assert u.validate(out)
        assert u.format_uuid(out) == s.lower()
    assert u.format_uuid("{" + SAMPLE.upper() + "}", "simple") == SAMPLE.replace("-", "")


@pytest.mark.parametrize("fmt", ["braced", "", "hex", "standard "])
def test_format_unknown(fmt):
    with pytest.raises(ValueError, match="unknown format"):
        u.format_uuid(SAMPLE, fmt)


def test_format_non_string_format():
    with pytest.raises(ValueError, match="invalid format: expected string, got number"):
        u.format_uuid(SAMPLE, 3)


def test_exports():
    names = "v1 v3 v4 v5 v7 validate version variant parse format_uuid"
    assert set(u.__all__) >= set(names.split())
