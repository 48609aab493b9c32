"""The ``temporal.client`` and ``temporal.worker`` entries, read into typed settings.

The registry has already checked the field types (``registry/_validate.py``); this
module turns them into what the Temporal SDK takes: durations in seconds, TLS and API
key settings, the task queue with the client's ``tq_prefix``, the worker options we
map, and which workflow types the worker serves (entry ID, or
``meta.temporal.workflow.name``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.service import PayloadLimitsConfig, TLSConfig

from ...durations import SECOND, to_nanoseconds
from ...errors import WippyError
from ...registry import Entry, Lifecycle, Registry
from ._pins import MEMO_WARN_SIZE, PinCache
from ._vm import VMPool

log = logging.getLogger("wippy_py.temporal")

DEFAULT_CONNECTION_TIMEOUT = 10.0  # seconds (Wippy's default)

# worker_options keys we pass on, with the Worker argument each one sets.
_WORKER_OPTIONS = {
    "identity": "identity",
    "max_concurrent_activity_execution_size": "max_concurrent_activities",
    "max_concurrent_workflow_task_execution_size": "max_concurrent_workflow_tasks",
    "max_concurrent_local_activity_execution_size": "max_concurrent_local_activities",
    "max_concurrent_workflow_task_pollers": "max_concurrent_workflow_task_polls",
    "max_concurrent_activity_task_pollers": "max_concurrent_activity_task_polls",
    "max_cached_workflows": "max_cached_workflows",
    "worker_activities_per_second": "max_activities_per_second",
    "task_queue_activities_per_second": "max_task_queue_activities_per_second",
}
_DURATION_OPTIONS = {
    "sticky_schedule_to_start_timeout": "sticky_queue_schedule_to_start_timeout",
    "worker_stop_timeout": "graceful_shutdown_timeout",
}


class TemporalConfigError(WippyError):
    """A ``temporal.client``/``temporal.worker`` entry that cannot be used."""


@dataclass(frozen=True)
class ClientConfig:
    """How to reach the Temporal server (a ``temporal.client`` entry).

    Attributes:
        id: The entry ID.
        address: ``host:port`` of the frontend.
        namespace: The Temporal namespace.
        connection_timeout: Seconds one connection attempt may take.
        tq_prefix: Prepended to every task queue of the client's workers.
        tls: None (plain), True (system roots) or the TLS settings as keyword
            arguments of ``temporalio.service.TLSConfig``.
        api_key: The API key (``auth.type: api_key``).
    """

    id: str
    address: str
    namespace: str = "default"
    connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT
    tq_prefix: str = ""
    tls: bool | dict[str, Any] | None = None
    api_key: str | None = None

    def describe(self) -> str:
        """``temporal.client ID (address, namespace N)`` for messages."""
        return f"temporal.client {self.id} ({self.address}, namespace {self.namespace})"

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments of ``Client.connect`` besides the address: namespace, API
        key, TLS, and a memo size warning threshold that fits pinned code."""
        return {"namespace": self.namespace, "api_key": self.api_key,
                "tls": tls_config(self.tls),
                "payload_limits": PayloadLimitsConfig(memo_warn_size=MEMO_WARN_SIZE)}


def tls_config(setting: bool | dict[str, Any] | None) -> bool | TLSConfig | None:
    """The SDK's TLS argument for a :attr:`ClientConfig.tls` setting."""
    if isinstance(setting, dict):
        return TLSConfig(**setting)
    return setting


