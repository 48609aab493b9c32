"""Builds the host modules and globals of a node's Lua runtime.

The Lua-facing glue of each module lives in ``host/glue``; the Python cores that need
no scheduler (json, uuid) live in ``host``; what needs the running process (io,
logger, ctx, funcs, channel) is bound here to the scheduler.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TextIO

import trio

from ..errors import NOT_FOUND, ErrorValue
from ..host import _json, _uuid
from ..host._bind import fallible, plain
from ..host._catalog import glue
from ..lua import LuaVM, as_text
from ._channels import ChannelApi
from ._funcs import FuncsApi
from ._model import Thread
from ._scheduler import Scheduler
from ._time_api import TimeApi
from ._workflow_api import WorkflowApi

lua_log = logging.getLogger("wippy_py.lua")

_LEVELS = {
    b"debug": logging.DEBUG,
    b"info": logging.INFO,
    b"warn": logging.WARNING,
    b"error": logging.ERROR,
}


class Console:
    """Where the terminal host writes (stdout) and reads (stdin)."""

    def __init__(self, out: TextIO | None = None, inp: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.inp = inp or sys.stdin

    def write(self, text: Any) -> None:
        """Writes Lua text (bytes) to the output."""
        self.out.write(as_text(text))
        self.out.flush()


def json_module(vm: LuaVM) -> Any:
    """Builds the ``json`` module."""
    conv = vm.convert
    return vm.build_module(
        "json",
        glue("json"),
        {
            "encode": fallible(conv, _json.encode),
            "decode": fallible(conv, _json.decode),
            "validate": fallible(conv, _json.validate),
            "validate_string": fallible(conv, _json.validate_string),
        },
    )


def uuid_module(vm: LuaVM, overrides: dict[str, Callable[..., Any]] | None = None) -> Any:
    """Builds the ``uuid`` module (``overrides`` replaces generators in workflows)."""
    conv = vm.convert
    functions = {
        "v1": fallible(conv, _uuid.v1),
        "v4": fallible(conv, _uuid.v4),
        "v7": fallible(conv, _uuid.v7),
        "v3": fallible(conv, _uuid.v3),
        "v5": fallible(conv, _uuid.v5),
        "validate": plain(conv, _uuid.validate),
        "version": fallible(conv, _uuid.version),
        "variant": fallible(conv, _uuid.variant),
        "parse": fallible(conv, _uuid.parse),
        "format": fallible(conv, _uuid.format_uuid),
    }
    functions.update(overrides or {})
    return vm.build_module("uuid", glue("uuid"), functions)


class LazyModules(Mapping[str, Any]):
    """Host module tables by name, each built by its builder on first lookup."""

    def __init__(self) -> None:
        self._builders: dict[str, Callable[[], Any]] = {}
        self._built: dict[str, Any] = {}

    def define(self, builders: Mapping[str, Callable[[], Any]]) -> None:
        """Adds (or replaces) modules by their builders."""
        for name, builder in builders.items():
            self._builders[name] = builder
            self._built.pop(name, None)

    def __getitem__(self, name: str) -> Any:
        module = self._built.get(name)
        if module is None:
            module = self._built[name] = self._builders[name]()
        return module

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)


class StdLib:
    """The modules and globals shared by every process of a node.

    Args:
        scheduler: The dispatcher.
        console: The terminal's stdin/stdout.
        is_terminal: Tells whether a process runs on a terminal host.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        console: Console,
        is_terminal: Callable[[str], bool],
    ) -> None:
        self.sched = scheduler
        self.vm = scheduler.vm
        self.console = console
        self._is_terminal = is_terminal
        self.channels = ChannelApi(scheduler)
        self.time = TimeApi(scheduler, self.channels)
        scheduler.register_op("io.readline", self._op_readline)
        self.modules = LazyModules()

    def build(self, funcs: FuncsApi, extra_globals: dict[str, Any]) -> Mapping[str, Any]:
        """Builds the modules (most on first use) and seals the sandbox base; returns
        the modules."""
        vm = self.vm
        channel = vm.build_module("channel", glue("channel"), self.channels.functions())
        # Built when an entry first lists them: a Temporal worker makes a runtime per
        # workflow run, and a workflow lists two or three of them.
        self.modules.define({
            "json": lambda: json_module(vm),
            "uuid": lambda: uuid_module(vm, self._recorded_uuids()),
            "workflow": lambda: vm.build_module(
                "workflow", glue("workflow"), WorkflowApi(self.sched).functions()),
            "funcs": lambda: vm.build_module("funcs", glue("funcs"), funcs.functions()),
            "io": lambda: vm.build_module("io", glue("io"), self._io_functions()),
            "logger": lambda: vm.build_module("logger", glue("logger"), {"log": self._log}),
            "ctx": lambda: vm.build_module("ctx", glue("ctx"), self._ctx_functions()),
        })
        # At once: its glue gives the kernel the Time wrapper that timers and the
        # workflow engines use whether or not an entry lists ``time``.
        time_module = self.time.build_module()
        self.modules.define({"time": lambda: time_module})
        kernel = vm.kernel
        base = {
            "channel": channel,
            "payload": kernel.readonly(b"payload", kernel.payload_module),
            # Python callables handed to Lua go through vm.host_fn (the scheduler's
            # current process; build_module does it for module functions).
            "os": kernel.readonly(b"os", vm.eval_trusted(_OS)(vm.host_fn(self.time.unix_seconds))),
            "math": kernel.readonly(b"math", vm.eval_trusted(_MATH)(vm.host_fn(self._random))),
            "print": vm.eval_trusted(_PRINT)(vm.host_fn(self._print)),
            **extra_globals,
        }
        vm.seal(base)
        return self.modules

    # ------------------------------------------------- workflow side effects
    def _recorded_uuids(self) -> dict[str, Callable[..., Any]]:
        # v1/v4/v7 are side effects: inside a workflow the value is journaled once and
        # served from the journal on replay.
        conv = self.vm.convert

        def recorded(version: str, generate: Callable[[], str]) -> Callable[[], Any]:
            plain_generate = fallible(conv, generate)

            def generate_uuid() -> Any:
                proc = self.sched.current
                if proc is not None and proc.workflow is not None:
                    return proc.workflow.record("uuid", version, generate).encode(), None
                return plain_generate()

            return generate_uuid

        return {
            "v1": recorded("v1", _uuid.v1),
            "v4": recorded("v4", _uuid.v4),
            "v7": recorded("v7", _uuid.v7),
        }

    def _random(self, low: Any = None, high: Any = None) -> tuple[bool, Any]:
        # math.random: (True, value) from a workflow's deterministic generator, or
        # (False, nil) to let Lua's own generator answer.
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return True, proc.workflow.random(low, high)
        return False, None

    # ---------------------------------------------------------------- io
    def _io_functions(self) -> dict[str, Any]:
        return {"write": self._io_write, "check": self._io_check}

    def _io_check(self) -> None:
        proc = self.sched.current
        if proc is None or not self._is_terminal(proc.host):
            raise RuntimeError("io is only available to processes on a terminal.host")

    def _io_write(self, text: Any) -> None:
        self._io_check()
        self.console.write(text)

    def _op_readline(self, thread: Thread, _args: tuple[Any, ...]) -> None:
        self.sched.block_on_op(thread)
        self.sched.start_task(self._readline, thread)

    async def _readline(self, thread: Thread) -> None:
        line = await trio.to_thread.run_sync(self.console.inp.readline, abandon_on_cancel=True)
        if line == "":
            self.sched.wake(thread, (None, self.vm.error(ErrorValue("end of input", "EOF"))))
        else:
            self.sched.wake(thread, (line.rstrip("\n").encode(), None))

    def _print(self, line: Any) -> None:
        text = as_text(line)
        proc = self.sched.current
        if proc is not None and self._is_terminal(proc.host):
            self.console.write(text + "\n")
        else:
            lua_log.info(text, extra={"entry": proc.entry_id if proc else ""})

    # ------------------------------------------------------------ logger
    def _log(self, level: Any, message: Any, fields: Any) -> None:
        proc = self.sched.current
        data = self.vm.to_py(fields) if fields is not None else None
        lua_log.log(
            _LEVELS.get(level, logging.INFO),
            as_text(message) if isinstance(message, bytes) else str(message),
            extra={
                "entry": proc.entry_id if proc else "",
                "pid": proc.pid_text if proc else "",
                "fields": data or {},
            },
        )

    # --------------------------------------------------------------- ctx
    def _ctx_functions(self) -> dict[str, Any]:
        vm = self.vm

        def get(key: Any) -> tuple[Any, Any]:
            proc = self.sched.current
            values = (proc.context if proc else None) or {}
            name = as_text(key)
            if name not in values:
                return None, vm.error(ErrorValue(f"context key {name!r} not found", NOT_FOUND))
            return vm.to_lua(values[name]), None

        def all_values() -> tuple[Any, Any]:
            proc = self.sched.current
            return vm.to_lua(dict((proc.context if proc else None) or {})), None

        return {"get": get, "all": all_values}


# os: time()/date() without a time argument read the runtime's clock (virtual under
# --clock virtual, the journaled workflow clock inside workflows).
_OS = """function(unix_now)
  local os_time, os_date = os.time, os.date
  return {
    time = function(t) if t == nil then return unix_now() end return os_time(t) end,
    date = function(fmt, t) return os_date(fmt, t or unix_now()) end,
    clock = os.clock, difftime = os.difftime,
  }
end"""

# math: a copy of the library whose random() asks the host first (workflows).
_MATH = """function(host_random)
  local m = {}
  for k, v in pairs(math) do m[k] = v end
  local raw_random = math.random
  m.random = function(...)
    local mine, value = host_random(...)
    if mine then return value end
    return raw_random(...)
  end
  return m
end"""

# print() formats with Lua's own tostring, then hands one line to Python.
_PRINT = """function(write)
  local select, tostring, concat = select, tostring, table.concat
  return function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    write(concat(parts, "\\t"))
  end
end"""
