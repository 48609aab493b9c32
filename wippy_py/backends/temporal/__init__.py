"""The Temporal backend: the app's Lua workflows on a real Temporal server.

A ``temporal.worker`` whose ``temporal.client`` has a real ``address`` is served by
a :class:`TemporalProvider`: one dynamic Temporal workflow hosts a Lua runtime per
run and maps each host call to the Temporal API (activities, timers, signals, child
workflows), one dynamic activity runs ``function.lua`` entries. This is the only
package that imports ``temporalio`` (the optional ``temporal`` extra).
"""

from ._admin import AdminError, NotRunning, RemoteRun, ServerUnavailable, TemporalAdmin
from ._admin_history import history_rows
from ._admin_replay import replay_run
from ._config import (
    ClientConfig,
    TemporalConfigError,
    WorkerConfig,
    client_config,
    connect_reason,
    tls_config,
    worker_config,
)
from ._pins import CODE_MEMO, PinError
from ._provider import TemporalProvider, TemporalUnavailable, providers

__all__ = [
    "CODE_MEMO",
    "AdminError",
    "ClientConfig",
    "NotRunning",
    "PinError",
    "RemoteRun",
    "ServerUnavailable",
    "TemporalAdmin",
    "TemporalConfigError",
    "TemporalProvider",
    "TemporalUnavailable",
    "WorkerConfig",
    "client_config",
    "connect_reason",
    "history_rows",
    "providers",
    "replay_run",
    "tls_config",
    "worker_config",
]
