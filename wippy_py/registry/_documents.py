"""From one YAML file to entry drafts: Wippy's batch and single-entry file shapes.

Batch form: ``namespace`` + ``entries:`` (a list), with optional file-level ``meta`` that
is shallow-merged into each entry's meta (entry keys win). Single-entry form: top-level
``namespace`` + ``name`` + ``kind``; the other top-level keys become the data. A file
without a non-blank ``namespace`` is not a Wippy file and is skipped silently.
"""

from __future__ import annotations

import copy
import posixpath
from pathlib import Path
from typing import Any

from wippy_py.errors import Location, RegistryError

from ._draft import Draft, field_path
from ._ids import EntryId
from ._interpolate import interpolate
from ._loader import LineMap, NodePath, parse_yaml

# Top-level keys of the single-entry form that are not part of the entry's data.
_SINGLE_EXCLUDED = frozenset(
    {"namespace", "name", "kind", "meta", "version", "requirements", "entries"}
)
# Keys of a batch entry that are not part of its data (when there is no data: key).
_ENTRY_EXCLUDED = frozenset({"name", "kind", "meta", "data"})


def read_document(path: Path, root: Path, problems: list[RegistryError]) -> list[Draft]:
    """Loads the entries of one YAML file.

    Args:
        path: The YAML file.
        root: The registry root; ``file://`` paths and reported paths are relative to it.
        problems: Where problems are appended; the entries that could still be read are
            returned, so one mistake does not hide the rest of the file.

    Returns:
        The drafts of the file, in file order (empty for a non-Wippy file).
    """
    rel = path.relative_to(root).as_posix()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(RegistryError(f"not valid UTF-8 (byte {exc.start})", Location(rel)))
        return []
    except OSError as exc:
        problems.append(RegistryError(f"cannot read file: {exc.strerror}", Location(rel)))
        return []
    try:
        doc, lines = parse_yaml(text, rel)
    except RegistryError as exc:
        problems.append(exc)
        return []
    if not isinstance(doc, dict) or not _has_namespace(doc):
        return []
    return _Document(doc, lines, rel, problems).extract(root)


def _has_namespace(doc: dict[Any, Any]) -> bool:
    namespace = doc.get("namespace")
    return not (namespace is None or (isinstance(namespace, str) and not namespace.strip()))


