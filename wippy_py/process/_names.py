"""The local name registry of ``process.registry`` (names -> PIDs).

A name maps to one PID; a PID may hold several names. Names are released when their
owner exits, before its EXIT and LINK_DOWN notifications go out (OTP: names are
"directly visible resources"), so a monitor that reacts to EXIT can register the name
again at once.
"""

from __future__ import annotations

import contextlib

from ..errors import ALREADY_EXISTS, INVALID, NOT_FOUND, UNAVAILABLE, ErrorValue
from ._model import Process

# Scopes of process.registry; only LOCAL exists on a single node.
LOCAL, EVENTUAL, CONSISTENT, STRONG = 0, 1, 2, 3
_SCOPE_NAMES = {EVENTUAL: "EVENTUAL", CONSISTENT: "CONSISTENT", STRONG: "STRONG"}


class NameRegistry:
    """Names of live processes on this node."""

    def __init__(self) -> None:
        self.pids: dict[bytes, bytes] = {}

    @staticmethod
    def check_name(name: object) -> ErrorValue | None:
        """Returns why ``name`` cannot be a process name, or None when it can."""
        if not isinstance(name, bytes) or not name:
            return ErrorValue("name must be a non-empty string", INVALID, False)
        if name[:1] in (b"{", b"@"):
            return ErrorValue(
                f"invalid name {name.decode(errors='replace')!r}: names may not start "
                "with '{' (PIDs) or '@' (internal topics)", INVALID, False,
            )
        return None

    @staticmethod
    def check_scope(scope: object) -> ErrorValue | None:
        """Returns why ``scope`` is refused (only LOCAL works without a cluster)."""
        if scope is None or scope == LOCAL:
            return None
        label = _SCOPE_NAMES.get(scope) if isinstance(scope, int) else None
        if label is None:
            return ErrorValue(f"unknown registry scope {scope!r}", INVALID, False)
        return ErrorValue(
            f"registry scope {label} needs a cluster; this node only has LOCAL",
            UNAVAILABLE, False,
        )

    def register(self, name: bytes, proc: Process) -> ErrorValue | None:
        """Gives ``name`` to ``proc``; idempotent for the same process.

        Returns:
            None on success, or an ``AlreadyExists`` error naming the current owner.
        """
        owner = self.pids.get(name)
        if owner is not None:
            if owner == proc.pid:
                return None
            return ErrorValue(
                f"name {name.decode(errors='replace')!r} is already registered to "
                f"{owner.decode()}", ALREADY_EXISTS, False,
            )
        self.pids[name] = proc.pid
        if proc.names is None:
            proc.names = []
        proc.names.append(name)
        return None

    def lookup(self, name: bytes) -> bytes | None:
        """Returns the PID registered under ``name``."""
        return self.pids.get(name)

    def unregister(self, name: bytes, owner: Process | None) -> bool:
        """Removes ``name``; returns False when it was not registered."""
        pid = self.pids.pop(name, None)
        if pid is None:
            return False
        if owner is not None and owner.names:
            with contextlib.suppress(ValueError):
                owner.names.remove(name)
        return True

    def release(self, proc: Process) -> None:
        """Drops every name of an exiting process."""
        names = proc.names
        if not names:
            return
        pids = self.pids
        for name in names:
            if pids.get(name) == proc.pid:
                del pids[name]
        proc.names = None

    @staticmethod
    def not_found(name: bytes) -> ErrorValue:
        """The error of a lookup of an unknown name."""
        return ErrorValue(f"name {name.decode(errors='replace')!r} is not registered",
                          NOT_FOUND, False)
