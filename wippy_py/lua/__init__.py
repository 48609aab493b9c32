"""The Lua layer: the only package that imports lupa.

It provides :class:`LuaVM` (a sandboxed, shared Lua 5.5 runtime with an instruction
budget and a memory cap), value conversion, and the loader of Wippy's Lua dialect.
"""

from ..errors import LuaLoadError as LuaLoadError
from ._convert import Converter as Converter
from ._convert import as_text as as_text
from ._dialect import DialectError as DialectError
from ._dialect import strip_types as strip_types
from ._runtime import DEFAULT_INSTRUCTION_BUDGET as DEFAULT_INSTRUCTION_BUDGET
from ._runtime import DEFAULT_MEMORY_LIMIT as DEFAULT_MEMORY_LIMIT
from ._runtime import Factory as Factory
from ._runtime import LuaError as LuaError
from ._runtime import LuaMemoryError as LuaMemoryError
from ._runtime import LuaVM as LuaVM
from ._runtime import lua_type as lua_type

__all__ = [
    "DEFAULT_INSTRUCTION_BUDGET",
    "DEFAULT_MEMORY_LIMIT",
    "Converter",
    "DialectError",
    "Factory",
    "LuaError",
    "LuaLoadError",
    "LuaMemoryError",
    "LuaVM",
    "as_text",
    "lua_type",
    "strip_types",
]
