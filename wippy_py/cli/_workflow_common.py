"""Shared pieces of ``wippy-py workflow``: finding the app's journal and a run in it,
JSON arguments, and the text forms of values, times and errors."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from ..backends.local import journal_path
from ..errors import ErrorValue
from ..journal import Journal, RunRow
from ..registry import Registry
from ._common import fail, load_app

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_APP = Path("registry")


def app_options(func: F) -> F:
    """Adds ``--app DIR``, ``--worker W`` and ``--embedded`` to a command."""
    func = click.option(
        "--embedded", is_flag=True,
        help="Use the embedded journal even for workers whose temporal.client is a "
             "Temporal server (for an app run with `wippy-py run --embedded`).",
    )(func)
    func = click.option(
        "--worker", metavar="NS:WORKER",
        help="The temporal.worker whose journal or Temporal server to use (when the app "
             "has several).",
    )(func)
    func = click.option(
        "--app", "app_dir", type=click.Path(path_type=Path), default=DEFAULT_APP,
        show_default=True, help="The app directory.",
    )(func)
    return func


@dataclass
class WorkflowApp:
    """An app and where its workflows are journaled.

    Attributes:
        dir: The app directory as given.
        registry: The loaded registry.
        workers: temporal.worker ID -> its journal file (the workers whose workflows
            are journaled here).
        embedded: True when the workers' clients have ``address: embedded`` (False:
            none has, and the app runs workflows only with ``run --embedded``).
        remote: temporal.worker ID -> (address, namespace) of its Temporal server, for
            the workers whose client is a server (unless ``--embedded``).
    """

    dir: Path
    registry: Registry
    workers: dict[str, Path]
    embedded: bool
    remote: dict[str, tuple[str, str]]

    def server_workers(self, worker: str | None) -> list[str] | None:
        """The workers on one Temporal server that a command talks to, or None when it
        works on a journal (exits when ``worker`` is not a worker of the app, or when
        the app's Temporal workers use several servers and none was picked)."""
        if worker is not None:
            if worker in self.remote:
                return [worker]
            if worker in self.workers:
                return None
            every = ", ".join(sorted({*self.workers, *self.remote}))
            fail(f"--worker {worker} is not a temporal.worker of the app in {self.dir}; "
                 f"its workers: {every}")
        if self.workers:
            return None
        servers: dict[tuple[str, str], list[str]] = {}
        for name, server in sorted(self.remote.items()):
            servers.setdefault(server, []).append(name)
        if len(servers) > 1:
            listed = "; ".join(f"{address} namespace {namespace} ({', '.join(names)})"
                               for (address, namespace), names in servers.items())
            fail(f"the workers of the app in {self.dir} use {len(servers)} Temporal "
                 f"servers: {listed}. Pick one with --worker NS:WORKER")
        return next(iter(servers.values()))

    def journal_file(self, worker: str | None) -> Path:
        """The journal of ``worker``, or the app's only journal (exits otherwise)."""
        if worker is not None:
            if worker not in self.workers:
                fail(f"--worker {worker} is not a temporal.worker of the app in {self.dir}; "
                     f"its workers: {', '.join(sorted(self.workers))}")
            return self.workers[worker]
        paths: dict[Path, list[str]] = {}
        for name, path in sorted(self.workers.items()):
            paths.setdefault(path, []).append(name)
        if len(paths) > 1:
            listed = "; ".join(f"{path} (worker{'s' if len(names) > 1 else ''} "
                               f"{', '.join(names)})" for path, names in paths.items())
            fail(f"the app in {self.dir} keeps workflows in {len(paths)} journals: {listed}. "
                 "Pick one with --worker NS:WORKER")
        return next(iter(paths))

    def workflow_entries(self) -> list[str]:
        """IDs of the app's workflow.lua entries."""
        return sorted(str(e.id) for e in self.registry.by_kind("workflow.lua"))

    def hint(self, command: str = "list") -> str:
        """``wippy-py workflow COMMAND --app DIR`` (for messages)."""
        app = "" if self.dir == DEFAULT_APP else f" --app {self.dir}"
        return f"`wippy-py workflow {command}{app}`"


def open_app(app_dir: Path, embedded: bool = False) -> WorkflowApp:
    """Loads the app and sorts its workers: journaled here (``address: embedded``, or
    every worker with ``embedded``) or on a Temporal server (exits when it has no
    worker)."""
    registry = load_app(app_dir)
    root = registry.root or app_dir
    local: dict[str, Path] = {}
    others: dict[str, Path] = {}
    remote: dict[str, tuple[str, str]] = {}
    for worker in registry.by_kind("temporal.worker"):
        client = registry.get(str(worker.data.get("client", "")))
        data = client.data if client is not None else {}
        path = journal_path(root, data).resolve()
        address = str(data.get("address", ""))
        if address == "embedded":
            local[str(worker.id)] = path
        else:
            others[str(worker.id)] = path
            remote[str(worker.id)] = (address, str(data.get("namespace") or "default"))
    if not local and not others:
        fail(f"the app in {app_dir} declares no temporal.worker, so it runs no workflows; "
             "add a temporal.client with `address: embedded` and a temporal.worker that "
             "names it")
    if embedded:
        return WorkflowApp(app_dir, registry, {**local, **others}, not others, {})
    return WorkflowApp(app_dir, registry, local, True, remote)


def open_journal(app: WorkflowApp, worker: str | None, *, create: bool = False) -> Journal | None:
    """Opens the app's journal; None when it does not exist yet and ``create`` is false."""
    path = app.journal_file(worker)
    if not create and not path.exists():
        return None
    return Journal(path, create=create)


def no_journal(app: WorkflowApp, worker: str | None, ident: str) -> str:
    """The message for an ID looked up before any workflow ran."""
    return (f"no workflow {ident}: no workflow has run in the app {app.dir} yet (its journal "
            f"{app.journal_file(worker)} does not exist); start one with "
            f"{app.hint('start ENTRY')}")


def journal_for(app: WorkflowApp, worker: str | None, ident: str) -> Journal:
    """The app's journal, to look up ``ident`` in; exits when no workflow has run yet."""
    journal = open_journal(app, worker)
    if journal is None:
        fail(no_journal(app, worker, ident))
    return journal


def find_run(journal: Journal, app: WorkflowApp, ident: str) -> RunRow:
    """The run that ``ident`` names: a workflow ID (its latest run), a run ID, or a
    unique prefix of a run ID (as ``workflow list`` shows them). Exits when none."""
    row = journal.current_run(ident) or journal.run(ident)
    if row is not None:
        return row
    if len(ident) >= 4:
        matches = [r for r in journal.runs() if r.run_id.startswith(ident)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            fail(f"{ident} is the start of {len(matches)} run IDs "
                 f"({', '.join(r.run_id for r in matches[:5])}); give more of it")
    fail(f"no workflow or run {ident} in the journal {journal.path}; see {app.hint()}")


def parse_json(text: str, what: str) -> Any:
    """Parses a JSON argument; a syntax error exits, pointing at the position."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines() or [""]
        line = lines[min(exc.lineno, len(lines)) - 1]
        fail(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}:\n"
             f"    {line}\n    {' ' * (exc.colno - 1)}^\n"
             "Quote JSON for the shell, e.g. '{\"amount\": 42}' or '\"text\"'")


def jsonable(value: Any) -> Any:
    """A journal value as plain JSON data (bytes as text, errors as their record)."""
    if isinstance(value, dict):
        if len(value) == 1 and "\0error" in value:
            return {"error": jsonable(value["\0error"])}
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, ErrorValue):
        return value.to_record()
    return value


def to_json(value: Any) -> str:
    """One-line JSON of a journal value."""
    return json.dumps(jsonable(value), ensure_ascii=False, sort_keys=True)


def short(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def when(epoch: float, precise: bool = False) -> str:
    """A local date and time (``precise``: the time of day with milliseconds)."""
    if not epoch:
        return "-"
    if precise:
        return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def error_text(error: dict[str, Any] | None) -> tuple[str, str]:
    """(message with its kind, Lua traceback) of a journaled error."""
    if not error:
        return "unknown error", ""
    message = str(error.get("message", "")) or "error without a message"
    kind = str(error.get("kind") or "")
    lines = str(error.get("stack") or "").splitlines()
    if lines and lines[0].strip() == message.strip():
        lines = lines[1:]  # the traceback repeats the message
    # Frames of the runtime's own Lua kernel say nothing about the workflow.
    stack = "\n".join(line for line in lines
                      if not line.strip().startswith("kernel:") and "raw_xpcall" not in line)
    return (f"{message} [{kind}]" if kind else message), stack


def table(headers: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> list[str]:
    """Aligned text columns (columns listed in ``right`` are right-aligned)."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def echo_runs(rows: list[Any], limit: int, count_header: str,
              hide_running_update: bool = False) -> None:
    """``workflow list``'s table of runs, newest first, and the note when ``--limit``
    cut it (``count_header``: what the last column counts; ``hide_running_update``:
    "-" for the last update of a running run)."""
    lines = table(
        ["WORKFLOW ID", "RUN", "ENTRY", "STATUS", "CREATED", "UPDATED", count_header],
        [[r.workflow_id, r.run_id[:8], r.entry, r.status, when(r.created_at),
          "-" if hide_running_update and r.status == "running" else when(r.updated_at),
          str(r.history_length)] for r in rows],
        right=(6,),
    )
    for line in lines:
        click.echo(line)
    if limit and len(rows) == limit:
        click.echo(f"(the newest {limit}; --limit 0 lists all)", err=True)


def journal_errors(func: F) -> F:
    """Exits with the message of a :class:`JournalError` (code 2), no traceback."""
    from ..errors import JournalError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except JournalError as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]
