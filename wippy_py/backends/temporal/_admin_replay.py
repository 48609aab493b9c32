"""``wippy-py workflow replay`` on Temporal: a fetched history against the current code.

Temporal's ``Replayer`` re-runs the history with the worker's dynamic workflow class
(the app's current Lua code) and gives the verdict. To report the first divergence
the way the embedded engine does (the step, what the code does now with its Lua
``file:line``, what the history holds), an interceptor records every command the code
issues while it replays — activities (type and argument hash), timers (the event
loop's ``call_later``, which is how the driver arms them), child workflows, signals
to other workflows, continue-as-new — and they are compared, in order, with the
history's commands. Nothing runs for real: activities and children resolve from
the history, and nothing is sent to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from ...durations import format_duration
from ...errors import EntryError, LuaLoadError
from ...workflow import args_hash
from ...workflow._replay import describe
from ._admin import TemporalAdmin
from ._admin_history import HistoryRow, history_rows, replayed_commands
from ._admin_types import AdminError, RemoteRun
from ._config import catalog
from ._pins import CODE_MEMO
from ._vm import WorkflowVM
from ._workflow import workflow_class

ADVICE = ("The workflow's code changed while this run was in flight: restore the code it "
          "started with, branch with workflow.version(), or terminate the run.")


@dataclass
class Issued:
    """A command the current code issued while replaying."""

    kind: str
    target: str
    args_hash: str
    location: str


@dataclass
class Recorder:
    """What the code did during the replay."""

    commands: list[Issued] = field(default_factory=list)
    ended: str = ""  # "returned", "failed", "continued" ("" while it waits)
    error: str = ""

    def add(self, kind: str, target: str, digest: str = "") -> None:
        """Records a command with the Lua line the code is at."""
        self.commands.append(Issued(kind, target, digest, _where()))


def _where() -> str:
    try:
        run = getattr(workflow.instance(), "run_state", None)
    except Exception:  # not inside the workflow
        return ""
    return run.vm.where() if run is not None else ""


def _timer_target(delay: float) -> str:
    return format_duration(round(delay * 1000) * 1_000_000)


class _Outbound(WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, recorder: Recorder) -> None:
        super().__init__(next)
        self.recorder = recorder

    def start_activity(self, input: StartActivityInput) -> Any:
        self.recorder.add("call", input.activity, args_hash(list(input.args)))
        return super().start_activity(input)

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> Any:
        self.recorder.add("spawn", input.workflow)
        return await super().start_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        self.recorder.add("signal_out", input.workflow_id)
        await super().signal_external_workflow(input)

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        self.recorder.add("signal_out", input.child_workflow_id)
        await super().signal_child_workflow(input)

    def continue_as_new(self, input: ContinueAsNewInput) -> Any:
        self.recorder.add("continue", str(input.workflow or ""))
        return super().continue_as_new(input)


def _interceptor(recorder: Recorder) -> Interceptor:
    class Inbound(WorkflowInboundInterceptor):
        def init(self, outbound: WorkflowOutboundInterceptor) -> None:
            super().init(_Outbound(outbound, recorder))

        async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
            loop: Any = asyncio.get_running_loop()
            arm = loop.call_later

            def call_later(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
                recorder.add("timer", _timer_target(delay))
                return arm(delay, callback, *args, **kwargs)

            loop.call_later = call_later  # the driver's durable timers
            try:
                result = await super().execute_workflow(input)
            except workflow.ContinueAsNewError:
                recorder.ended = "continued"
                raise
            except ApplicationError as exc:
                recorder.ended, recorder.error = "failed", exc.message
                raise
            recorder.ended = "returned"
            return result

    class Recording(Interceptor):
        def workflow_interceptor_class(
            self, input: WorkflowInterceptorClassInput
        ) -> type[WorkflowInboundInterceptor]:
            return Inbound

    return Recording()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The SDK logs a failed replay activation with a traceback; the verdict says it."""
    logger = logging.getLogger("temporalio")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


@dataclass
class ReplayVerdict:
    """What replaying a run found: the events replayed and the first divergence
    ("" when none)."""

    events: int
    divergence: str = ""


def replay_run(admin: TemporalAdmin, row: RemoteRun, history: WorkflowHistory
               ) -> ReplayVerdict:
    """Replays ``history`` (of ``row``) against the app's current code.

    Raises:
        AdminError: the current code of the run's entry does not load.
    """
    worker = admin.workers.get(row.worker) or next(iter(admin.workers.values()))
    try:  # a script that does not compile is not a divergence
        WorkflowVM(admin.registry).loader.load(row.entry, ("workflow.lua",))
    except (EntryError, LuaLoadError) as exc:
        raise AdminError(f"cannot replay workflow {row.workflow_id}: {exc}") from None
    queues = {w: c.task_queue for w, c in admin.workers.items()}
    # pinned=False: the run's own code (its memo) is ignored, the current code replays.
    workflows = [workflow_class(catalog(admin.registry, worker, queues,
                                        admin.catalog.instruction_budget, pinned=False))]
    recorder = Recorder()
    replayer = Replayer(workflows=workflows, interceptors=[_interceptor(recorder)],
                        runtime=admin.runtime)
    with _quiet():
        result = admin.run(replayer.replay_workflow(history, raise_on_replay_failure=False))
    rows = history_rows(history)
    verdict = ReplayVerdict(len(history.events))
    verdict.divergence = judge(row, rows, recorder, result.replay_failure)
    if verdict.divergence:
        verdict.divergence = with_pin_note(verdict.divergence, admin, row, history)
    return verdict


