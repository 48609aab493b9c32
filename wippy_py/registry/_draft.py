"""The mutable form of an entry while it is loaded, and the problem reporter.

Field paths are strings: keys joined by dots and list positions in brackets, relative to
the entry's data (``source``, ``lifecycle.restart.jitter``, ``lifecycle.requires[1]``);
meta fields start with ``meta.`` (``meta.command.name``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wippy_py.errors import Location, RegistryError

from ._ids import EntryId


def field_path(parts: Iterable[str | int]) -> str:
    """Joins path parts: ``("lifecycle", "requires", 1)`` -> ``lifecycle.requires[1]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def line_of(lines: Mapping[str, int], name: str, default: int) -> int:
    """Returns the line of a field, else of its closest known parent, else ``default``."""
    while name:
        if name in lines:
            return lines[name]
        cut = max(name.rfind("."), name.rfind("["))
        name = name[:cut] if cut > 0 else ""
    return default


@dataclass
class Draft:
    """An entry between extraction and validation; becomes a frozen ``Entry`` later.

    Attributes:
        id: Full ID.
        kind: Kind string as written.
        meta: Merged meta map (file-level keys first, entry keys win).
        data: The data map, or the raw value of a ``data:`` key.
        file: YAML path relative to the registry root.
        line: Line of the entry in that file.
        lines: Field path -> line (see the module docstring).
        sources: Field path -> file (relative to the root) whose text a ``file://``
            reference put there.
    """

    id: EntryId
    kind: str
    meta: dict[str, Any]
    data: Any
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


class Reporter:
    """Turns ``report(field, message)`` into a located ``RegistryError`` in a list."""

    def __init__(self, draft: Draft, problems: list[RegistryError]) -> None:
        self._draft = draft
        self._problems = problems

    def __call__(self, name: str, message: str) -> None:
        """Records one problem about field ``name`` (``""`` for the entry itself)."""
        draft = self._draft
        line = line_of(draft.lines, name, draft.line)
        location = Location(draft.file, line, str(draft.id), name)
        self._problems.append(RegistryError(message, location))
