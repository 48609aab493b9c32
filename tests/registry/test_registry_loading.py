"""Happy paths of load_registry: file shapes, meta merge, file://, walking, lookups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wippy_py.errors import RegistryError
from wippy_py.registry import (
    SUPPORTED_KINDS,
    EntryId,
    EntryNotFoundError,
    Registry,
    load_registry,
)

Load = Callable[[dict[str, str | bytes]], Registry]
WriteTree = Callable[[dict[str, str | bytes]], Path]

FIXTURES = Path(__file__).parent / "fixtures"

BATCH = """\
    version: "1.0"
    namespace: app
    meta:
      owner: payments
      tier: gold
    entries:
      - name: charge
        kind: function.lua
        meta:
          tier: silver
        source: return {}
        method: run
      - name: config
        kind: registry.entry
        data:
          retries: 3
"""


def test_batch_form(load: Load) -> None:
    registry = load({"_index.yaml": BATCH})
    charge = registry.require("app:charge")
    assert charge.id == EntryId("app", "charge")
    assert charge.kind == "function.lua"
    assert charge.data == {"source": "return {}", "method": "run"}
    assert charge.file == "_index.yaml"
    assert charge.line == 7


def test_file_meta_is_merged_and_entry_keys_win(load: Load) -> None:
    registry = load({"_index.yaml": BATCH})
    assert registry.require("app:charge").meta == {"owner": "payments", "tier": "silver"}
    assert registry.require("app:config").meta == {"owner": "payments", "tier": "gold"}


def test_data_key_is_the_whole_data(load: Load) -> None:
    config = load({"_index.yaml": BATCH}).require("app:config")
    assert config.data == {"retries": 3}
    assert config.get("retries") == 3
    assert config.field_line("retries") == 16


def test_raw_data_value_may_be_any_yaml_value(load: Load) -> None:
    entry = load(
        {"a.yaml": "namespace: app\nentries:\n  - {name: list, kind: registry.entry, data: [1]}\n"}
    ).require("app:list")
    assert entry.data == [1]
    assert entry.get("anything", "fallback") == "fallback"


def test_single_entry_form(load: Load) -> None:
    registry = load(
        {
            "svc.yaml": """\
                version: "1.0"
                namespace: app.svc
                name: runner
                kind: process.lua
                requirements: [ignored]
                meta: {command: {name: run}}
                source: return {}
                method: main
            """
        }
    )
    entry = registry.require("app.svc:runner", "process.lua")
    assert entry.data == {"source": "return {}", "method": "main"}
    assert entry.meta == {"command": {"name": "run"}}
    assert entry.line == 1
    assert entry.field_line("method") == 8


def test_files_without_namespace_are_skipped(load: Load) -> None:
    registry = load(
        {
            "a.yaml": "namespace: app\nentries:\n  - {name: x, kind: registry.entry}\n",
            "compose.yaml": "services:\n  db: {image: postgres}\n",
            "blank.yaml": "namespace: '  '\nentries:\n  - {name: y, kind: registry.entry}\n",
            "noname.yml": "entries:\n  - {name: z, kind: function.lua}\n",
            "empty.yaml": "",
            "list.yaml": "- 1\n- 2\n",
        }
    )
    assert list(registry.entries) == ["app:x"]
    assert registry.problems == []


def test_file_interpolation_relative_and_from_root(load: Load) -> None:
    registry = load(
        {
            "src/lua/worker.lua": "return { main = function() end }\n",
            "shared/util.lua": "return {}\n",
            "src/_index.yaml": """\
                namespace: app
                entries:
                  - name: worker
                    kind: process.lua
                    source: file://lua/worker.lua
                    method: main
                    meta: {description: "file://lua/../lua/worker.lua"}
                  - name: util
                    kind: library.lua
                    source: file:///shared/util.lua
            """,
        }
    )
    worker = registry.require("app:worker")
    assert worker.get("source") == "return { main = function() end }\n"
    assert worker.meta["description"] == worker.get("source")
    assert registry.require("app:util").get("source") == "return {}\n"


def test_source_files_are_recorded(load: Load) -> None:
    registry = load(
        {
            "src/lua/worker.lua": "return {}\n",
            "src/_index.yaml": """\
                namespace: app
                meta: {doc: file://lua/worker.lua}
                entries:
                  - {name: worker, kind: process.lua, source: file://lua/worker.lua, method: m}
                  - {name: inline, kind: library.lua, source: "return {}"}
                  - name: cfg
                    kind: registry.entry
                    data: {text: file:///src/lua/worker.lua}
            """,
        }
    )
    worker = registry.require("app:worker")
    assert worker.source_file() == "src/lua/worker.lua"
    assert worker.source_file("meta.doc") == "src/lua/worker.lua"
    assert registry.require("app:inline").source_file() is None
    assert registry.require("app:cfg").source_file("text") == "src/lua/worker.lua"


def test_file_interpolation_reaches_every_string(load: Load) -> None:
    entry = load(
        {
            "a.yaml": """\
                namespace: app
                name: e
                kind: registry.entry
                args: [plain, file://x.txt, {deep: [file://x.txt]}]
                file://x.txt: keys are not interpolated
            """,
            "x.txt": "X",
        }
    ).require("app:e")
    assert entry.data["args"] == ["plain", "X", {"deep": ["X"]}]
    assert entry.data["file://x.txt"] == "keys are not interpolated"


def test_walks_nested_directories_in_sorted_order(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "b/_index.yaml": "namespace: b\nentries:\n  - {name: one, kind: registry.entry}\n",
            "a/deep/er/x.yml": "namespace: a\nentries:\n  - {name: two, kind: registry.entry}\n",
            "node_modules/pkg/x.yaml": "namespace: nm\nname: n\nkind: registry.entry\n",
            ".hidden/x.yaml": "namespace: hidden\nname: h\nkind: registry.entry\n",
            ".dot.yaml": "namespace: dot\nname: d\nkind: registry.entry\n",
            "notes.txt": "namespace: txt\nname: t\nkind: registry.entry\n",
        }
    )
    registry = load_registry(root)
    assert list(registry.entries) == ["a:two", "b:one"]
    assert registry.require("a:two").file == "a/deep/er/x.yml"


def test_entries_are_sorted_by_id(load: Load) -> None:
    registry = load(
        {
            "x.yaml": """\
                namespace: app
                entries:
                  - {name: zeta, kind: registry.entry}
                  - {name: alpha, kind: registry.entry}
            """,
            "y.yaml": "namespace: aaa\nname: mid\nkind: registry.entry\n",
        }
    )
    assert list(registry.entries) == ["aaa:mid", "app:alpha", "app:zeta"]
    assert [entry.name for entry in registry] == ["mid", "alpha", "zeta"]


def test_single_file_path_uses_its_directory_as_root(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "app.yaml": "namespace: app\nname: f\nkind: library.lua\nsource: file://f.lua\n",
            "f.lua": "return 1\n",
            "other.yaml": "namespace: other\nname: o\nkind: registry.entry\n",
        }
    )
    registry = load_registry(root / "app.yaml")
    assert registry.root == root.resolve()
    assert list(registry.entries) == ["app:f"]
    assert registry.require("app:f").get("source") == "return 1\n"


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="registry path not found"):
        load_registry(tmp_path / "nope")


def test_unknown_kinds_are_kept_as_unsupported(load: Load) -> None:
    registry = load(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - name: api
                    kind: http.service
                    addr: ":8080"
                    host: localhost
                    lifecycle: {start_timeout: nonsense}
                  - {name: lib, kind: library.lua, source: ""}
            """
        }
    )
    assert registry.problems == []
    assert [entry.id for entry in registry.unsupported] == [EntryId("app", "api")]
    assert registry.require("app:api").data["addr"] == ":8080"
    assert "http.service" not in SUPPORTED_KINDS


def test_lookup_helpers(load: Load) -> None:
    registry = load({"_index.yaml": BATCH})
    assert registry.get("app:charge") is registry.get(EntryId("app", "charge"))
    assert registry.get("app:nothing") is None
    assert "app:charge" in registry and EntryId("app", "config") in registry
    assert len(registry) == 2 and registry.ok
    assert registry.by_kind("function.lua", "registry.entry") == list(registry)
    assert registry.by_kind("process.lua") == []
    assert [entry.name for entry in registry.in_namespace("app")] == ["charge", "config"]
    assert registry.require("app:charge", ("function.lua", "process.lua")).name == "charge"


def test_require_missing_entry_is_a_key_error(load: Load) -> None:
    registry = load({"_index.yaml": BATCH})
    with pytest.raises(EntryNotFoundError, match="entry app:nope is not defined"):
        registry.require("app:nope")
    with pytest.raises(KeyError):
        registry.require("nope")
    with pytest.raises(RegistryError, match="namespace"):
        registry.require("charge")


def test_require_wrong_kind_names_the_kinds(load: Load) -> None:
    registry = load({"_index.yaml": BATCH})
    with pytest.raises(RegistryError) as info:
        registry.require("app:charge", "process.lua")
    assert "is a function.lua, not a process.lua" in str(info.value)
    assert "_index.yaml:7" in str(info.value)


def test_yaml_12_core_schema(load: Load) -> None:
    entry = load(
        {
            "a.yaml": """\
                namespace: app
                name: e
                kind: registry.entry
                on: yes
                octal: 017
                hex: 0x1F
                time: 1:30
                date: 2024-01-02
                flag: true
                nothing: null
                float: 1e3
            """
        }
    ).require("app:e")
    assert entry.data["on"] == "yes"
    assert entry.data["octal"] == 17
    assert entry.data["hex"] == 31
    assert entry.data["time"] == "1:30"
    assert entry.data["date"] == "2024-01-02"
    assert entry.data["flag"] is True
    assert entry.data["nothing"] is None
    assert entry.data["float"] == 1000.0


def test_anchors_and_merge_keys(load: Load) -> None:
    registry = load(
        {
            "a.yaml": """\
                namespace: app
                entries:
                  - name: base
                    kind: registry.entry
                    data: &defaults {size: 1, color: red}
                  - name: derived
                    kind: registry.entry
                    data:
                      <<: *defaults
                      size: 2
            """
        }
    )
    assert registry.require("app:derived").data == {"size": 2, "color": "red"}


def test_field_lines(load: Load) -> None:
    entry = load(
        {
            "a.yaml": """\
                namespace: app
                meta: {team: core}
                entries:
                  - name: svc
                    kind: process.service
                    process: app:proc
                    host: app:host
                    lifecycle:
                      requires:
                        - app:host
                      restart:
                        jitter: 0.2
                    meta:
                      parent: app:host
                  - {name: proc, kind: process.lua, source: "", method: main}
                  - {name: host, kind: process.host}
            """
        }
    ).require("app:svc")
    assert entry.line == 4
    assert entry.field_line("host") == 7
    assert entry.field_line("lifecycle.requires[0]") == 10
    assert entry.field_line("lifecycle.restart.jitter") == 12
    assert entry.field_line("lifecycle.restart.max_delay") == 11  # closest parent
    assert entry.field_line("meta.parent") == 14
    assert entry.field_line("meta.team") == 2  # from the file-level meta
    assert entry.field_line("nothing") == 4


def test_example_app_fixture() -> None:
    registry = load_registry(FIXTURES / "pingpong")
    assert list(registry.entries) == [  # sorted as strings: "." sorts before ":"
        "app.http:api",
        "app:config",
        "app:pinger",
        "app:pinger_process",
        "app:ponger",
        "app:ponger_process",
        "app:processes",
        "app:shared",
        "app:terminal",
    ]
    ponger = registry.require("app:ponger_process", "process.lua")
    assert "function main" in ponger.get("source")
    assert ponger.dependencies == (EntryId("app", "shared"),)
    assert registry.require("app:terminal").get("hide_logs") is True
    assert [entry.id for entry in registry.unsupported] == [EntryId("app.http", "api")]
    assert registry.require("app:pinger").lifecycle.requires == (EntryId("app", "ponger"),)


def test_entries_are_hashable(load: Load) -> None:
    registry = load({"_index.yaml": BATCH})
    assert len(set(registry)) == 2
