"""Canonical argument hashes: the journal's guard against silent divergence.

Temporal and DBOS compare only the kind and name of a replayed call; a workflow that
calls the same activity with other arguments (a ``pairs()`` loop in another order,
say) replays "successfully" with wrong results. Each journaled command therefore
carries a hash of its arguments in a canonical form: maps are sorted by key, so two
equal Lua tables always hash alike however they were built.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgpack


def _key_order(key: Any) -> tuple[int, Any]:
    # Keys of one map may mix types (Lua tables): order by type first.
    if isinstance(key, bool):
        return (0, int(key))
    if isinstance(key, int | float):
        return (1, key)
    if isinstance(key, str):
        return (2, key)
    if isinstance(key, bytes):
        return (3, key)
    return (4, repr(key))


def canonical(value: Any) -> Any:
    """Returns ``value`` with every map turned into a key-sorted list of pairs."""
    if isinstance(value, dict):
        return [
            ["\0map"],
            *([canonical(k), canonical(v)] for k, v in sorted(value.items(),
                                                              key=lambda kv: _key_order(kv[0]))),
        ]
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def args_hash(value: Any) -> str:
    """A short hex digest of ``value`` (Python data converted from Lua arguments)."""
    packed = msgpack.packb(canonical(value), use_bin_type=True)
    return hashlib.blake2b(packed, digest_size=8).hexdigest()
