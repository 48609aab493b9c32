"""The pinned code of Temporal runs (``_pins.py``), without a server: what a pin
holds, that it rebuilds the old version after the registry changed, and that a
damaged or overreaching pin is refused with a clear error."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import textwrap
import zlib
from pathlib import Path
from typing import Any

import pytest

from wippy_py.backends.temporal._pins import PIN_LIMIT, PinCache, PinError, pin_value
from wippy_py.backends.temporal._vm import WorkflowVM
from wippy_py.registry import Registry, load_registry

APP = """
version: "1.0"
namespace: app
entries:
  - name: wf
    kind: workflow.lua
    method: main
    modules: [funcs]
    imports: {a: app:liba, b: app:libb}
    source: |
      local a = require("a")
      local function main() return a.name() end
      return {main = main}
  - name: liba
    kind: library.lua
    imports: {c: app:libc}
    source: |
      local c = require("c")
      return {name = function() return "A{SUFFIX}" .. c.name() end}
  - name: libb
    kind: library.lua
    source: |
      return {name = function() return "same" end}
  - name: libc
    kind: library.lua
    modules: [io]
    source: |
      return {name = function() return "same" end}
  - name: other
    kind: library.lua
    source: |
      return {}
"""


def registry(tmp_path: Path, suffix: str) -> Registry:
    root = tmp_path / suffix
    root.mkdir()
    (root / "_index.yaml").write_text(textwrap.dedent(APP).replace("{SUFFIX}", suffix))
    return load_registry(root)


def manifest_of(value: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(value["code"])))
    return data


def test_a_pin_holds_the_workflow_and_its_libraries_once_per_source(tmp_path: Path) -> None:
    value = pin_value(registry(tmp_path, "1"), "app:wf")
    assert value["format"] == 1 and value["entry"] == "app:wf" and len(value["hash"]) == 64
    data = manifest_of(value)
    assert sorted(data["entries"]) == ["app:liba", "app:libb", "app:libc", "app:wf"]
    assert len(data["sources"]) == 3  # libb and libc have the same source: stored once
    assert data["entries"]["app:wf"]["modules"] == ["funcs"]
    assert data["entries"]["app:liba"]["imports"] == {"c": "app:libc"}
    # The same code gives the same pin (the hash names the version).
    assert pin_value(load_registry(tmp_path / "1"), "app:wf")["hash"] == value["hash"]
    assert pin_value(registry(tmp_path, "2"), "app:wf")["hash"] != value["hash"]


def test_a_pin_rebuilds_the_old_version_on_a_changed_registry(tmp_path: Path) -> None:
    old = registry(tmp_path, "1")
    new = registry(tmp_path, "2")
    value = PinCache(old).memo("app:wf")
    assert value is not None
    cache = PinCache(new)
    code = cache.pinned(value)
    assert code is not None and code.entry == "app:wf" and code.short == value["hash"][:12]
    assert cache.pinned(value) is code  # built once per version
    assert not cache.is_current(code) and PinCache(old).is_current(code)
    liba = code.registry.get("app:liba")
    assert liba is not None and 'return "A1"' in liba.data["source"]
    assert code.registry.get("app:other") is new.get("app:other")  # the rest is today's
    loaded = WorkflowVM(code.registry).loader.load("app:wf", ("workflow.lua",))
    assert loaded.entry.file == "_index.yaml" and loaded.method == "main"
    # replay's catalog turns pins off: the current code is used
    assert PinCache(new, enabled=False).pinned(value) is None
    assert cache.pinned(None) is None


@pytest.mark.parametrize("damage, message", [
    (lambda v: {**v, "format": 9}, "is not pinned code of format 1"),
    (lambda v: "text", "is not pinned code of format 1 (found 'str')"),
    (lambda v: {**v, "code": "@@@"}, "the code does not decode"),
    (lambda v: {**v, "hash": "0" * 64}, "the code does not match its hash 000000000000"),
])
def test_a_damaged_pin_is_refused(tmp_path: Path, damage: Any, message: str) -> None:
    reg = registry(tmp_path, "1")
    with pytest.raises(PinError, match=re.escape(message)):
        PinCache(reg).pinned(damage(pin_value(reg, "app:wf")))


def _forged(value: dict[str, Any], change: Any) -> dict[str, Any]:
    data = manifest_of(value)
    change(data)
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return {**value, "hash": hashlib.sha256(raw).hexdigest(),
            "code": base64.b64encode(zlib.compress(raw)).decode()}


def test_pinned_code_passes_the_module_gate_again(tmp_path: Path) -> None:
    """Pinned code may come from any client of the namespace: it gets no module the
    app's own entries do not give."""
    reg = registry(tmp_path, "1")
    value = pin_value(reg, "app:wf")
    cache = PinCache(reg)
    assert cache.pinned(value) is not None  # libc lists io today: allowed

    def workflow_io(data: dict[str, Any]) -> None:
        data["entries"]["app:wf"]["modules"] = ["funcs", "io"]

    with pytest.raises(PinError, match=re.escape("the pinned workflow.lua app:wf lists module 'io'")):
        cache.pinned(_forged(value, workflow_io))

    def library_io(data: dict[str, Any]) -> None:
        data["entries"]["app:libb"]["modules"] = ["io"]

    with pytest.raises(PinError, match=re.escape(
            "library.lua app:libb lists module 'io', which workflows may not use and the "
            "entry does not list")):
        cache.pinned(_forged(value, library_io))

    def as_function(data: dict[str, Any]) -> None:
        data["entries"]["app:libb"]["kind"] = "function.lua"

    with pytest.raises(PinError, match=re.escape("app:libb is pinned as a function.lua")):
        cache.pinned(_forged(value, as_function))


def test_code_too_big_for_a_memo_is_not_pinned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "big"
    root.mkdir()
    # Random-looking text does not compress below the limit.
    noise = base64.b64encode(os.urandom(PIN_LIMIT)).decode()
    (root / "_index.yaml").write_text(textwrap.dedent(f"""\
        version: "1.0"
        namespace: app
        entries:
          - name: wf
            kind: workflow.lua
            method: main
            source: |
              local _ = "{noise}"
              return {{main = function() return 1 end}}
        """))
    cache = PinCache(load_registry(root))
    with caplog.at_level(logging.WARNING, logger="wippy_py.temporal"):
        assert cache.memo("app:wf") is None
        assert cache.add_to({"wippy.code": "stale", "x": 1}, "app:wf") == {"x": 1}
    [record] = [r for r in caplog.records if "over the" in r.getMessage()]
    assert "workflow app:wf" in record.getMessage() and "without pinned code" in \
        record.getMessage()