def with_pin_note(divergence: str, admin: TemporalAdmin, row: RemoteRun,
                  history: WorkflowHistory) -> str:
    """What a divergence of the current code means for the run itself: a run started
    with pinned code (``_pins.py``) replays that code, so the advice to restore the
    code or terminate the run gives way to the two versions; a running run without
    pinned code runs today's code and will meet the divergence."""
    started = history.events[0].workflow_execution_started_event_attributes \
        if history.events else None
    payload = started.memo.fields.get(CODE_MEMO) if started is not None else None
    running = row.status == "running"
    if payload is None:
        return divergence + (" The run was started without pinned code (by another "
                             "client): its workers run the current code and will meet "
                             "this divergence." if running else "")
    try:
        pinned = str(PayloadConverter.default.from_payload(payload)["hash"])[:12]
    except Exception:  # a foreign value: the worker reports it when it loads the run
        return divergence + f" The run's memo {CODE_MEMO} is not readable pinned code."
    now = admin.catalog.pins.memo(row.entry)
    current = str(now["hash"])[:12] if now is not None else "not pinned"
    if current == pinned:
        return divergence
    note = (f"The run itself goes on: its workers replay the code it started with "
            f"(version {pinned}, pinned in its memo); the current code is version "
            f"{current}." if running else
            f"The run started with code version {pinned} (pinned in its memo); the current "
            f"code is version {current}.")
    return divergence.replace(ADVICE, note)


def _header(row: RemoteRun, seq: int | None = None) -> str:
    where = f" at event {seq}" if seq is not None else ""
    return (f"workflow {row.workflow_id} (run {row.run_id}) diverged from its history"
            f"{where}")


def _now(issued: Issued) -> str:
    now = describe(issued.kind, issued.target)
    if issued.kind == "call":
        now += f" [args {issued.args_hash or '-'}]"
    return now + f" at {issued.location or 'an unknown line'}"


def _then(held: HistoryRow) -> str:
    then = describe(held.kind, held.target)
    if held.kind == "call":
        then += f" [args {held.args_hash or '-'}]"
    return then


def judge(row: RemoteRun, rows: list[HistoryRow], recorder: Recorder,
          failure: BaseException | None) -> str:
    """The first divergence between the history and what the code did ("" if none)."""
    held = replayed_commands(rows)
    issued = recorder.commands
    for now, then in zip(issued, held, strict=False):
        same = (now.kind == then.kind and now.target == then.target
                and (now.kind != "call" or now.args_hash == then.args_hash))
        if not same:
            return (f"{_header(row, then.seq)}: the code now issues {_now(now)}, but the "
                    f"history holds {_then(then)}. {ADVICE}")
    if len(issued) < len(held):
        nxt = held[len(issued)]
        if recorder.ended in ("returned", "failed"):
            ended = "returned" if recorder.ended == "returned" else \
                f"failed ({recorder.error})"
            return (f"{_header(row, nxt.seq)}: the code now {ended} there, but the history "
                    f"holds {_then(nxt)} next. {ADVICE}")
        return (f"{_header(row, nxt.seq)}: the code is waiting, but the history holds "
                f"{_then(nxt)} next. {ADVICE}")
    closed = row.status != "running"
    if len(issued) > len(held) and closed and row.status != "continued":
        extra = issued[len(held)]
        last = rows[-1].seq if rows else 0
        return (f"{_header(row, last)}: the run {row.status} there, but the code now "
                f"issues {_now(extra)}. {ADVICE}")
    recorded = str((row.error or {}).get("message", "")) if row.status == "failed" else ""
    if recorder.ended == "failed" and not (recorded and recorded.startswith(recorder.error)):
        return (f"workflow {row.workflow_id} (run {row.run_id}): replaying its "
                f"{rows[-1].seq if rows else 0} events ended in an error the run did not "
                f"have: {recorder.error}")
    if row.status == "failed" and recorder.ended == "returned":
        return (f"{_header(row)}: the run failed, but the code now returns. {ADVICE}")
    if failure is not None:
        return f"{_header(row)}: {_failure_text(failure)}"
    return ""


def _failure_text(failure: BaseException) -> str:
    text = str(failure).strip() or type(failure).__name__
    cause = failure.__cause__
    if cause is not None and str(cause) not in text:
        text += f" ({cause})"
    return text
