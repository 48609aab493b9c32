"""Keeping Lua values that Python holds on to safe from a lupa 2.8 pitfall.

When Lua code running in a coroutine calls a Python function, lupa binds every Lua
object it hands to Python (the call's arguments) to that coroutine's ``lua_State``; the
Python wrapper uses it again when it is garbage-collected (``luaL_unref``). If the
coroutine has been collected by then, that pointer dangles and the interpreter crashes
(seen: a process sends a table and exits; its receiver reads the message later).

Objects returned by calls of Lua functions that were created on the main state (kernel
functions) are bound to the main state, which lives as long as the runtime. So a value
that Python keeps beyond the current call (in a channel buffer, a queue, a resume tuple)
is passed once through such a function: :class:`Anchor` does that.

A second pitfall of the same kind: indexing a main-state table from inside a callback
can return ``(thread, value)``; code that runs during Lua calls only *calls* cached
kernel functions and never indexes kernel tables.

Since the run queue, channels and mailboxes moved into Lua (``lua/sched.lua``,
``lua/chan.lua``), the dispatcher keeps no Lua values of its own: Python hands values
to kernel functions, which store them in Lua, and gets back only what ``K.run``
returns (bound to the main state). :class:`Anchor` remains for Python code that must
keep a Lua value it received as a callback argument.
"""

from __future__ import annotations

from typing import Any

from ..lua import LuaVM, lua_type

_PLAIN = (bytes, int, float, bool)


class Anchor:
    """Returns a main-state-bound wrapper for a Lua object (Python values pass through).

    Args:
        vm: The runtime whose main state the values are bound to.
    """

    __slots__ = ("_identity",)

    def __init__(self, vm: LuaVM) -> None:
        # Compiled on the main state, so its results are bound to the main state.
        self._identity = vm.eval_trusted("function(v) return v end")

    def __call__(self, value: Any) -> Any:
        if value is None or type(value) in _PLAIN or lua_type(value) is None:
            return value
        return self._identity(value)
