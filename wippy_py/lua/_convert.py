"""Conversion between Lua values and the Python value model.

The runtime runs with ``encoding=None``, so every Lua string reaches Python as
``bytes``. The value model on the Python side (shared with msgpack and the journal):

=================  ==========================================================
Lua                Python
=================  ==========================================================
nil                ``None``
boolean            ``bool``
integer / float    ``int`` / ``float`` (the subtype is kept)
string             ``str`` when it is valid UTF-8, else ``bytes``
table 1..n         ``list`` (also the empty table)
other table        ``dict`` (nil holes keep their integer keys: ``{1: a, 3: c}``)
error object       :class:`~wippy_py.errors.ErrorValue`
=================  ==========================================================

Functions, threads and userdata cannot be converted and raise ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lupa import lua55

from ..errors import ErrorValue

MAX_DEPTH = 128

_lua_type = lua55.lua_type


class Converter:
    """Converts values across the Lua boundary for one runtime.

    Args:
        new_table: Creates an empty Lua table.
        is_error: Tells whether a Lua table is an error object.
        error_fields: Returns (message, kind, retryable, details, stack) of an error.
        new_error: Builds a Lua error object from those five fields.
    """

    def __init__(
        self,
        new_table: Callable[[], Any],
        is_error: Callable[[Any], bool],
        error_fields: Callable[[Any], tuple[Any, ...]],
        new_error: Callable[..., Any],
    ) -> None:
        self._new_table = new_table
        self._is_error = is_error
        self._error_fields = error_fields
        self._new_error = new_error

    def to_py(self, value: Any, depth: int = 0) -> Any:
        """Converts one Lua value to the Python value model.

        Raises:
            ValueError: a function, thread or userdata, or nesting deeper than 128.
        """
        kind = type(value)
        if value is None or kind is bool or kind is int or kind is float:
            return value
        if kind is bytes:
            try:
                return value.decode()
            except UnicodeDecodeError:
                return value
        lua_kind = _lua_type(value)
        if lua_kind != "table":
            raise ValueError(f"cannot convert a Lua {lua_kind or kind.__name__} to data")
        if depth >= MAX_DEPTH:
            raise ValueError(f"table nesting deeper than {MAX_DEPTH} levels")
        if self._is_error(value):
            return self.error_to_py(value)
        items = [(self._key(k), self.to_py(v, depth + 1)) for k, v in value.items()]
        if _is_sequence(items):
            items.sort(key=_first)
            return [v for _, v in items]
        return dict(items)

    def _key(self, key: Any) -> Any:
        if type(key) is bytes:
            try:
                return key.decode()
            except UnicodeDecodeError:
                return key
        if type(key) in (int, float, bool):
            return key
        raise ValueError(f"cannot convert a table key of Lua type {_lua_type(key)}")

    def error_to_py(self, value: Any) -> ErrorValue:
        """Converts a Lua error object to an :class:`ErrorValue`."""
        message, kind, retryable, details, stack = self._error_fields(value)
        return ErrorValue(
            message=_text(message),
            kind=_text(kind),
            retryable=retryable,
            details=self.to_py(details, 1) if details is not None else None,
            stack=_text(stack),
        )

    def to_lua(self, value: Any) -> Any:
        """Converts a Python value (of the value model) to a Lua value."""
        kind = type(value)
        if value is None or kind is bool or kind is int or kind is float or kind is bytes:
            return value
        if kind is str:
            return value.encode()
        if kind is list or kind is tuple:
            table = self._new_table()
            for index, item in enumerate(value, 1):
                table[index] = self.to_lua(item)
            return table
        if kind is dict:
            table = self._new_table()
            for key, item in value.items():
                table[self.to_lua(key)] = self.to_lua(item)
            return table
        if isinstance(value, ErrorValue):
            return self.error_to_lua(value)
        if _lua_type(value) is not None:
            return value
        raise ValueError(f"cannot pass a Python {kind.__name__} to Lua")

    def error_to_lua(self, error: ErrorValue) -> Any:
        """Builds the Lua error object for an :class:`ErrorValue`."""
        return self._new_error(
            error.message.encode(),
            error.kind.encode(),
            error.retryable,
            self.to_lua(error.details),
            error.stack.encode(),
        )


def _first(item: tuple[Any, Any]) -> Any:
    return item[0]


def _is_sequence(items: list[tuple[Any, Any]]) -> bool:
    keys = {k for k, _ in items if type(k) is int}
    return len(keys) == len(items) and keys == set(range(1, len(items) + 1))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def as_text(value: Any) -> str:
    """Decodes a Lua string argument for messages and IDs (invalid bytes replaced)."""
    return _text(value)
