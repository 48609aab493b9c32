"""Script pinning: a Temporal run replays the code it started with.

On the embedded engine the journal keeps each run's script by content hash, so a
running workflow replays its own code after a deploy. Temporal keeps no code, so the
code travels with the run: whoever of ours starts a Lua workflow (``process.spawn*``
from an actor or a parent workflow, ``wippy-py workflow start``, continue-as-new)
puts the workflow's code in the start's memo under :data:`CODE_MEMO`, and the
dynamic workflow loads *that* code instead of the registry's current one. The memo
is part of the run's first history event, so every replay reads the same code.

What is pinned: the ``workflow.lua`` entry and every ``library.lua`` it imports
(transitively) — source, ``modules``, ``imports``, ``method`` and where the source
was written (so tracebacks and divergence reports name the same ``file:line``).
Each distinct source is stored once, by its sha256. The manifest is canonical JSON,
zlib-compressed, base64 in the memo value ``{"format", "hash", "entry", "code"}``;
``hash`` (sha256 of the manifest) names the version and is checked on read.

Limits: Temporal refuses a memo over 2 MiB (``limit.memoSize.error``); a pin over
:data:`PIN_LIMIT` is not made (the run then uses the current code, with a warning).
The SDK warns about memos over 2 KiB by default; our clients raise that threshold to
:data:`MEMO_WARN_SIZE`, since a pinned run's memo is larger by design.

A run without the key (started by the official ``temporal`` CLI or another
client) runs the worker's current code; the worker logs that once per run. So do
the runs Temporal itself starts from an earlier one with a copy of its memo (a
workflow retry, the next run of a cron schedule: :func:`copied_by`).

Trust: the memo is written by whoever starts the run, so a client of the namespace
can choose the Lua code a run executes. Pinned code passes the module gate again
(:func:`_module_ok`): it gets no host module beyond the deterministic/workflow ones
and those the app's own entries list, and its activities are the app's functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ...errors import WippyError
from ...host._catalog import workflow_allowed
from ...registry import Entry, EntryId, Registry

log = logging.getLogger("wippy_py.temporal")

CODE_MEMO = "wippy.code"  # memo key of the pinned code
PIN_FORMAT = 1
PIN_LIMIT = 1 << 20  # bytes of memo value; Temporal refuses memos over 2 MiB
MEMO_WARN_SIZE = 3 << 19  # 1.5 MiB: the SDK's memo size warning threshold for our clients
_KEPT_VERSIONS = 64  # pinned code versions a worker keeps built
_TOLD_LIMIT = 10_000  # runs remembered for the "no pinned code" log line
# At most one "no pinned code" line per entry in this many seconds; the runs between
# two lines are counted in the next one (a client starting thousands of runs would
# otherwise write a warning per run).
UNPINNED_LOG_INTERVAL = 60.0


class PinError(WippyError):
    """A run's pinned code cannot be read (a damaged or foreign memo value)."""


@dataclass(frozen=True)
class PinnedCode:
    """The code a run started with.

    Attributes:
        digest: sha256 of the manifest (the version's name).
        entry: The ``workflow.lua`` entry the run executes.
        registry: The app's registry with the pinned entries in place of today's.
    """

    digest: str
    entry: str
    registry: Registry

    @property
    def short(self) -> str:
        """The first 12 hex digits of the digest, for messages."""
        return self.digest[:12]


