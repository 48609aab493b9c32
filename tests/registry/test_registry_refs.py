"""Relative ID resolution, dependency extraction and cross-entry reference checks."""

from __future__ import annotations

from collections.abc import Callable

from wippy_py.errors import RegistryError
from wippy_py.registry import EntryId, Registry

Load = Callable[[dict[str, str | bytes]], Registry]
Problems = Callable[[dict[str, str | bytes]], list[RegistryError]]

APP = """\
    namespace: app
    entries:
      - {name: processes, kind: process.host}
      - {name: util, kind: library.lua, source: "return {}"}
      - name: proc
        kind: process.lua
        source: "return {}"
        method: main
        imports: {u: util, full: app:util}
      - name: svc
        kind: process.service
        process: proc
        host: app:processes
        lifecycle:
          requires: [processes]
          depends_on: [app:processes, other.ns:thing]
        meta:
          parent: processes
          depends_on: [util, "ns:wippy.relay.env"]
      - {name: temporal, kind: temporal.client, address: embedded}
      - name: worker
        kind: temporal.worker
        client: temporal
        task_queue: orders
      - name: flow
        kind: workflow.lua
        source: "return {}"
        meta:
          temporal:
            workflow: {worker: worker}
      - name: act
        kind: function.lua
        source: "return {}"
        method: run
        meta:
          temporal:
            activity: {worker: app:worker}
"""
OTHER = "namespace: other.ns\nname: thing\nkind: registry.entry\n"


def only(found: list[RegistryError]) -> RegistryError:
    assert len(found) == 1, "\n".join(str(problem) for problem in found)
    return found[0]


def test_relative_references_are_stored_as_full_ids(load: Load) -> None:
    registry = load({"app.yaml": APP, "other.yaml": OTHER})
    svc = registry.require("app:svc")
    assert svc.get("process") == "app:proc"
    assert svc.get("host") == "app:processes"
    assert svc.get("lifecycle")["requires"] == ["app:processes"]
    assert svc.meta["depends_on"] == ["app:util", "ns:wippy.relay.env"]
    assert svc.meta["parent"] == "processes"  # not a defaulted field: kept as written
    assert registry.require("app:proc").get("imports") == {"u": "app:util", "full": "app:util"}
    assert registry.require("app:worker").get("client") == "app:temporal"
    assert registry.require("app:flow").meta["temporal"]["workflow"]["worker"] == "app:worker"


def test_dependencies_are_extracted_sorted_and_unique(load: Load) -> None:
    registry = load({"app.yaml": APP, "other.yaml": OTHER})
    assert registry.require("app:svc").dependencies == (
        EntryId("app", "proc"),
        EntryId("app", "processes"),
        EntryId("app", "util"),
        EntryId("other.ns", "thing"),
    )
    assert registry.require("app:proc").dependencies == (EntryId("app", "util"),)
    assert registry.require("app:worker").dependencies == (EntryId("app", "temporal"),)
    assert registry.require("app:flow").dependencies == (EntryId("app", "worker"),)
    assert registry.require("app:act").dependencies == (EntryId("app", "worker"),)
    assert registry.require("app:util").dependencies == ()


def test_lifecycle_requires_merges_requires_and_depends_on(load: Load) -> None:
    registry = load({"app.yaml": APP, "other.yaml": OTHER})
    assert registry.require("app:svc").lifecycle.requires == (
        EntryId("app", "processes"),
        EntryId("other.ns", "thing"),
    )


def test_dependencies_exclude_the_entry_itself(load: Load) -> None:
    entry = load(
        {"a.yaml": "namespace: app\nname: x\nkind: registry.entry\nmeta: {depends_on: [x]}\n"}
    ).require("app:x")
    assert entry.dependencies == ()


