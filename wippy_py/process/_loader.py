"""Loads Lua entries: compiles each source once, builds its ``require`` and environment.

``modules:`` is an allow-list of host modules and ``imports:`` maps aliases to
``library.lua`` entries. A library is instantiated once per process that requires it,
so module-level state never leaks between processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EntryError
from ..lua import Factory, LuaLoadError, LuaVM
from ..registry import Entry, Registry

LUA_KINDS = ("function.lua", "process.lua", "workflow.lua", "library.lua")


@dataclass
class LoadedEntry:
    """A compiled Lua entry, ready to be instantiated.

    Attributes:
        entry: The registry entry.
        factory: The compiled chunk.
        env_mt: The environment metatable carrying the entry's ``require``.
        method: The method to call (None runs what the chunk returns).
    """

    entry: Entry
    factory: Factory
    env_mt: Any
    method: str | None

    @property
    def entry_id(self) -> str:
        """The entry's full ID."""
        return str(self.entry.id)


class EntryLoader:
    """Compiles entries on first use and caches them.

    Args:
        vm: The Lua runtime.
        registry: The loaded registry.
        modules: Host module tables by name (what ``modules:`` may list).
        current_libs: Returns the library cache of the running process.
        module_gate: Optional check of an entry's module list (workflows), raising
            :class:`EntryError` for a module that is not allowed.
    """

    def __init__(
        self,
        vm: LuaVM,
        registry: Registry,
        modules: Mapping[str, Any],
        current_libs: Callable[[], dict[str, Any]],
        module_gate: Callable[[Entry, list[str]], None] | None = None,
    ) -> None:
        self.vm = vm
        self.registry = registry
        self.modules = modules
        self._current_libs = current_libs
        self._module_gate = module_gate
        self._cache: dict[str, LoadedEntry] = {}

    def load(self, entry_id: str, kinds: tuple[str, ...] = LUA_KINDS) -> LoadedEntry:
        """Returns the compiled entry ``entry_id``.

        Raises:
            EntryError: the entry is missing, of another kind, or lists an unknown module.
            LuaLoadError: its source does not compile.
        """
        cached = self._cache.get(entry_id)
        if cached is not None and cached.entry.kind in kinds:
            return cached
        entry = self.registry.get(entry_id)
        if entry is None:
            raise EntryError(f"entry {entry_id} is not defined in the registry")
        if entry.kind not in kinds:
            raise EntryError(
                f"entry {entry_id} is a {entry.kind}, expected {' or '.join(kinds)}"
            )
        loaded = self._compile(entry)
        self._cache[entry_id] = loaded
        return loaded

    def load_version(self, entry_id: str, source: str | None) -> LoadedEntry:
        """Compiles ``entry_id`` with an older ``source`` (the script a workflow run
        started with); the entry's modules and imports are today's. ``None`` means
        the current source.

        Raises:
            EntryError: the entry is missing or not a workflow.
            LuaLoadError: the source does not compile.
        """
        current = self.load(entry_id, ("workflow.lua",))
        if source is None or source == current.entry.data.get("source"):
            return current
        key = f"{entry_id}#{hash(source)}"
        cached = self._cache.get(key)
        if cached is None:
            cached = self._compile(current.entry, source)
            self._cache[key] = cached
        return cached

    def _compile(self, entry: Entry, source_override: str | None = None) -> LoadedEntry:
        data = entry.data if isinstance(entry.data, dict) else {}
        source = source_override if source_override is not None else data.get("source")
        if not isinstance(source, str):
            raise EntryError(f"entry {entry.id}: 'source' must be Lua text")
        module_names = [str(m) for m in data.get("modules") or []]
        if self._module_gate is not None:
            self._module_gate(entry, module_names)
        allowed: dict[bytes, Any] = {}
        for name in module_names:
            module = self.modules.get(name)
            if module is None:
                available = ", ".join(sorted(self.modules))
                raise EntryError(
                    f"entry {entry.id} ({entry.file}): unknown module {name!r} in 'modules'; "
                    f"available modules: {available}"
                )
            allowed[name.encode()] = module
        imports = {str(k): str(v) for k, v in (data.get("imports") or {}).items()}
        chunkname = entry.source_file() or f"{entry.file}[{entry.id.name}]"
        try:
            factory = self.vm.compile_entry(source, chunkname)
        except LuaLoadError as exc:
            raise LuaLoadError(f"entry {entry.id}: {exc}") from exc
        require = self._make_require(str(entry.id), allowed, imports)
        env_mt = self.vm.entry_env(require, allowed)
        method = data.get("method")
        if entry.kind == "workflow.lua" and not method:
            method = "main"
        return LoadedEntry(entry, factory, env_mt, str(method) if method else None)

    def _make_require(
        self, entry_id: str, allowed: dict[bytes, Any], imports: dict[str, str]
    ) -> Callable[[Any], Any]:
        vm = self.vm

        def require(name: Any) -> Any:
            module = allowed.get(name) if isinstance(name, bytes) else None
            if module is not None:
                return module
            text = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
            target = imports.get(text)
            if target is None:
                raise LuaRequireError(
                    f"module '{text}' not found: entry {entry_id} does not list it "
                    "in 'modules' or 'imports'"
                )
            libs = self._current_libs()
            if target not in libs:
                library = self.load(target, ("library.lua",))
                result = vm.instantiate_library(library.factory.chunk, library.env_mt)
                instance, err = result if isinstance(result, tuple) else (result, None)
                if instance is None:
                    raise LuaRequireError(
                        f"library {target} failed to load: {err.decode(errors='replace')}"
                    )
                libs[target] = instance
            return libs[target]

        return require


class LuaRequireError(Exception):
    """Raised inside ``require``; Lua sees it as an error with this message."""