def _sha(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def manifest(registry: Registry, entry_id: str) -> dict[str, Any]:
    """The pinned form of ``entry_id`` and the libraries it imports (transitively)."""
    entries: dict[str, Any] = {}
    sources: dict[str, str] = {}
    todo = [entry_id]
    while todo:
        current = todo.pop()
        entry = registry.get(current)
        if current in entries or entry is None or not isinstance(entry.data, dict):
            continue  # an import that does not exist fails at require, as today
        data = entry.data
        source = str(data.get("source") or "")
        digest = _sha(source.encode())
        sources[digest] = source
        imports = {str(k): str(v) for k, v in (data.get("imports") or {}).items()}
        entries[current] = {
            "kind": entry.kind, "source": digest,
            "modules": [str(m) for m in data.get("modules") or []],
            "imports": imports, "method": data.get("method"),
            "file": entry.file, "line": entry.line, "source_file": entry.source_file(),
        }
        todo.extend(sorted(imports.values(), reverse=True))
    return {"format": PIN_FORMAT, "entry": entry_id, "entries": entries, "sources": sources}


def pin_value(registry: Registry, entry_id: str) -> dict[str, Any]:
    """The memo value that pins the current code of ``entry_id``."""
    raw = json.dumps(manifest(registry, entry_id), sort_keys=True,
                     separators=(",", ":")).encode()
    return {"format": PIN_FORMAT, "hash": _sha(raw), "entry": entry_id,
            "code": base64.b64encode(zlib.compress(raw, 9)).decode()}


def _read(value: Any) -> dict[str, Any]:
    """The manifest in a memo value, checked against its hash.

    Raises:
        PinError: not a pin of this format, damaged, or not matching its hash.
    """
    if not isinstance(value, dict) or value.get("format") != PIN_FORMAT:
        found = value.get("format") if isinstance(value, dict) else type(value).__name__
        raise PinError(f"memo {CODE_MEMO} is not pinned code of format {PIN_FORMAT} "
                       f"(found {found!r})")
    try:
        raw = zlib.decompress(base64.b64decode(str(value.get("code", "")), validate=True))
    except (binascii.Error, zlib.error) as exc:
        raise PinError(f"memo {CODE_MEMO}: the code does not decode: {exc}") from None
    if _sha(raw) != value.get("hash"):
        raise PinError(f"memo {CODE_MEMO}: the code does not match its hash "
                       f"{str(value.get('hash'))[:12]}")
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict) \
            or not isinstance(data.get("sources"), dict) or data.get("entry") \
            not in data["entries"]:
        raise PinError(f"memo {CODE_MEMO}: the manifest lacks its entries")
    return data


def _entry(base: Entry | None, entry_id: str, spec: dict[str, Any], source: str) -> Entry:
    data: dict[str, Any] = {"source": source}
    if spec.get("modules"):
        data["modules"] = list(spec["modules"])
    if spec.get("imports"):
        data["imports"] = dict(spec["imports"])
    if spec.get("method"):
        data["method"] = spec["method"]
    source_file = spec.get("source_file")
    return Entry(
        id=EntryId.parse(entry_id), kind=str(spec.get("kind")),
        meta=base.meta if base is not None else {}, data=data,
        file=str(spec.get("file") or ""), line=int(spec.get("line") or 0),
        field_lines=base.field_lines if base is not None else {},
        source_files={"source": str(source_file)} if source_file else {},
    )


def pinned_registry(registry: Registry, data: dict[str, Any]) -> Registry:
    """``registry`` with the pinned entries of a manifest in place of today's.

    Raises:
        PinError: the pinned workflow lists a module workflows may not use, or the
            manifest misses a source.
    """
    entries = dict(registry.entries)
    for entry_id, spec in data["entries"].items():
        source = data["sources"].get(spec.get("source")) if isinstance(spec, dict) else None
        if not isinstance(source, str):
            raise PinError(f"memo {CODE_MEMO}: no source for {entry_id}")
        kind = spec.get("kind")
        if kind != ("workflow.lua" if entry_id == data["entry"] else "library.lua"):
            raise PinError(f"memo {CODE_MEMO}: {entry_id} is pinned as a {kind}")
        current = registry.get(entry_id)
        refused = [str(m) for m in spec.get("modules") or []
                   if not _module_ok(str(m), kind, current)]
        if refused:
            raise PinError(f"the pinned {kind} {entry_id} lists module {refused[0]!r}, which "
                           "workflows may not use" + ("" if kind == "workflow.lua" else
                                                      " and the entry does not list today"))
        entries[entry_id] = _entry(current, entry_id, spec, source)
    return Registry(registry.root, entries)


def _module_ok(name: str, kind: str, current: Entry | None) -> bool:
    """The module gate on pinned code: a workflow lists only modules workflows may use
    (as at load); a library also those its entry lists today — pinned code may come
    from any client of the namespace, so it gets no module the app did not give."""
    if workflow_allowed(name):
        return True
    if kind == "workflow.lua" or current is None or not isinstance(current.data, dict):
        return False
    return name in [str(m) for m in current.data.get("modules") or []]


