"""Deterministic workflow logic (layer L2): command matching and replay, argument
hashing, activity and start options, the per-run random generator.

Nothing here touches Lua, trio or the clock: the embedded backend
(``wippy_py.backends.local``) feeds it journal records and the calls the Lua code
makes, and it answers whether a call is new (run it live) or replayed (use the
recorded outcome), or whether the code has diverged from its history.
"""

from ._hashing import args_hash as args_hash
from ._options import ActivityOptions as ActivityOptions
from ._options import OptionsError as OptionsError
from ._options import RetryPolicy as RetryPolicy
from ._options import StartOptions as StartOptions
from ._replay import Replay as Replay
from ._rng import LuaRandom as LuaRandom

__all__ = [
    "ActivityOptions",
    "LuaRandom",
    "OptionsError",
    "Replay",
    "RetryPolicy",
    "StartOptions",
    "args_hash",
]
