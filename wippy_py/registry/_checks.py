"""Small typed field checks shared by the kind validators and the lifecycle parser.

Each ``check_*`` returns the value when it is present and valid, and ``None`` when it is
absent (a YAML ``null`` counts as absent) or invalid; an invalid value is reported as
``report(field, message)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wippy_py.durations import DurationError, to_nanoseconds

Report = Callable[[str, str], None]


def join(prefix: str, key: str) -> str:
    """Returns the field path of ``key`` inside ``prefix`` (``lifecycle`` + ``restart``)."""
    return f"{prefix}.{key}" if prefix else key


def describe(value: Any) -> str:
    """Names the YAML type of a value for messages ("a string", "a list", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def check_present(data: Mapping[Any, Any], key: str, report: Report, prefix: str = "") -> bool:
    """Reports a missing required field; returns whether it is present."""
    if data.get(key) is None:
        report(join(prefix, key), f"missing required field {join(prefix, key)!r}")
        return False
    return True


def check_str(
    data: Mapping[Any, Any],
    key: str,
    report: Report,
    prefix: str = "",
    *,
    required: bool = False,
    non_empty: bool = False,
) -> str | None:
    """Checks that a field is a string (non-blank when ``non_empty``)."""
    if required and not check_present(data, key, report, prefix):
        return None
    value = data.get(key)
    if value is None:
        return None
    name = join(prefix, key)
    if not isinstance(value, str):
        report(name, f"{name!r} must be a string, got {describe(value)}")
        return None
    if non_empty and not value.strip():
        report(name, f"{name!r} must not be empty")
        return None
    return value


def check_bool(data: Mapping[Any, Any], key: str, report: Report, prefix: str = "") -> bool | None:
    """Checks that a field is ``true`` or ``false``."""
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return value
    name = join(prefix, key)
    hint = ""
    if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off", "y", "n"):
        hint = " (YAML 1.2, as in Wippy: only true and false are booleans)"
    report(name, f"{name!r} must be true or false, got {describe(value)}{hint}")
    return None


def check_int(
    data: Mapping[Any, Any], key: str, report: Report, prefix: str = "", *, minimum: int = 0
) -> int | None:
    """Checks that a field is an integer ``>= minimum``."""
    value = data.get(key)
    if value is None:
        return None
    name = join(prefix, key)
    if isinstance(value, bool) or not isinstance(value, int):
        report(name, f"{name!r} must be an integer, got {describe(value)}")
        return None
    if value < minimum:
        report(name, f"{name!r} must be at least {minimum}, got {value}")
        return None
    return value


def check_number(
    data: Mapping[Any, Any],
    key: str,
    report: Report,
    prefix: str = "",
    *,
    minimum: float,
    maximum: float | None = None,
) -> float | None:
    """Checks that a field is a number within ``[minimum, maximum]``."""
    value = data.get(key)
    if value is None:
        return None
    name = join(prefix, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        report(name, f"{name!r} must be a number, got {describe(value)}")
        return None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        report(name, f"{name!r} must be {bounds}, got {value}")
        return None
    return float(value)


def check_map(
    data: Mapping[Any, Any], key: str, report: Report, prefix: str = "", *, required: bool = False
) -> dict[Any, Any] | None:
    """Checks that a field is a mapping."""
    if required and not check_present(data, key, report, prefix):
        return None
    value = data.get(key)
    if value is None or isinstance(value, dict):
        return value
    name = join(prefix, key)
    report(name, f"{name!r} must be a mapping, got {describe(value)}")
    return None


def check_str_list(
    data: Mapping[Any, Any], key: str, report: Report, prefix: str = ""
) -> list[str] | None:
    """Checks that a field is a list of non-blank strings."""
    value = data.get(key)
    if value is None:
        return None
    name = join(prefix, key)
    if not isinstance(value, list):
        report(name, f"{name!r} must be a list of strings, got {describe(value)}")
        return None
    good = True
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            report(
                f"{name}[{index}]",
                f"{name}[{index}] must be a non-empty string, got {describe(item)}",
            )
            good = False
    return value if good else None


def check_duration(
    data: Mapping[Any, Any], key: str, report: Report, prefix: str = ""
) -> int | None:
    """Checks a Go duration string or integer nanoseconds; returns nanoseconds (>= 0)."""
    value = data.get(key)
    if value is None:
        return None
    name = join(prefix, key)
    try:
        nanos = to_nanoseconds(value)
    except DurationError as exc:
        report(name, f"{name!r}: {exc}")
        return None
    if nanos < 0:
        report(name, f"{name!r} must not be negative, got {value!r}")
        return None
    return nanos


def check_choice(
    data: Mapping[Any, Any], key: str, choices: tuple[str, ...], report: Report, prefix: str = ""
) -> str | None:
    """Checks that a field is one of ``choices``."""
    value = data.get(key)
    if value is None:
        return None
    if value in choices:
        return str(value)
    name = join(prefix, key)
    report(name, f"{name!r} must be one of {', '.join(choices)}, got {describe(value)}")
    return None


def check_known_keys(
    data: Mapping[Any, Any], known: frozenset[str], report: Report, prefix: str
) -> None:
    """Reports every key of ``data`` that is not in ``known`` (typos in closed blocks)."""
    for key in data:
        if key not in known:
            name = join(prefix, str(key))
            report(name, f"unknown field {name!r}; expected one of {', '.join(sorted(known))}")
