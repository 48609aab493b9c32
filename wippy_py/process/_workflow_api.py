"""The Python side of the ``workflow`` module (glue: ``host/glue/workflow.lua``).

Inside a workflow every function asks the run's interceptor (``Process.workflow``);
outside one, the module answers the way Wippy documents: ``version`` returns
``max_supported``, ``info`` returns nil, ``exec`` and ``attrs`` return ``Invalid``.
"""

from __future__ import annotations

from typing import Any

from ..errors import INVALID, ErrorValue
from ..lua import as_text
from ._scheduler import Scheduler


class WorkflowApi:
    """Binds the ``workflow`` module to the running process."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.sched = scheduler
        self.vm = scheduler.vm

    def functions(self) -> dict[str, Any]:
        """The callables the glue receives as ``py``."""
        return {
            "info": self._info,
            "version": self._version,
            "exec_start": self._exec_start,
            "attrs": self._attrs,
            "history_length": self._history_length,
        }

    def _hooks(self) -> Any:
        proc = self.sched.current
        return proc.workflow if proc is not None else None

    def _invalid(self, message: str) -> tuple[None, Any]:
        return None, self.vm.error(ErrorValue(message, INVALID, False))

    def _info(self) -> tuple[Any, Any]:
        hooks = self._hooks()
        if hooks is None:
            return None, None
        return self.vm.to_lua(hooks.info()), None

    def _version(self, change_id: Any, min_supported: int, max_supported: int) -> Any:
        hooks = self._hooks()
        if hooks is None:
            return max_supported, None
        return hooks.version(as_text(change_id), min_supported, max_supported)

    def _exec_start(self, entry: Any, *args: Any) -> tuple[Any, Any]:
        hooks = self._hooks()
        if hooks is None:
            return self._invalid("workflow.exec outside workflow context not yet supported")
        return hooks.spawn(entry, None, 0, None, None, None, None, args)

    def _attrs(self, values: Any) -> Any:
        hooks = self._hooks()
        if hooks is None:
            return self._invalid("workflow.attrs can only be called inside a workflow")
        return hooks.attrs(values)

    def _history_length(self) -> int:
        hooks = self._hooks()
        return int(hooks.history_length()) if hooks is not None else 0
