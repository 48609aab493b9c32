"""Helpers of the registry tests that check problems: one problem, and where it is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wippy_py.errors import RegistryError

Problems = Callable[[dict[str, str | bytes]], list[RegistryError]]
WriteTree = Callable[[dict[str, str | bytes]], Path]


def only(found: list[RegistryError]) -> RegistryError:
    """The single problem found (fails listing them all when there are more or none)."""
    assert len(found) == 1, "\n".join(str(problem) for problem in found)
    return found[0]


def assert_at(problem: RegistryError, file: str, line: int, entry: str, field: str) -> None:
    """The problem's location is (file, line, entry, field), and its text starts with
    ``FILE:LINE, entry ENTRY`` (``FILE:LINE`` when there is no entry) and names the
    field (when there is one)."""
    location = problem.location
    assert (location.file, location.line, location.entry, location.field) == (
        file,
        line,
        entry,
        field,
    ), str(problem)
    text = str(problem)
    assert text.startswith(f"{file}:{line}" + (f", entry {entry}" if entry else "")), text
    if field:
        assert f"field {field!r}" in text
