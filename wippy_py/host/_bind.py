"""Helpers that turn Python cores into Lua-callable functions with ``value, err`` returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import INVALID, ErrorValue


class ValueBridge(Protocol):
    """Converts values across the Lua boundary (implemented by ``lua.Converter``)."""

    def to_py(self, value: Any, depth: int = 0) -> Any:
        """Lua value -> Python value model."""

    def to_lua(self, value: Any) -> Any:
        """Python value model -> Lua value."""

    def error_to_lua(self, error: ErrorValue) -> Any:
        """ErrorValue -> Lua error object."""


def fallible(
    bridge: ValueBridge, fn: Callable[..., Any], kind: str = INVALID
) -> Callable[..., tuple[Any, Any]]:
    """Wraps ``fn`` (Python values in and out): ``ValueError`` becomes ``nil, err``.

    Args:
        bridge: The value converter.
        fn: The Python core; raises ``ValueError`` on bad input.
        kind: The error kind given to those failures.
    """
    to_py, to_lua, error_to_lua = bridge.to_py, bridge.to_lua, bridge.error_to_lua

    def call(*args: Any) -> tuple[Any, Any]:
        try:
            result = fn(*[to_py(a) for a in args])
        except ValueError as exc:
            return None, error_to_lua(ErrorValue(str(exc), kind, False))
        return to_lua(result), None

    return call


def plain(bridge: ValueBridge, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps ``fn`` (Python values in and out) that cannot fail."""
    to_py, to_lua = bridge.to_py, bridge.to_lua

    def call(*args: Any) -> Any:
        return to_lua(fn(*[to_py(a) for a in args]))

    return call
