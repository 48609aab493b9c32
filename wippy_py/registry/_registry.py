"""The loaded registry and ``load_registry``: files -> drafts -> validated entries.

Pipeline: collect YAML files (sorted) -> read each into drafts (``file://`` interpolated,
file meta merged) -> drop duplicate IDs -> per entry: resolve relative IDs, validate its
kind, parse its lifecycle, extract dependencies -> check cross-entry references.

Every problem is collected rather than raised at once, so ``registry validate`` can list
them all. An entry with a problem is still loaded when it has a valid name and kind:
that way one mistake does not also show up as "not defined" in every entry that
refers to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from wippy_py.errors import Location, RegistryError

from ._documents import read_document
from ._draft import Draft, Reporter
from ._entry import Entry
from ._ids import EntryId
from ._kinds import REGISTRY_ENTRY, SUPPORTED_KINDS
from ._lifecycle import Lifecycle, parse_lifecycle
from ._refs import check_references, extract_dependencies, resolve_references
from ._validate import validate

YAML_SUFFIXES = (".yaml", ".yml")
_SKIPPED_DIRS = frozenset({"node_modules"})


class RegistryLoadError(RegistryError):
    """The registry has problems; the message lists every one of them, one per line.

    Attributes:
        problems: The individual problems, each with its file, line, entry and field.
    """

    def __init__(self, problems: Sequence[RegistryError], root: Path | None = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in registry"
        head += f" {root}:" if root else ":"
        super().__init__("\n".join([head, *(f"  {problem}" for problem in self.problems)]))


class EntryNotFoundError(RegistryError, KeyError):
    """``Registry.require`` was given an ID that is not defined (also a ``KeyError``)."""

    def __str__(self) -> str:
        # KeyError.__str__ would show the repr of the message.
        return Exception.__str__(self)


class Registry:
    """The entries of a registry, by full ID, in sorted order.

    Attributes:
        root: The registry root directory; ``Entry.file`` paths are relative to it.
        entries: Full ID string -> entry, sorted by ID.
        problems: Everything wrong with the files (empty after a strict load).
    """

    def __init__(
        self,
        root: Path,
        entries: Mapping[str, Entry],
        problems: Sequence[RegistryError] = (),
    ) -> None:
        self.root = root
        self.entries: dict[str, Entry] = dict(sorted(entries.items()))
        self.problems: list[RegistryError] = list(problems)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, str | EntryId) and str(entry_id) in self.entries

    def __repr__(self) -> str:
        return f"Registry({str(self.root)!r}, {len(self.entries)} entries)"

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    @property
    def unsupported(self) -> list[Entry]:
        """Entries whose kind is not in ``SUPPORTED_KINDS`` (loaded, never run)."""
        return [entry for entry in self.entries.values() if entry.kind not in SUPPORTED_KINDS]

    def get(self, entry_id: str | EntryId) -> Entry | None:
        """Returns the entry with this full ID, or ``None``."""
        return self.entries.get(str(entry_id))

    def require(self, entry_id: str | EntryId, kind: str | tuple[str, ...] | None = None) -> Entry:
        """Returns the entry with this full ID, checking its kind.

        Args:
            entry_id: Full ID (``ns:name``).
            kind: A kind or a tuple of accepted kinds; ``None`` accepts any kind.

        Raises:
            EntryNotFoundError: no such entry (a ``KeyError`` too).
            RegistryError: the entry has another kind.
        """
        entry = self.get(entry_id)
        if entry is None:
            hint = "" if ":" in str(entry_id) else " (IDs need a namespace: ns:name)"
            raise EntryNotFoundError(f"entry {entry_id} is not defined{hint}")
        kinds = (kind,) if isinstance(kind, str) else kind
        if kinds is not None and entry.kind not in kinds:
            where = Location(entry.file, entry.line, str(entry.id), "kind")
            raise RegistryError(f"is a {entry.kind}, not a {' or '.join(kinds)}", where)
        return entry

    def by_kind(self, *kinds: str) -> list[Entry]:
        """Returns the entries of any of these kinds, sorted by ID."""
        return [entry for entry in self.entries.values() if entry.kind in kinds]

    def in_namespace(self, namespace: str) -> list[Entry]:
        """Returns the entries of exactly this namespace, sorted by ID."""
        return [entry for entry in self.entries.values() if entry.namespace == namespace]


def load_registry(path: str | os.PathLike[str], *, strict: bool = True) -> Registry:
    """Loads a registry from a directory tree or from one YAML file.

    A directory is walked recursively; every ``.yaml``/``.yml`` file is read in sorted
    order, skipping ``node_modules`` and hidden directories and files. A single file is
    loaded with its parent directory as the registry root.

    Args:
        path: A directory or a YAML file.
        strict: Raise when any problem is found; otherwise return the registry with
            ``problems`` filled.

    Returns:
        The registry.

    Raises:
        RegistryLoadError: ``strict`` and at least one problem (all are listed).
        RegistryError: ``path`` does not exist.
    """
    root, files = _collect(Path(path))
    problems: list[RegistryError] = []
    drafts: list[Draft] = []
    for file in files:
        drafts.extend(read_document(file, root, problems))
    entries: dict[str, Entry] = {}
    for draft in _unique(drafts, problems):
        entries[str(draft.id)] = _build_entry(draft, problems)
    check_references(entries, problems)
    problems.sort(key=lambda problem: (problem.location.file, problem.location.line or 0))
    registry = Registry(root, entries, problems)
    if strict and problems:
        raise RegistryLoadError(problems, root)
    return registry


def _collect(path: Path) -> tuple[Path, list[Path]]:
    if path.is_file():
        resolved = path.resolve()
        return resolved.parent, [resolved]
    if not path.is_dir():
        raise RegistryError(f"registry path not found: {path}")
    root = path.resolve()
    files: list[Path] = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in _SKIPPED_DIRS]
        files.extend(
            Path(directory, name)
            for name in names
            if name.lower().endswith(YAML_SUFFIXES) and not name.startswith(".")
        )
    files.sort(key=lambda file: file.relative_to(root).as_posix())
    return root, files


def _unique(drafts: list[Draft], problems: list[RegistryError]) -> list[Draft]:
    """Keeps the first definition of each ID (in file order) and reports the others."""
    first: dict[str, Draft] = {}
    for draft in drafts:
        key = str(draft.id)
        if key in first:
            other = first[key]
            where = Location(draft.file, draft.line, key, "name")
            problems.append(
                RegistryError(
                    f"duplicate entry ID {key}; first defined at {other.file}:{other.line}", where
                )
            )
        else:
            first[key] = draft
    return list(first.values())


def _build_entry(draft: Draft, problems: list[RegistryError]) -> Entry:
    supported = draft.kind in SUPPORTED_KINDS
    # Unsupported kinds are kept but not validated: their problems go nowhere.
    report = Reporter(draft, problems if supported else [])
    resolve_references(draft)
    validate(draft, report)
    lifecycle = Lifecycle()
    if isinstance(draft.data, dict) and draft.kind != REGISTRY_ENTRY:
        lifecycle = parse_lifecycle(draft.data.get("lifecycle"), draft.id.namespace, report)
    return Entry(
        id=draft.id,
        kind=draft.kind,
        meta=draft.meta,
        data=draft.data,
        file=draft.file,
        line=draft.line,
        dependencies=extract_dependencies(draft.id, draft.kind, draft.meta, draft.data),
        lifecycle=lifecycle,
        field_lines=draft.lines,
        source_files=draft.sources,
    )
