"""LuaVM: the one shared Lua 5.5 runtime of a host, sandboxed.

Approaches considered: a ``LuaRuntime`` per process costs about 30 KB before any code
is loaded, a coroutine in a shared runtime about 1.3 KB (DESIGN decision 3). So a host
owns one runtime; each process is a coroutine with an environment of its own. Entry
sources are compiled once into *factories* (the chunk wrapped so that its ``_ENV`` is
an argument); every process calls the factory with a fresh environment, which shares
the compiled prototypes but gives each process its own module-level locals.

Only this package imports lupa.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from lupa import lua55

from ..errors import ErrorValue, LuaLoadError
from ._convert import Converter
from ._dialect import DialectError, strip_types

# A fixed seed makes pairs() order over string keys the same in every process, which
# workflow replay relies on (DESIGN decision 1).
STRING_HASH_SEED = 0x5EED_1E55
DEFAULT_MEMORY_LIMIT = 1 << 30
# Instructions a process may run between two yields before it is killed.
DEFAULT_INSTRUCTION_BUDGET = 50_000_000
_HOOK_COUNT = 10_000

LuaObject = Any  # a lupa table, function or thread


@functools.cache
def _kernel_source(part: str) -> bytes:
    # Read once per process: a Temporal worker builds a runtime per workflow run.
    return resources.files(__package__).joinpath(f"{part}.lua").read_bytes()


_scratch: list[Any] = []  # the runtime that compiles trusted chunks to bytecode


@functools.cache
def _bytecode(source: bytes, name: bytes) -> bytes:
    """The trusted chunk ``source`` (kernel, host glue) as Lua bytecode, compiled once
    per process; ``string.dump`` keeps its line information.

    A Temporal worker builds a runtime per workflow run: loading the kernel's bytecode
    takes ~0.2 ms where parsing its text took ~0.95 ms. Only our own chunks are ever
    loaded as bytecode (user code is always compiled from text).

    Raises:
        lua55.LuaError: the chunk does not compile.
    """
    if not _scratch:
        _scratch.append(lua55.LuaRuntime(encoding=None, register_eval=False,
                                         register_builtins=False))
    runtime = _scratch[0]
    dump = runtime.eval("string.dump")
    return bytes(dump(runtime.compile(source, name, b"t")))


def _deny_get(obj: object, name: object) -> object:
    raise AttributeError("access to Python attributes is not allowed from Lua")


def _deny_set(obj: object, name: object, value: object) -> None:
    raise AttributeError("access to Python attributes is not allowed from Lua")


@dataclass(frozen=True)
class Factory:
    """A compiled entry source: call it with an environment to get an instance.

    Attributes:
        chunk: The compiled Lua function.
        name: The chunk name used in tracebacks (the source file).
    """

    chunk: LuaObject
    name: str


class LuaVM:
    """A sandboxed Lua 5.5 runtime shared by the processes of a host.

    Args:
        memory_limit: Bytes the whole runtime may allocate (``None``: no limit).
        instruction_budget: Instructions a thread may run between two yields.
    """

    def __init__(
        self,
        *,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        instruction_budget: int = DEFAULT_INSTRUCTION_BUDGET,
    ) -> None:
        self._lua = lua55.LuaRuntime(
            encoding=None,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_handlers=(_deny_get, _deny_set),
            string_hash_seed=STRING_HASH_SEED,
            max_memory=memory_limit,
        )
        self._lua.globals().python = None
        kernel_chunk = self._trusted_chunk(_kernel_source("kernel"), b"=kernel")
        config = self._lua.table_from(
            {
                b"budget_ticks": max(1, instruction_budget // _HOOK_COUNT),
                b"hook_count": _HOOK_COUNT,
            }
        )
        self.kernel: LuaObject = kernel_chunk(config)
        k = self.kernel
        # The dispatcher's Lua half: the run queue (sched.lua), then channels and
        # mailboxes on it (chan.lua). Both extend the kernel.
        for part in ("sched", "chan"):
            self._trusted_chunk(_kernel_source(part), f"={part}".encode())(k)
        self._host_fn = k.host_fn
        self._host_fns = k.host_fns
        self._new_thread = k.new_thread
        self._new_process_thread = k.new_process_thread
        self._compile = k.compile
        self._entry_env_mt = k.entry_env_mt
        # Kernel functions are looked up once: indexing a Lua table from Python while
        # a coroutine is inside a host callback can return stale stack values (lupa).
        self.new_payload: Callable[..., Any] = k.new_payload
        self.new_message: Callable[..., Any] = k.new_message
        self.message_data: Callable[..., Any] = k.message_data
        self.instantiate_library: Callable[..., Any] = k.instantiate_library
        self._where = k.where
        self._is_error = k.is_error
        self._readonly = k.readonly
        self._wrap_host = k.wrap_host
        self._kill = k.kill
        self.convert = Converter(
            new_table=self._lua.table,
            is_error=k.is_error,
            error_fields=k.error_fields,
            new_error=k.new_error,
        )
        self.to_py = self.convert.to_py
        self.to_lua = self.convert.to_lua
        self._sealed = False

    # ------------------------------------------------------------------ set-up
    def _trusted_chunk(self, source: bytes, name: bytes) -> Any:
        """Loads one of our own chunks from its cached bytecode."""
        return self._lua.compile(_bytecode(source, name), name, b"b")

    def build_module(
        self, name: str, lua_source: str, functions: Mapping[str, Callable[..., Any]]
    ) -> LuaObject:
        """Builds a host module table from trusted Lua glue and Python callables.

        The glue chunk is called with ``(py, K)``: ``py`` holds the Python callables,
        ``K`` is the kernel. It returns the module table, which is made read-only.

        Raises:
            LuaLoadError: the glue does not compile or fails while running.
        """
        try:
            chunk = self._trusted_chunk(lua_source.encode(), f"=host:{name}".encode())
        except lua55.LuaError as exc:
            raise LuaLoadError(f"host module {name}: {exc}") from exc
        # The Python callables are wrapped (see host_fn) by one Lua call for all.
        callables: dict[bytes, Any] = {}
        values: dict[bytes, Any] = {}
        for key, fn in functions.items():
            is_callable = lua55.lua_type(fn) is None and callable(fn)
            (callables if is_callable else values)[key.encode()] = fn
        py = self._host_fns(self._lua.table_from(callables), self._lua.table_from(values))
        module = chunk(py, self.kernel)
        return self._readonly(name.encode(), module)

    def host_fn(self, fn: Any) -> Any:
        """Wraps a Python callable for Lua (other values pass through).

        Every Python callable that Lua code may call goes through this wrapper: it
        tells the scheduler which process is running before the call (the dispatcher
        switches processes inside Lua without telling Python, see ``sched.lua``).
        """
        if lua55.lua_type(fn) is None and callable(fn):
            return self._host_fn(fn)
        return fn

    def seal(self, extra_globals: Mapping[str, Any]) -> None:
        """Adds the always-present globals (process, channel, os, math, ...) to the base."""
        table = self._lua.table_from({k.encode(): v for k, v in extra_globals.items()})
        self.kernel.seal_base(table)
        self._sealed = True

    def table(self, mapping: Mapping[str, Any] | None = None) -> LuaObject:
        """Returns a new Lua table with the given (already Lua-ready) values."""
        table = self._lua.table()
        for key, value in (mapping or {}).items():
            table[key.encode()] = value
        return table

    def eval_trusted(self, source: str) -> Any:
        """Evaluates a trusted Lua expression with full globals (host glue only)."""
        return self._lua.eval(source.encode())

    # ---------------------------------------------------------------- entries
    def compile_entry(self, source: str, chunkname: str) -> Factory:
        """Compiles an entry's Lua source (Wippy dialect allowed) into a factory.

        Args:
            source: The Lua text, possibly with type annotations.
            chunkname: The file name shown in errors and tracebacks.

        Raises:
            LuaLoadError: the source does not parse; the message gives file and line.
        """
        try:
            plain = strip_types(source)
        except DialectError as exc:
            raise LuaLoadError(f"{chunkname}: {exc}") from exc
        result = self._compile(plain.encode(), f"@{chunkname}".encode())
        chunk, err = result if isinstance(result, tuple) else (result, None)
        if chunk is None:
            message = err.decode(errors="replace") if isinstance(err, bytes) else str(err)
            raise LuaLoadError(f"Lua syntax error: {message}")
        return Factory(chunk=chunk, name=chunkname)

    def entry_env(self, require: Callable[..., Any], modules: Mapping[bytes, Any]) -> LuaObject:
        """Returns the environment metatable of an entry: its ``require`` and modules."""
        return self._entry_env_mt(self._wrap_host(require), self._lua.table_from(modules))

    def new_process_thread(
        self, factory: Factory, env_mt: LuaObject, method: str | None, args: tuple[Any, ...]
    ) -> LuaObject:
        """Creates the coroutine that instantiates an entry and runs its method."""
        method_b = method.encode() if method else None
        return self._new_process_thread(factory.chunk, env_mt, method_b, *args)

    def new_thread(self, fn: LuaObject, args: tuple[Any, ...] = ()) -> LuaObject:
        """Creates a coroutine running a Lua function (``coroutine.spawn``)."""
        return self._new_thread(fn, *args)

    def where(self) -> str:
        """``file:line`` of the user code the running thread is at ("" if unknown)."""
        where = self._where()
        return where.decode(errors="replace") if isinstance(where, bytes) else ""

    def kill(self, thread: LuaObject) -> None:
        """Closes a suspended coroutine (its to-be-closed variables run)."""
        self._kill(thread)

    # ------------------------------------------------------------------ values
    def error(self, error: ErrorValue) -> LuaObject:
        """Returns the Lua error object for ``error``."""
        return self.convert.error_to_lua(error)

    def is_error(self, value: Any) -> bool:
        """Tells whether a Lua value is an error object."""
        return bool(self._is_error(value))

    def memory_used(self) -> int:
        """Bytes currently allocated by the Lua runtime."""
        return int(self._lua.get_memory_used())

    def collect_garbage(self) -> None:
        """Runs a full Lua garbage collection."""
        self._lua.gccollect()


def lua_type(value: Any) -> str | None:
    """Returns the Lua type name of a lupa object (``None`` for Python values)."""
    kind = lua55.lua_type(value)
    return None if kind is None else str(kind)


LuaError = lua55.LuaError
LuaMemoryError = lua55.LuaMemoryError
