"""The Temporal backend: the app's Lua workflows on a real Temporal server.

A ``temporal.worker`` whose ``temporal.client`` has a real ``address`` is served by
a :class:`TemporalProvider`: one dynamic Temporal workflow hosts a Lua runtime per
run and maps each host call to the Temporal API (activities, timers, signals, child
workflows), one dynamic activity runs ``function.lua`` entries. This is the only
package that imports ``temporalio`` (the optional ``temporal`` extra).
"""

from ._config import (
    ClientConfig,
    TemporalConfigError,
    WorkerConfig,
    client_config,
    worker_config,
)
from ._provider import TemporalProvider, TemporalUnavailable, providers

__all__ = [
    "ClientConfig",
    "TemporalConfigError",
    "TemporalProvider",
    "TemporalUnavailable",
    "WorkerConfig",
    "client_config",
    "providers",
    "worker_config",
]
