"""The CLI: `run -x` exit codes, commands, `registry` subcommands, and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wippy_py.cli._main import cli

APP = """
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: ret
    kind: process.lua
    meta:
      command: {name: ret, short: return its argument}
    method: main
    modules: [io]
    source: |
      local function main(kind, value)
        if kind == "int" then return tonumber(value) end
        if kind == "str" then return value end
        if kind == "true" then return true end
        if kind == "false" then return false end
        if kind == "err" then return nil, errors.new("it broke") end
        if kind == "raise" then error("raised here") end
        io.print("got", kind)
      end
      return { main = main }
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "_index.yaml").write_text(APP)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    ("args", "code", "stdout"),
    [
        (["int", "7"], 7, ""),
        (["str", "hello"], 0, "hello\n"),
        (["true"], 0, ""),
        (["false"], 1, ""),
        (["nothing"], 0, "got\tnothing\n"),
    ],
)
def test_exit_code_rules(app: Path, args: list[str], code: int, stdout: str) -> None:
    result = invoke("run", str(app), "-x", "app:ret", *args)
    assert result.exit_code == code
    assert result.stdout == stdout


def test_error_exit_prints_message_on_stderr(app: Path) -> None:
    result = invoke("run", str(app), "-x", "app:ret", "err")
    assert result.exit_code == 1
    assert "it broke" in result.stderr


def test_lua_error_reports_the_line(app: Path) -> None:
    result = invoke("run", str(app), "-x", "app:ret", "raise")
    assert result.exit_code == 1
    assert ":7: raised here" in result.stderr


def test_command_by_meta_name(app: Path) -> None:
    result = invoke("run", str(app), "ret", "str", "via command")
    assert result.exit_code == 0
    assert result.stdout == "via command\n"


def test_unknown_command_lists_the_known_ones(app: Path) -> None:
    result = invoke("run", str(app), "nope")
    assert result.exit_code == 2
    assert "unknown command 'nope'" in result.stderr
    assert "ret" in result.stderr


def test_unknown_entry_is_reported(app: Path) -> None:
    result = invoke("run", str(app), "-x", "app:missing")
    assert result.exit_code == 2
    assert "app:missing" in result.stderr
    assert "not found" in result.stderr


def test_missing_app_dir(tmp_path: Path) -> None:
    result = invoke("run", str(tmp_path / "nowhere"), "-x", "app:x")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_registry_list_show_validate(app: Path) -> None:
    listed = invoke("registry", "list", str(app))
    assert "app:ret" in listed.stdout and "process.lua" in listed.stdout
    shown = invoke("registry", "show", str(app), "app:ret")
    assert '"kind": "process.lua"' in shown.stdout
    assert invoke("registry", "validate", str(app)).exit_code == 0


def test_registry_validate_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "namespace: app\nentries:\n  - name: f\n    kind: function.lua\n"
        "  - name: s\n    kind: process.service\n    host: app:h\n"
    )
    result = invoke("registry", "validate", str(tmp_path))
    assert result.exit_code == 1
    assert "a.yaml" in result.stderr
    assert "app:f" in result.stderr and "source" in result.stderr
    assert "app:s" in result.stderr and "process" in result.stderr


def test_run_with_a_broken_registry_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("namespace: app\nentries:\n  - name: [unclosed\n")
    result = invoke("run", str(tmp_path), "-x", "app:x")
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr


def test_lua_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "_index.yaml").write_text(
        "namespace: app\nentries:\n  - name: m\n    kind: process.lua\n"
        "    method: main\n    source: file://m.lua\n"
    )
    (tmp_path / "m.lua").write_text("local x = 1\nlocal y = = 2\n")
    result = invoke("run", str(tmp_path), "-x", "app:m")
    assert result.exit_code == 2
    assert "m.lua:2:" in result.stderr


def test_console_script_and_module_entry_point(app: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wippy_py", "run", str(app), "-x", "app:ret", "int", "3"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 3


def test_help_everywhere() -> None:
    for args in (["--help"], ["run", "--help"], ["registry", "--help"],
                 ["registry", "validate", "--help"]):
        assert invoke(*args).exit_code == 0
