"""Cross-entry references: namespace defaulting, dependency extraction, existence checks.

Only the fields where Wippy applies the entry's namespace get it ("WithDefaultNS"):
``process.service.process``, ``temporal.worker.client``, Lua ``imports`` values,
``lifecycle.requires`` / ``depends_on``, ``meta.depends_on`` and
``meta.temporal.{workflow,activity}.worker``. ``process.service.host`` is deliberately
not defaulted (Wippy treats it as a plain string). Resolved values are written back as
full ID strings, so later layers only ever see ``ns:name``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wippy_py.errors import Location, RegistryError

from ._ids import EntryId
from ._kinds import (
    HOST_KINDS,
    LIBRARY_LUA,
    LUA_KINDS,
    PROCESS_LUA,
    PROCESS_SERVICE,
    REGISTRY_ENTRY,
    SUPPORTED_KINDS,
    TEMPORAL_CLIENT,
    TEMPORAL_WORKER,
)

if TYPE_CHECKING:
    from ._draft import Draft
    from ._entry import Entry

_NAMESPACE_REF = "ns:"  # meta.depends_on may name a whole namespace: ns:wippy.relay.env


@dataclass(frozen=True)
class Ref:
    """One reference from an entry to another.

    Attributes:
        field: Field path of the reference (``process``, ``imports.util``, ...).
        target: The referenced ID, namespace already applied.
        kinds: Kinds the target must have; ``None`` accepts any kind.
        checked: Whether a missing target is a problem (``meta.parent`` and
            ``meta.depends_on`` are ordering hints only).
    """

    field: str
    target: EntryId
    kinds: tuple[str, ...] | None
    checked: bool


def _runs(kind: str) -> bool:
    """Kinds whose data schema we know (so data fields can be read as references)."""
    return kind in SUPPORTED_KINDS and kind != REGISTRY_ENTRY


def resolve_references(draft: Draft) -> None:
    """Rewrites the relative IDs of a draft to full IDs, in the defaulted fields only."""
    namespace = draft.id.namespace
    _resolve_list(draft.meta, "depends_on", namespace)
    temporal = draft.meta.get("temporal")
    for role in ("workflow", "activity"):
        block = temporal.get(role) if isinstance(temporal, dict) else None
        if isinstance(block, dict):
            _resolve_key(block, "worker", namespace)
    data = draft.data
    if not _runs(draft.kind) or not isinstance(data, dict):
        return
    if draft.kind == PROCESS_SERVICE:
        _resolve_key(data, "process", namespace)
    if draft.kind == TEMPORAL_WORKER:
        _resolve_key(data, "client", namespace)
    imports = data.get("imports")
    if draft.kind in LUA_KINDS and isinstance(imports, dict):
        for alias in imports:
            _resolve_key(imports, alias, namespace)
    lifecycle = data.get("lifecycle")
    if isinstance(lifecycle, dict):
        _resolve_list(lifecycle, "requires", namespace)
        _resolve_list(lifecycle, "depends_on", namespace)


def _full(value: Any, namespace: str) -> Any:
    if not isinstance(value, str) or value.startswith(_NAMESPACE_REF):
        return value
    try:
        return str(EntryId.parse(value, default_ns=namespace))
    except ValueError:
        return value  # reported by validation; keep what the user wrote


def _resolve_key(block: dict[Any, Any], key: Any, namespace: str) -> None:
    if key in block:
        block[key] = _full(block[key], namespace)


def _resolve_list(block: dict[Any, Any], key: str, namespace: str) -> None:
    items = block.get(key)
    if isinstance(items, list):
        block[key] = [_full(item, namespace) for item in items]


def iter_refs(entry_id: EntryId, kind: str, meta: Mapping[str, Any], data: Any) -> Iterator[Ref]:
    """Yields every reference an entry makes (well-formed ones only).

    Args:
        entry_id: The referencing entry (its namespace is applied to relative names).
        kind: Its kind; data fields are read only for supported kinds.
        meta: Its meta map.
        data: Its data.
    """
    namespace = entry_id.namespace
    runs = _runs(kind)
    parent = meta.get("parent")
    yield from _refs_from("meta.parent", parent, namespace, None, checked=False)
    depends_on = meta.get("depends_on")
    for index, item in enumerate(depends_on if isinstance(depends_on, list) else ()):
        if not (isinstance(item, str) and item.startswith(_NAMESPACE_REF)):
            yield from _refs_from(f"meta.depends_on[{index}]", item, namespace, None, False)
    temporal = meta.get("temporal")
    for role in ("workflow", "activity"):
        block = temporal.get(role) if isinstance(temporal, dict) else None
        if isinstance(block, dict):
            field = f"meta.temporal.{role}.worker"
            yield from _refs_from(field, block.get("worker"), namespace, (TEMPORAL_WORKER,), runs)
    if not isinstance(data, dict) or kind == REGISTRY_ENTRY:
        return
    lifecycle = data.get("lifecycle")
    for key in ("requires", "depends_on"):
        items = lifecycle.get(key) if isinstance(lifecycle, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else ()):
            yield from _refs_from(f"lifecycle.{key}[{index}]", item, namespace, None, runs)
    if not runs:
        return
    yield from _data_refs(kind, data, namespace)


def _data_refs(kind: str, data: dict[Any, Any], namespace: str) -> Iterator[Ref]:
    if kind == PROCESS_SERVICE:
        yield from _refs_from("process", data.get("process"), namespace, (PROCESS_LUA,), True)
        host = data.get("host")
        if isinstance(host, str) and ":" in host:  # a bare host is a validation problem
            yield from _refs_from("host", host, namespace, HOST_KINDS, True)
    if kind == TEMPORAL_WORKER:
        yield from _refs_from("client", data.get("client"), namespace, (TEMPORAL_CLIENT,), True)
    imports = data.get("imports")
    if kind in LUA_KINDS and isinstance(imports, dict):
        for alias, target in imports.items():
            yield from _refs_from(f"imports.{alias}", target, namespace, (LIBRARY_LUA,), True)


def _refs_from(
    field: str, value: Any, namespace: str, kinds: tuple[str, ...] | None, checked: bool
) -> Iterator[Ref]:
    if not isinstance(value, str):
        return
    try:
        target = EntryId.parse(value, default_ns=namespace)
    except ValueError:
        return
    if not target.is_relative:
        yield Ref(field, target, kinds, checked)


def extract_dependencies(
    entry_id: EntryId, kind: str, meta: Mapping[str, Any], data: Any
) -> tuple[EntryId, ...]:
    """Returns the entries this one depends on: sorted by ID string, unique, not itself."""
    targets = {ref.target for ref in iter_refs(entry_id, kind, meta, data)}
    targets.discard(entry_id)
    return tuple(sorted(targets, key=str))


def check_references(entries: Mapping[str, Entry], problems: list[RegistryError]) -> None:
    """Reports references to undefined entries or to entries of the wrong kind.

    Args:
        entries: Every loaded entry, by full ID.
        problems: Where problems are appended.
    """
    for entry in entries.values():
        for ref in iter_refs(entry.id, entry.kind, entry.meta, entry.data):
            message = _ref_problem(entry, ref, entries)
            if message:
                where = Location(entry.file, entry.field_line(ref.field), str(entry.id), ref.field)
                problems.append(RegistryError(message, where))


def _ref_problem(entry: Entry, ref: Ref, entries: Mapping[str, Entry]) -> str:
    if not ref.checked:
        return ""
    if ref.target == entry.id and ref.field.startswith("lifecycle."):
        return f"{ref.field!r}: an entry cannot require itself"
    target = entries.get(str(ref.target))
    if target is None:
        return f"{ref.field!r} refers to {ref.target}, which is not defined"
    if ref.kinds is not None and target.kind not in ref.kinds:
        wanted = " or ".join(ref.kinds)
        return f"{ref.field!r} refers to {ref.target}, which is a {target.kind}, not a {wanted}"
    return ""
