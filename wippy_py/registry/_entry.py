"""A loaded registry entry: identity, kind, meta, data and where it was written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._draft import line_of
from ._ids import EntryId
from ._lifecycle import Lifecycle


@dataclass(frozen=True)
class Entry:
    """One registry entry, after ``file://`` interpolation, defaults and ID resolution.

    Treat ``meta`` and ``data`` as read-only: they are shared by every reader.

    Attributes:
        id: Full ID (``namespace:name``).
        kind: Kind string, e.g. ``process.lua``.
        meta: Meta map, file-level meta merged in (entry keys win).
        data: Data map; or the raw value of the entry's ``data:`` key, which may be any
            YAML value.
        file: YAML file path relative to the registry root (POSIX separators).
        line: 1-based line of the entry in that file.
        dependencies: Entries this one refers to (imports, lifecycle requirements,
            process, host, client, meta.parent, meta.depends_on, temporal workers),
            sorted by ID string, without duplicates and without itself.
        lifecycle: The parsed ``lifecycle`` block, or its defaults.
        field_lines: Field path -> line (``source``, ``lifecycle.restart.jitter``,
            ``meta.command.name``, ``imports.util``, ``lifecycle.requires[0]``).
        source_files: Field path -> file (relative to the registry root) whose text a
            ``file://`` reference put in that field, e.g. ``{"source": "lua/m.lua"}``.
    """

    id: EntryId
    kind: str
    meta: dict[str, Any]
    data: Any
    file: str
    line: int
    dependencies: tuple[EntryId, ...] = ()
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    field_lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    source_files: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        # meta and data are dicts, so the generated field hash would fail.
        return hash((self.id, self.kind, self.file, self.line))

    @property
    def namespace(self) -> str:
        """The entry's namespace."""
        return self.id.namespace

    @property
    def name(self) -> str:
        """The entry's name inside its namespace."""
        return self.id.name

    def get(self, key: str, default: Any = None) -> Any:
        """Returns a data field, or ``default`` when absent or when data is not a map."""
        if isinstance(self.data, dict):
            return self.data.get(key, default)
        return default

    def source_file(self, name: str = "source") -> str | None:
        """Returns the file a field was read from via ``file://`` (``None`` when the text
        was written inline in the YAML).

        Use it to name Lua chunks after the user's ``.lua`` file, so that syntax errors
        and tracebacks point at ``lua/m.lua:12`` rather than at the YAML file.

        Args:
            name: A field path; ``source`` by default.
        """
        return self.source_files.get(name)

    def field_line(self, name: str) -> int:
        """Returns the line of a field (see ``field_lines``), else of its closest known
        parent field, else the entry's own line.

        Args:
            name: A field path such as ``source`` or ``lifecycle.start_timeout``.
        """
        return line_of(self.field_lines, name, self.line)
