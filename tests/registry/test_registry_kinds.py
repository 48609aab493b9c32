"""Per-kind validation: each bad field is reported with file, line, entry and field."""

from __future__ import annotations

import pytest
from registry_helpers import Problems, WriteTree, assert_at, only

from wippy_py.errors import RegistryError
from wippy_py.registry import load_registry


def entry_problem(problems: Problems, kind: str, body: str) -> list[RegistryError]:
    """Loads one entry app:e of ``kind`` at line 3; ``body`` lines start at line 5."""
    fields = "".join(f"    {line}\n" for line in body.splitlines())
    head = f"namespace: app\nentries:\n  - name: e\n    kind: {kind}\n"
    return problems({"a.yaml": head + fields})


@pytest.mark.parametrize(
    ("kind", "body", "line", "field", "message"),
    [
        ("function.lua", "method: run\n", 3, "source", "missing required field 'source'"),
        ("function.lua", "source: ''\n", 3, "method", "missing required field 'method'"),
        ("function.lua", "source: ''\nmethod: ''\n", 6, "method", "must not be empty"),
        ("function.lua", "source: 5\nmethod: m\n", 5, "source", "must be a string, got a number"),
        (
            "function.lua",
            "source: ''\nmethod: m\nmodules: json\n",
            7,
            "modules",
            "must be a list of strings",
        ),
        (
            "function.lua",
            "source: ''\nmethod: m\nmodules: [json, 3]\n",
            7,
            "modules[1]",
            "must be a non-empty string",
        ),
        (
            "function.lua",
            "source: ''\nmethod: m\nimports: [x]\n",
            7,
            "imports",
            "must be a mapping",
        ),
        (
            "function.lua",
            "source: ''\nmethod: m\nimports: {x: 3}\n",
            7,
            "imports.x",
            "must be a string",
        ),
        (
            "function.lua",
            "source: ''\nmethod: m\nimports: {x: 'a:'}\n",
            7,
            "imports.x",
            "must look like namespace:name",
        ),
        (
            "function.lua",
            "source: ''\nmethod: m\npool: {type: huge}\n",
            7,
            "pool.type",
            "must be one of inline, lazy, static, adaptive",
        ),
        (
            "function.lua",
            "source: ''\nmethod: m\npool: {workers: 0}\n",
            7,
            "pool.workers",
            "must be at least 1",
        ),
        ("function.lua", "source: ''\nmethod: m\npool: 4\n", 7, "pool", "must be a mapping"),
        ("process.lua", "source: ''\n", 3, "method", "missing required field 'method'"),
        (
            "process.lua",
            "source: ''\nmethod: m\nmeta: {command: {name: 5}}\n",
            7,
            "meta.command.name",
            "must be a string",
        ),
        (
            "process.lua",
            "source: ''\nmethod: m\nmeta: {command: go}\n",
            7,
            "meta.command",
            "must be a mapping",
        ),
        ("workflow.lua", "method: main\n", 3, "source", "missing required field 'source'"),
        ("workflow.lua", "source: ''\nmethod: ''\n", 6, "method", "must not be empty"),
        (
            "workflow.lua",
            "source: ''\nmeta: {temporal: {workflow: {worker: 1}}}\n",
            6,
            "meta.temporal.workflow.worker",
            "must be a string",
        ),
        ("library.lua", "modules: []\n", 3, "source", "missing required field 'source'"),
        ("process.host", "host: 4\n", 5, "host", "must be a mapping"),
        ("process.host", "host: {workers: 0}\n", 5, "host.workers", "must be at least 1"),
        ("process.host", "host: {queue_size: big}\n", 5, "host.queue_size", "must be an integer"),
        ("process.service", "host: app:h\n", 3, "process", "missing required field 'process'"),
        ("process.service", "process: app:p\n", 3, "host", "missing required field 'host'"),
        ("process.service", "process: app:p\nhost: 3\n", 6, "host", "must be a string"),
        ("terminal.host", "hide_logs: maybe\n", 5, "hide_logs", "must be true or false"),
        (
            "temporal.client",
            "namespace: default\n",
            3,
            "address",
            "missing required field 'address'",
        ),
        (
            "temporal.client",
            "address: embedded\nconnection_timeout: 5 sec\n",
            6,
            "connection_timeout",
            "missing unit in duration",
        ),
        (
            "temporal.client",
            "address: embedded\nauth: {type: password}\n",
            6,
            "auth.type",
            "must be one of none, api_key, mtls",
        ),
        ("temporal.client", "address: embedded\ntls: true\n", 6, "tls", "must be a mapping"),
        ("temporal.client", "address: embedded\njournal: 7\n", 6, "journal", "must be a string"),
        ("temporal.worker", "task_queue: q\n", 3, "client", "missing required field 'client'"),
        (
            "temporal.worker",
            "client: app:c\n",
            3,
            "task_queue",
            "missing required field 'task_queue'",
        ),
        (
            "temporal.worker",
            "client: app:c\ntask_queue: ' '\n",
            6,
            "task_queue",
            "must not be empty",
        ),
        (
            "temporal.worker",
            "client: app:c\ntask_queue: q\nworker_options: 1\n",
            7,
            "worker_options",
            "must be a mapping",
        ),
        (
            "function.lua",
            "data: [1]\n",
            3,
            "",
            "the data of a function.lua entry must be a mapping",
        ),
        (
            "registry.entry",
            "meta: {depends_on: x}\n",
            5,
            "meta.depends_on",
            "must be a list of strings",
        ),
    ],
)
def test_bad_kind_fields(
    problems: Problems, kind: str, body: str, line: int, field: str, message: str
) -> None:
    found = [p for p in entry_problem(problems, kind, body) if "is not defined" not in str(p)]
    if kind == "registry.entry":
        # registry.entry is free-form: even its meta is not validated.
        assert found == []
        return
    problem = only(found)
    assert_at(problem, "a.yaml", line, "app:e", field)
    assert message in str(problem)


def test_process_service_input_must_be_a_list(problems: Problems) -> None:
    found = problems(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - {name: h, kind: process.host}
                  - {name: p, kind: process.lua, source: "", method: main}
                  - name: s
                    kind: process.service
                    process: p
                    host: app:h
                    input: 5
            """
        }
    )
    problem = only(found)
    assert_at(problem, "a.yaml", 9, "app:s", "input")
    assert "'input' must be a list of positional arguments" in str(problem)


def test_valid_kinds_have_no_problems_and_store_defaults(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - {name: wf, kind: workflow.lua, source: "return {}"}
                  - {name: lib, kind: library.lua, source: "", method: ignored}
                  - name: f
                    kind: function.lua
                    source: ""
                    method: run
                    pool: {type: lazy, workers: 2, buffer: 0}
                  - {name: t, kind: temporal.client, address: embedded, journal: j.db}
                  - {name: h, kind: terminal.host, hide_logs: false}
            """
        }
    )
    registry = load_registry(root)
    assert registry.require("app:wf").get("method") == "main"
