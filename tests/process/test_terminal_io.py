"""io (terminal host only) and logger (structured records)."""

from __future__ import annotations

import logging

import pytest
from conftest import run_app, write_app  # type: ignore[import-not-found]


def test_readline_reads_stdin_and_reports_end_of_input(tmp_path) -> None:
    app = write_app(tmp_path, """
        namespace: app
        entries:
          - name: term
            kind: terminal.host
          - name: main
            kind: process.lua
            method: main
            modules: [io]
            source: |
              return { main = function()
                local a = io.readline()
                local b = io.readline()
                local c, err = io.readline()
                io.write("got ", a, "+", b, " ", tostring(c), " ", err:message(), "\\n")
              end }
        """)
    result = run_app(app, "app:main", stdin="first\nsecond\n")
    assert result.error is None
    assert result.stdout == "got first+second nil end of input\n"


def test_io_is_refused_off_the_terminal_host(lua_app) -> None:
    source = """
    local funcs = require("funcs")
    return { main = function()
        local _, err = funcs.call("app:writer")
        return err:message()
    end }
    """
    result = lua_app(source, modules=("funcs",), extra_yaml="""
    - name: writer
      kind: function.lua
      method: w
      modules: [io]
      source: |
        return { w = function() io.print("hi") end }
    """)
    assert "only available to processes on a terminal.host" in result.value


def test_logger_emits_structured_records(lua_app, caplog: pytest.LogCaptureFixture) -> None:
    source = """
    return { main = function()
        logger:info("charged", {order = "o-1", amount = 12.5})
        logger.warn("low stock")
    end }
    """
    with caplog.at_level(logging.DEBUG, logger="wippy_py.lua"):
        result = lua_app(source, modules=("logger",))
    assert result.error is None
    records = [r for r in caplog.records if r.name == "wippy_py.lua"]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("INFO", "charged"), ("WARNING", "low stock"),
    ]
    assert records[0].fields == {"order": "o-1", "amount": 12.5}
    assert records[0].entry == "app:main"
