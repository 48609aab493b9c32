"""The lifecycle block: Wippy defaults, parsing, and each kind of bad value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wippy_py.durations import MILLISECOND, MINUTE, SECOND
from wippy_py.errors import RegistryError
from wippy_py.registry import EntryId, Lifecycle, Registry, RestartPolicy, load_registry

Load = Callable[[dict[str, str | bytes]], Registry]
Problems = Callable[[dict[str, str | bytes]], list[RegistryError]]
WriteTree = Callable[[dict[str, str | bytes]], Path]


def host_with(lifecycle: str) -> dict[str, str | bytes]:
    """A one-entry registry: process.host app:h whose lifecycle block is ``lifecycle``
    (written at line 4 of a.yaml)."""
    return {"a.yaml": f"namespace: app\nname: h\nkind: process.host\nlifecycle: {lifecycle}\n"}


def test_defaults_are_wippys() -> None:
    lifecycle = Lifecycle()
    assert lifecycle.auto_start is False
    assert lifecycle.startup == "required"
    assert lifecycle.start_timeout == 10 * SECOND
    assert lifecycle.stop_timeout == 10 * SECOND
    assert lifecycle.stable_threshold == 5 * SECOND
    assert lifecycle.requires == ()
    assert lifecycle.restart == RestartPolicy(
        initial_delay=SECOND,
        max_delay=90 * SECOND,
        backoff_factor=2.0,
        jitter=0.1,
        max_attempts=0,
    )


def test_entry_without_lifecycle_gets_defaults(load: Load) -> None:
    entry = load({"a.yaml": "namespace: app\nname: h\nkind: process.host\n"}).require("app:h")
    assert entry.lifecycle == Lifecycle()


def test_full_lifecycle_is_parsed(load: Load) -> None:
    entry = load(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - {name: db, kind: registry.entry}
                  - name: h
                    kind: process.host
                    lifecycle:
                      auto_start: true
                      startup: optional
                      start_timeout: 1m30s
                      stop_timeout: 250ms
                      stable_threshold: 2000000000
                      requires: [db]
                      depends_on: [app:db, db]
                      restart:
                        initial_delay: 100ms
                        max_delay: 2m
                        backoff_factor: 1.5
                        jitter: 0
                        max_attempts: 7
                      security:
                        actor: {id: "service:x"}
            """
        }
    ).require("app:h")
    lifecycle = entry.lifecycle
    assert lifecycle.auto_start is True
    assert lifecycle.startup == "optional"
    assert lifecycle.start_timeout == 90 * SECOND
    assert lifecycle.stop_timeout == 250 * MILLISECOND
    assert lifecycle.stable_threshold == 2 * SECOND
    assert lifecycle.requires == (EntryId("app", "db"),)
    assert lifecycle.restart == RestartPolicy(100 * MILLISECOND, 2 * MINUTE, 1.5, 0.0, 7)
    assert lifecycle.security == {"actor": {"id": "service:x"}}
    assert entry.dependencies == (EntryId("app", "db"),)


def test_partial_restart_keeps_other_defaults(load: Load) -> None:
    restart = load(host_with("{restart: {max_attempts: 5}}")).require("app:h").lifecycle.restart
    assert restart == RestartPolicy(max_attempts=5)


@pytest.mark.parametrize(
    ("block", "field", "message"),
    [
        ("{start_timeout: 10 seconds}", "lifecycle.start_timeout", "missing unit in duration"),
        ("{stop_timeout: 1d}", "lifecycle.stop_timeout", "no 'd'"),
        ("{stable_threshold: -5s}", "lifecycle.stable_threshold", "must not be negative"),
        ("{start_timeout: [1]}", "lifecycle.start_timeout", "expected a string or a number"),
        ("{auto_start: yes}", "lifecycle.auto_start", "only true and false are booleans"),
        ("{auto_start: 1}", "lifecycle.auto_start", "must be true or false"),
        ("{startup: maybe}", "lifecycle.startup", "must be one of required, optional"),
        ("{requires: app:db}", "lifecycle.requires", "must be a list of strings"),
        ("{depends_on: [1]}", "lifecycle.depends_on[0]", "must be a non-empty string"),
        ("{requires: ['app:']}", "lifecycle.requires[0]", "must look like namespace:name"),
        ("{restart: 5}", "lifecycle.restart", "must be a mapping"),
        ("{restart: {initial_delay: soon}}", "lifecycle.restart.initial_delay", "invalid"),
        ("{restart: {backoff_factor: 0.5}}", "lifecycle.restart.backoff_factor", ">= 1.0"),
        ("{restart: {jitter: 1.5}}", "lifecycle.restart.jitter", "between 0.0 and 1.0"),
        ("{restart: {jitter: x}}", "lifecycle.restart.jitter", "must be a number"),
        ("{restart: {max_attempts: -1}}", "lifecycle.restart.max_attempts", "at least 0"),
        ("{restart: {max_attempts: 2.5}}", "lifecycle.restart.max_attempts", "an integer"),
        (
            "{restart: {max_delay: 1s, initial_delay: 5s}}",
            "lifecycle.restart.max_delay",
            "shorter than the initial delay",
        ),
        ("{restart: {retries: 3}}", "lifecycle.restart.retries", "unknown field"),
        ("{autostart: true}", "lifecycle.autostart", "unknown field 'lifecycle.autostart'"),
        ("{security: yes}", "lifecycle.security", "must be a mapping"),
        ("[auto_start]", "lifecycle", "'lifecycle' must be a mapping"),
    ],
)
def test_bad_lifecycle_values(problems: Problems, block: str, field: str, message: str) -> None:
    found = problems(host_with(block))
    assert len(found) == 1, "\n".join(map(str, found))
    problem = found[0]
    assert problem.location.file == "a.yaml"
    assert problem.location.line == 4
    assert problem.location.entry == "app:h"
    assert problem.location.field == field
    assert message in str(problem)


def test_bad_values_fall_back_to_defaults(write_tree: WriteTree) -> None:
    root = write_tree(host_with("{start_timeout: never, auto_start: true}"))
    registry = load_registry(root, strict=False)
    lifecycle = registry.require("app:h").lifecycle
    assert lifecycle.start_timeout == 10 * SECOND
    assert lifecycle.auto_start is True
    assert len(registry.problems) == 1
