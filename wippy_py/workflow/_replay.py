"""Replay: re-running workflow code against its recorded history.

A run's history interleaves *commands* (what the code asked for: an activity, a
timer, a clock reading, a child) and *events* (what was delivered to it: a result, a
timer firing, a signal), in the order they happened. Events are only ever delivered
while the workflow is idle, so re-running the same code against the same history
reproduces the same run: every command the code issues must equal the next recorded
command (kind, target and argument hash), and whenever the code goes idle the next
record must be an event. When the history is exhausted the run continues live.
"""

from __future__ import annotations

from ..errors import NondeterminismError
from ..journal import Record

COMMAND, EVENT = "command", "event"

_DESCRIBE = {
    "call": "funcs.call({target})",
    "timer": "a durable timer of {target}",
    "now": "time.now()",
    "uuid": "uuid.{target}()",
    "random": "math.random()",
    "send": "process.send to {target}",
    "signal_out": "process.send to workflow {target}",
    "spawn": "a child workflow {target}",
    "version": "workflow.version({target!r})",
    "attrs": "workflow.attrs()",
    "cancel_call": "future:cancel()",
    "cancel_timer": "timer:stop()",
    "cancel_out": "process.cancel of {target}",
    "terminate_out": "process.terminate of {target}",
    "continue": "process.upgrade({target})",
}


def describe(kind: str, target: str) -> str:
    """A readable name of a command, e.g. ``funcs.call(app:charge)``."""
    template = _DESCRIBE.get(kind, kind + " {target}")
    return template.format(target=target)


class Replay:
    """A cursor over a run's history while its code re-runs.

    Args:
        workflow_id: The workflow ID (for error messages).
        run_id: The run ID (for error messages).
        records: The run's history, in order.
    """

    def __init__(self, workflow_id: str, run_id: str, records: list[Record]) -> None:
        self.workflow_id = workflow_id
        self.run_id = run_id
        self._records = records
        self._pos = 0

    @property
    def live(self) -> bool:
        """True once every recorded entry was replayed."""
        return self._pos >= len(self._records)

    @property
    def position(self) -> int:
        """The seq of the next record to replay."""
        return self._pos

    def match(self, kind: str, target: str, args_hash: str, location: str) -> Record | None:
        """Checks a command the code issues against the history.

        Returns:
            The recorded command (the caller uses its outcome and does not run it
            again), or None when the history is exhausted (the caller runs it live).

        Raises:
            NondeterminismError: the history holds another command or an event here.
        """
        if self._pos >= len(self._records):
            return None
        record = self._records[self._pos]
        if (record.type != COMMAND or record.kind != kind or record.target != target
                or record.args_hash != args_hash):
            raise NondeterminismError(self._diverged(record, kind, target, args_hash, location))
        self._pos += 1
        return record

    def next_event(self, location: str = "") -> Record | None:
        """The next recorded event, asked for while the code is idle.

        Returns:
            The event to deliver, or None when the history is exhausted.

        Raises:
            NondeterminismError: the history holds a command here, which the code,
                now idle, did not issue.
        """
        if self._pos >= len(self._records):
            return None
        record = self._records[self._pos]
        if record.type != EVENT:
            raise NondeterminismError(self._stopped_short(record, location))
        self._pos += 1
        return record

    def _header(self, seq: int) -> str:
        return (f"workflow {self.workflow_id} (run {self.run_id}) diverged from its journal "
                f"at step {seq}")

    def _diverged(
        self, record: Record, kind: str, target: str, args_hash: str, location: str
    ) -> str:
        now = f"{describe(kind, target)} [args {args_hash or '-'}]"
        if record.type == EVENT:
            then = (f"the event {record.kind}"
                    + (f" ({record.target})" if record.target else "")
                    + " was delivered while the code was waiting")
        else:
            then = (f"{describe(record.kind, record.target)} [args {record.args_hash or '-'}]"
                    f" at {record.location or 'an unknown line'}")
        return (f"{self._header(record.seq)}: the code now issues {now} at "
                f"{location or 'an unknown line'}, but the journal holds {then}. "
                "The workflow's code changed while this run was in flight: restore the code "
                "it started with, branch with workflow.version(), or terminate the run.")

    def _stopped_short(self, record: Record, location: str) -> str:
        where = f" at {location}" if location else ""
        return (f"{self._header(record.seq)}: the code is waiting{where}, but the journal "
                f"holds {describe(record.kind, record.target)} [args {record.args_hash or '-'}] "
                f"at {record.location or 'an unknown line'} next. The workflow's code changed "
                "while this run was in flight: restore the code it started with, branch with "
                "workflow.version(), or terminate the run.")