class PinCache:
    """A worker's pins: the memo value of each entry's current code (made once), and
    the registries of the pinned versions its runs use (built once per version).

    Args:
        registry: The app's registry (the current code).
        enabled: Whether runs load their pinned code; ``workflow replay`` checks a
            history against the current code and turns it off.
    """

    def __init__(self, registry: Registry, enabled: bool = True) -> None:
        self.registry = registry
        self.enabled = enabled
        self._values: dict[str, dict[str, Any] | None] = {}
        self._versions: OrderedDict[str, PinnedCode] = OrderedDict()
        self._told: set[str] = set()
        self._last_told: dict[str, float] = {}  # entry -> when its last line was written
        self._untold: dict[str, int] = {}  # entry -> runs counted since that line
        self.clock = time.monotonic
        self._lock = threading.Lock()  # activations of several runs run in threads

    def memo(self, entry_id: str) -> dict[str, Any] | None:
        """The memo value pinning ``entry_id``'s current code (None when too big)."""
        with self._lock:
            if entry_id in self._values:
                return self._values[entry_id]
        value: dict[str, Any] | None = pin_value(self.registry, entry_id)
        size = len(json.dumps(value))
        if size > PIN_LIMIT:
            log.warning("the code of workflow %s is %d bytes compressed, over the %d bytes "
                        "a run's memo may carry: its runs are started without pinned code "
                        "(they run the worker's current code)", entry_id, size, PIN_LIMIT)
            value = None
        with self._lock:
            self._values[entry_id] = value
        return value

    def add_to(self, memo: dict[str, Any], entry_id: str) -> dict[str, Any]:
        """``memo`` with the pin of ``entry_id`` set (or removed when none is made)."""
        value = self.memo(entry_id)
        if value is None:
            memo.pop(CODE_MEMO, None)
        else:
            memo[CODE_MEMO] = value
        return memo

    def pinned(self, value: Any) -> PinnedCode | None:
        """The pinned code of a run from its memo value (None: no pin, or pins off).

        Raises:
            PinError: the value is not readable pinned code.
        """
        if value is None or not self.enabled:
            return None
        digest = value.get("hash") if isinstance(value, dict) else None
        with self._lock:
            found = self._versions.get(digest) if isinstance(digest, str) else None
            if found is not None:
                self._versions.move_to_end(digest)  # type: ignore[arg-type]
                return found
        data = _read(value)
        code = PinnedCode(str(value["hash"]), str(data["entry"]),
                          pinned_registry(self.registry, data))
        with self._lock:
            self._versions[code.digest] = code
            while len(self._versions) > _KEPT_VERSIONS:
                self._versions.popitem(last=False)
        return code

    def tell_unpinned(self, workflow_id: str, run_id: str, entry_id: str,
                      copied: str = "") -> None:
        """Logs that a run has no pinned code and runs the current code (``copied``: why
        the memo's pin is not the run's own, see :func:`copied_by`): once per run, and
        per entry at most once in :data:`UNPINNED_LOG_INTERVAL` seconds; the line
        counts the runs of the entry that were not logged since the one before."""
        now = self.clock()
        with self._lock:
            if run_id in self._told:
                return
            if len(self._told) >= _TOLD_LIMIT:
                self._told.clear()
            self._told.add(run_id)
            last = self._last_told.get(entry_id)
            if last is not None and now - last < UNPINNED_LOG_INTERVAL:
                self._untold[entry_id] = self._untold.get(entry_id, 0) + 1
                return
            self._last_told[entry_id] = now
            untold = self._untold.pop(entry_id, 0)
        how = (f"is {copied} started by the server with the memo (and pinned code) of the "
               "run before it" if copied else
               "was started without pinned code (by another client, such as the temporal CLI)")
        more = (f" ({untold} more run{'s' if untold != 1 else ''} of {entry_id} without "
                f"their own pinned code since the last such line)" if untold else "")
        log.warning("workflow %s (run %s) %s: it runs the current code of %s, so a change "
                    "to that code can break it%s", workflow_id, run_id, how, entry_id, more)

    def is_current(self, code: PinnedCode) -> bool:
        """Whether a pinned version is the entry's current code."""
        value = self.memo(code.entry)
        return value is not None and value.get("hash") == code.digest


def copied_by(attempt: int, continued_run_id: str | None, cron_schedule: str | None) -> str:
    """Why a run's memo pin is not its own ("" when it is): Temporal starts a retry of a
    failed run and the next run of a cron schedule with a copy of the earlier run's
    memo. Such a run takes the current code, as a new run does; keeping the copied pin
    would hold every later run of a schedule to its first run's code."""
    if attempt > 1:
        return "a retry"
    if cron_schedule and continued_run_id:
        return "a cron run"
    return ""
