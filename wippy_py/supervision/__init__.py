"""Supervision (layer L3): ``process.service`` lifecycle, restart policies with
backoff, dependency order and graceful shutdown, as Wippy's supervisor does it.

Typical use (the node does this in :meth:`wippy_py.node.Node.serve`)::

    supervisor = Supervisor(registry, node.processes)
    await supervisor.start_all(nursery)   # auto_start services, dependencies first
    ...
    await supervisor.stop_all()           # dependents first: CANCEL, wait, terminate
"""

from ._graph import DependencyCycleError as DependencyCycleError
from ._graph import SupervisionError as SupervisionError
from ._graph import find_cycle as find_cycle
from ._graph import topological_order as topological_order
from ._policy import backoff_delay as backoff_delay
from ._policy import base_delay as base_delay
from ._policy import may_retry as may_retry
from ._service import EXITED as EXITED
from ._service import FAILED as FAILED
from ._service import RUNNING as RUNNING
from ._service import STARTING as STARTING
from ._service import STOPPED as STOPPED
from ._service import STOPPING as STOPPING
from ._service import UNKNOWN as UNKNOWN
from ._service import Service as Service
from ._supervisor import REASON_STOPPING as REASON_STOPPING
from ._supervisor import Supervisor as Supervisor

__all__ = [
    "EXITED",
    "FAILED",
    "REASON_STOPPING",
    "RUNNING",
    "STARTING",
    "STOPPED",
    "STOPPING",
    "UNKNOWN",
    "DependencyCycleError",
    "Service",
    "SupervisionError",
    "Supervisor",
    "backoff_delay",
    "base_delay",
    "find_cycle",
    "may_retry",
    "topological_order",
]