def connect_reason(exc: BaseException) -> str:
    """The gist of a connection error (the SDK wraps the OS error in transport text)."""
    text = str(exc).strip()
    found = re.search(r'message: "([^"]+)"', text)
    return found.group(1) if found else (text or type(exc).__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """A ``temporal.worker`` entry and what it serves.

    Attributes:
        id: The entry ID (the host of workflow PIDs: ``{worker|workflow id}``).
        client: Its client.
        task_queue: The task queue, with the client's prefix.
        options: Keyword arguments for ``temporalio.worker.Worker``.
        lifecycle: The entry's lifecycle (startup mode and retry policy of the
            connection).
        workflows: Temporal workflow type -> ``workflow.lua`` entry ID.
    """

    id: str
    client: ClientConfig
    task_queue: str
    options: dict[str, Any] = field(default_factory=dict)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    workflows: dict[str, str] = field(default_factory=dict)

    def type_of(self, entry_id: str) -> str:
        """The Temporal workflow type of a ``workflow.lua`` entry of this worker."""
        for type_name, entry in self.workflows.items():
            if entry == entry_id:
                return type_name
        return entry_id


def _seconds(entry: Entry, key: str, value: Any) -> float:
    try:
        return to_nanoseconds(value) / SECOND
    except ValueError as exc:
        raise TemporalConfigError(f"{entry.file}:{entry.field_line(key)}: {entry.id}: "
                                  f"{key}: {exc}") from exc


def _read_file(entry: Entry, root: Path, key: str, name: str) -> bytes:
    path = Path(name)
    if not path.is_absolute():
        path = root / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TemporalConfigError(f"{entry.file}:{entry.field_line(key)}: {entry.id}: "
                                  f"cannot read {key} {path}: {exc.strerror}") from exc


def client_config(entry: Entry, root: Path) -> ClientConfig:
    """Reads a ``temporal.client`` entry.

    Raises:
        TemporalConfigError: a file it names cannot be read, or a bad duration.
    """
    data = entry.data if isinstance(entry.data, dict) else {}
    timeout = DEFAULT_CONNECTION_TIMEOUT
    if data.get("connection_timeout") is not None:
        timeout = _seconds(entry, "connection_timeout", data["connection_timeout"])
    auth = data.get("auth") or {}
    tls_block = data.get("tls") or {}
    tls: bool | dict[str, Any] | None = None
    api_key: str | None = None
    if auth.get("type") == "api_key":
        api_key = auth.get("api_key")
        if api_key is None and auth.get("api_key_file"):
            api_key = _read_file(entry, root, "auth.api_key_file",
                                 auth["api_key_file"]).decode().strip()
        tls = True  # API keys travel over TLS only
    if tls_block.get("enabled") or auth.get("type") == "mtls":
        settings: dict[str, Any] = {}
        if tls_block.get("ca_file"):
            settings["server_root_ca_cert"] = _read_file(entry, root, "tls.ca_file",
                                                         tls_block["ca_file"])
        if tls_block.get("server_name"):
            settings["domain"] = tls_block["server_name"]
        if auth.get("type") == "mtls":
            settings["client_cert"] = (auth["cert_pem"].encode() if auth.get("cert_pem") else
                                       _read_file(entry, root, "auth.cert_file",
                                                  auth.get("cert_file", "")))
            settings["client_private_key"] = (
                auth["key_pem"].encode() if auth.get("key_pem") else
                _read_file(entry, root, "auth.key_file", auth.get("key_file", "")))
        if tls_block.get("insecure_skip_verify"):
            log.warning("%s: tls.insecure_skip_verify is not supported by the Python SDK; "
                        "the server certificate is verified", entry.id)
        tls = settings or True
    return ClientConfig(
        id=str(entry.id), address=str(data.get("address", "")),
        namespace=str(data.get("namespace") or "default"), connection_timeout=timeout,
        tq_prefix=str(data.get("tq_prefix") or ""), tls=tls, api_key=api_key,
    )


def worker_config(registry: Registry, worker: Entry) -> WorkerConfig:
    """Reads a ``temporal.worker`` entry, its client and the workflows it serves.

    Raises:
        TemporalConfigError: the client is missing or is not a ``temporal.client``.
    """
    data = worker.data if isinstance(worker.data, dict) else {}
    client_entry = registry.get(str(data.get("client", "")))
    if client_entry is None or client_entry.kind != "temporal.client":
        raise TemporalConfigError(
            f"{worker.file}:{worker.field_line('client')}: {worker.id}: client "
            f"{data.get('client')!r} is not a temporal.client entry")
    client = client_config(client_entry, registry.root or Path("."))
    options: dict[str, Any] = {}
    for key, value in (data.get("worker_options") or {}).items():
        if key in _WORKER_OPTIONS:
            options[_WORKER_OPTIONS[key]] = value
        elif key in _DURATION_OPTIONS:
            options[_DURATION_OPTIONS[key]] = timedelta(
                seconds=_seconds(worker, f"worker_options.{key}", value))
        else:
            log.warning("%s: worker_options.%s is not supported by this backend (ignored)",
                        worker.id, key)
    return WorkerConfig(
        id=str(worker.id), client=client,
        task_queue=client.tq_prefix + str(data.get("task_queue", "")), options=options,
        lifecycle=worker.lifecycle, workflows=served_workflows(registry, str(worker.id)),
    )


def temporal_meta(entry: Entry, role: str) -> dict[str, Any]:
    """``meta.temporal.<role>`` of an entry (``workflow`` or ``activity``), or {}."""
    temporal = entry.meta.get("temporal") if isinstance(entry.meta, dict) else None
    block = temporal.get(role) if isinstance(temporal, dict) else None
    return block if isinstance(block, dict) else {}


def served_workflows(registry: Registry, worker_id: str) -> dict[str, str]:
    """Workflow type -> entry ID of the ``workflow.lua`` entries on ``worker_id``."""
    served: dict[str, str] = {}
    for entry in registry.by_kind("workflow.lua"):
        meta = temporal_meta(entry, "workflow")
        if str(meta.get("worker", "")) == worker_id:
            served[str(meta.get("name") or entry.id)] = str(entry.id)
    return served


@dataclass(frozen=True)
class Catalog:
    """Where things run on Temporal, for one worker: task queues of the app's
    Temporal workers, workflow types, activity routing.

    Attributes:
        registry: The app's registry.
        worker: The worker this catalog serves.
        queues: ``temporal.worker`` ID -> task queue, for every worker of the app whose
            client is a real server.
        types: Workflow type -> ``workflow.lua`` entry ID, over the whole app.
        instruction_budget: Instructions a Lua thread may run between two yields.
        pins: The code runs started here carry, and the code of pinned runs
            (:mod:`._pins`).
        vms: Lua runtimes of ended runs, reused by later runs (:mod:`._vm`).
        prepared_calls: Function ID (Lua string) -> its ID and ``start_activity``
            arguments, for calls without options (made once per function).
    """

    registry: Registry
    worker: WorkerConfig
    queues: dict[str, str]
    types: dict[str, str]
    instruction_budget: int
    pins: PinCache
    vms: VMPool
    prepared_calls: dict[bytes, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def entry_of_type(self, type_name: str) -> str | None:
        """The ``workflow.lua`` entry of a workflow type (None when unknown)."""
        return self.types.get(type_name)

    def type_of(self, entry_id: str) -> str:
        """The workflow type of a ``workflow.lua`` entry."""
        entry = self.registry.get(entry_id)
        name = temporal_meta(entry, "workflow").get("name") if entry is not None else None
        return str(name or entry_id)

    def activity_queue(self, function_id: str) -> str | None:
        """The task queue of a function's ``meta.temporal.activity.worker`` when it is
        another Temporal worker of the app (None: the workflow's own queue)."""
        entry = self.registry.get(function_id)
        worker = temporal_meta(entry, "activity").get("worker") if entry is not None else None
        if worker is None or str(worker) == self.worker.id:
            return None
        return self.queues.get(str(worker))


def catalog(registry: Registry, worker: WorkerConfig, queues: dict[str, str],
            instruction_budget: int, *, pinned: bool = True) -> Catalog:
    """Builds the :class:`Catalog` of ``worker``; ``pinned=False`` runs every run on
    the current code, ignoring the code it was started with (``workflow replay``)."""
    types: dict[str, str] = {}
    for entry in registry.by_kind("workflow.lua"):
        name = temporal_meta(entry, "workflow").get("name")
        types[str(entry.id)] = str(entry.id)
        if name:
            types[str(name)] = str(entry.id)
    # Idle runtimes kept: as many as runs the worker keeps cached (the SDK's default
    # max_cached_workflows is 1000).
    limit = int(worker.options.get("max_cached_workflows", 1000))
    return Catalog(registry, worker, dict(queues), types, instruction_budget,
                   PinCache(registry, enabled=pinned), VMPool(instruction_budget, limit))