def test_missing_reference(problems: Problems) -> None:
    found = problems(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - {name: processes, kind: process.host}
                  - name: svc
                    kind: process.service
                    process: missing
                    host: app:processes
            """
        }
    )
    problem = only(found)
    assert problem.location.file == "a.yaml"
    assert problem.location.line == 6
    assert problem.location.entry == "app:svc"
    assert problem.location.field == "process"
    assert "refers to app:missing, which is not defined" in str(problem)
    assert str(problem).startswith("a.yaml:6, entry app:svc, field 'process'")


def test_missing_lifecycle_requirement_and_import(problems: Problems) -> None:
    found = problems(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - name: host
                    kind: process.host
                    lifecycle:
                      depends_on:
                        - app:db
                  - name: p
                    kind: library.lua
                    source: ""
                    imports: {json: lib.json}
            """
        }
    )
    assert [(p.location.line, p.location.field) for p in found] == [
        (7, "lifecycle.depends_on[0]"),
        (11, "imports.json"),
    ]
    assert "refers to app:db, which is not defined" in str(found[0])
    assert "refers to app:lib.json, which is not defined" in str(found[1])


def test_missing_temporal_worker_in_meta(problems: Problems) -> None:
    problem = only(
        problems(
            {
                "a.yaml": """\
                    namespace: app
                    name: flow
                    kind: workflow.lua
                    source: ""
                    meta:
                      temporal:
                        workflow:
                          worker: nowhere
                """
            }
        )
    )
    assert problem.location.field == "meta.temporal.workflow.worker"
    assert problem.location.line == 8
    assert "refers to app:nowhere, which is not defined" in str(problem)


def test_reference_to_wrong_kind(problems: Problems) -> None:
    found = problems(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - {name: f, kind: function.lua, source: "", method: run}
                  - {name: lib, kind: library.lua, source: ""}
                  - name: svc
                    kind: process.service
                    process: f
                    host: app:lib
                  - name: w
                    kind: temporal.worker
                    client: app:lib
                    task_queue: q
                  - name: user
                    kind: process.lua
                    source: ""
                    method: main
                    imports: {x: f}
            """
        }
    )
    messages = {problem.location.field: str(problem) for problem in found}
    assert len(found) == 4
    assert "refers to app:f, which is a function.lua, not a process.lua" in messages["process"]
    assert "which is a library.lua, not a process.host or terminal.host" in messages["host"]
    assert "which is a library.lua, not a temporal.client" in messages["client"]
    assert "refers to app:f, which is a function.lua, not a library.lua" in messages["imports.x"]
    assert all(problem.location.file == "a.yaml" for problem in found)
    assert messages["host"].startswith("a.yaml:8, entry app:svc")


def test_bare_host_name_is_an_error(problems: Problems) -> None:
    problem = only(
        problems(
            {
                "a.yaml": """\
                    namespace: app
                    entries:
                      - {name: processes, kind: process.host}
                      - {name: p, kind: process.lua, source: "", method: main}
                      - name: svc
                        kind: process.service
                        process: p
                        host: processes
                """
            }
        )
    )
    assert problem.location.field == "host"
    assert problem.location.line == 8
    assert "host must be a full ID like app:processes" in str(problem)


def test_a_service_cannot_require_itself(problems: Problems) -> None:
    problem = only(
        problems(
            {
                "a.yaml": """\
                    namespace: app
                    name: h
                    kind: process.host
                    lifecycle: {requires: [h]}
                """
            }
        )
    )
    assert problem.location.field == "lifecycle.requires[0]"
    assert "cannot require itself" in str(problem)


def test_meta_depends_on_and_parent_are_not_checked(load: Load) -> None:
    entry = load(
        {
            "a.yaml": """\
                namespace: app
                name: x
                kind: registry.entry
                meta: {parent: app:gone, depends_on: [elsewhere:gone, "ns:some.namespace"]}
            """
        }
    ).require("app:x")
    assert entry.dependencies == (EntryId("app", "gone"), EntryId("elsewhere", "gone"))


def test_unsupported_kinds_are_not_checked_but_give_dependencies(load: Load) -> None:
    entry = load(
        {
            "a.yaml": """\
                namespace: app
                name: db
                kind: db.sql.postgres
                host: "db:5432"
                process: whatever
                lifecycle: {requires: [app:missing]}
            """
        }
    ).require("app:db")
    assert entry.get("host") == "db:5432"
    assert entry.dependencies == (EntryId("app", "missing"),)