class _Document:
    """One parsed Wippy file; knows how to place a problem on an entry and a field."""

    def __init__(
        self, doc: dict[Any, Any], lines: LineMap, file: str, problems: list[RegistryError]
    ) -> None:
        self.doc = doc
        self.lines = lines
        self.file = file
        self.problems = problems
        namespace = doc["namespace"]
        # Invariant: namespace is "" unless it is a usable namespace (a string without
        # colons or spaces), so that no problem is ever pinned on a malformed entry ID.
        self.namespace: str = namespace if _valid_namespace(namespace) else ""
        self.batch = doc.get("entries") is not None
        # Lines grouped by owner (entry prefix, or ("meta",) for file-level meta), built
        # on first use so that a file with many entries is not scanned once per entry.
        self._buckets: dict[NodePath, list[tuple[NodePath, int]]] | None = None
        self._sources: dict[NodePath, str] = {}  # document path -> interpolated file

    def extract(self, root: Path) -> list[Draft]:
        if not self._check_namespace():
            return []
        yaml_dir = posixpath.dirname(self.file)
        self.doc = interpolate(
            self.doc,
            root=root,
            yaml_dir=yaml_dir,
            locate=self.locate,
            problems=self.problems,
            sources=self._sources,
        )
        if self.batch:
            return self._batch()
        if "name" in self.doc or "kind" in self.doc:
            draft = self._entry(self.doc, (), _SINGLE_EXCLUDED, {})
            return [draft] if draft else []
        self._fail(
            (),
            "the file has a namespace but neither 'entries' nor a top-level 'name' and 'kind'",
        )
        return []

    def _check_namespace(self) -> bool:
        namespace = self.doc["namespace"]
        if not isinstance(namespace, str):
            self._fail(("namespace",), "namespace must be a string")
        elif not _valid_namespace(namespace):
            self._fail(("namespace",), f"invalid namespace {namespace!r}: no colons or spaces")
        return bool(self.namespace)

    def _batch(self) -> list[Draft]:
        entries = self.doc["entries"]
        if not isinstance(entries, list):
            self._fail(("entries",), "'entries' must be a list of entries")
            return []
        file_meta = self.doc.get("meta")
        if file_meta is None:
            file_meta = {}
        if not isinstance(file_meta, dict):
            self._fail(("meta",), "file-level 'meta' must be a mapping")
            file_meta = {}
        drafts: list[Draft] = []
        for index, item in enumerate(entries):
            draft = self._entry(item, ("entries", index), _ENTRY_EXCLUDED, file_meta)
            if draft:
                drafts.append(draft)
        return drafts

    def _entry(
        self, item: Any, prefix: NodePath, excluded: frozenset[str], file_meta: dict[Any, Any]
    ) -> Draft | None:
        if not isinstance(item, dict):
            self._fail(prefix, "an entry must be a mapping with 'name' and 'kind'")
            return None
        name, kind = item.get("name"), item.get("kind")
        bad = [key for key, value in (("name", name), ("kind", kind)) if not _non_blank(value)]
        for key in bad:
            what = "missing" if item.get(key) is None else "blank or not a string"
            self._fail((*prefix, key), f"entry {key!r} is {what}")
        if bad:
            return None
        meta = item.get("meta")
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            self._fail((*prefix, "meta"), "'meta' must be a mapping")
            meta = {}
        uses_data_key = "data" in item and prefix != ()
        data = (
            item["data"]
            if uses_data_key
            else {key: value for key, value in item.items() if key not in excluded}
        )
        return Draft(
            id=EntryId(self.namespace, str(name)),
            kind=str(kind),
            meta={**copy.deepcopy(file_meta), **meta},
            data=data,
            file=self.file,
            line=self.lines.get(prefix, 1),
            lines=self._entry_lines(prefix, uses_data_key),
            sources=self._entry_sources(prefix, uses_data_key),
        )

    def _entry_lines(self, prefix: NodePath, uses_data_key: bool) -> dict[str, int]:
        """Field lines of one entry; file-level meta lines first, as entry meta wins."""
        if self._buckets is None:
            self._buckets = _bucket_lines(self.lines, self.batch)
        result = {field_path(path): line for path, line in self._buckets.get(("meta",), [])}
        size = len(prefix)
        for path, line in self._buckets.get(prefix, []):
            name = _entry_field(path[size:], uses_data_key)
            if name:
                result[name] = line
        return result

    def _entry_sources(self, prefix: NodePath, uses_data_key: bool) -> dict[str, str]:
        result: dict[str, str] = {}
        size = len(prefix)
        for path, file in self._sources.items():
            if self.batch and path[:1] == ("meta",):
                result.setdefault(field_path(path), file)
            elif len(path) > size and path[:size] == prefix:
                name = _entry_field(path[size:], uses_data_key)
                if name:
                    result[name] = file
        return result

    def locate(self, path: NodePath) -> Location:
        """Returns the location of a document path: file, line, entry and field.

        The line is that of the path, or of its closest parent when the path is absent
        (a missing field is reported on its entry's line).
        """
        line = next(
            (self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines),
            None,
        )
        entry, prefix = "", path[:0]
        if not self.batch:
            entry, prefix = self._entry_id(self.doc), ()
        elif len(path) >= 2 and path[0] == "entries" and isinstance(path[1], int):
            items = self.doc.get("entries")
            if isinstance(items, list) and path[1] < len(items):
                entry, prefix = self._entry_id(items[path[1]]), path[:2]
        if not entry:
            return Location(self.file, line, "", field_path(path))
        item = self.doc if not prefix else self.doc["entries"][prefix[1]]
        uses_data_key = prefix != () and isinstance(item, dict) and "data" in item
        return Location(self.file, line, entry, _entry_field(path[len(prefix) :], uses_data_key))

    def _entry_id(self, item: Any) -> str:
        if self.namespace and isinstance(item, dict) and _non_blank(item.get("name")):
            return str(EntryId(self.namespace, item["name"]))
        return ""

    def _fail(self, path: NodePath, problem: str) -> None:
        self.problems.append(RegistryError(problem, self.locate(path)))


def _bucket_lines(lines: LineMap, batch: bool) -> dict[NodePath, list[tuple[NodePath, int]]]:
    buckets: dict[NodePath, list[tuple[NodePath, int]]] = {}
    for path, line in lines.items():
        if not batch:
            owner: NodePath = () if path else ("-",)
        elif len(path) > 2 and path[0] == "entries":
            owner = path[:2]
        elif len(path) > 1 and path[0] == "meta":
            owner = ("meta",)
        else:
            continue
        buckets.setdefault(owner, []).append((path, line))
    return buckets


def _valid_namespace(value: Any) -> bool:
    return _non_blank(value) and not any(char in value for char in ": \t\n")


def _non_blank(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _entry_field(rest: NodePath, uses_data_key: bool) -> str:
    """Maps a path inside an entry to a field name; ``data.x`` is just ``x``."""
    if uses_data_key and rest and rest[0] == "data":
        return field_path(rest[1:])
    return field_path(rest)
