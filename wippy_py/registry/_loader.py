"""YAML parsing with line numbers: the only module of the registry that imports ``yaml``.

Approach: ``yaml.safe_load`` loses line information, so the file is composed into nodes
and the Python value is built by walking them; every mapping key and list item records
its 1-based line under its path from the document root, e.g.
``("entries", 2, "lifecycle", "start_timeout") -> 41``.

Wippy reads YAML with Go's yaml.v3, which follows the YAML 1.2 core schema when decoding
into untyped maps. PyYAML follows YAML 1.1, where ``on``/``yes``/``no`` are booleans,
``017`` is octal, ``1:30`` is ninety and dates become ``datetime`` objects. The resolvers
below are the 1.2 core ones so that a file means the same thing in both runtimes:
only ``true``/``false`` are booleans, and dates stay strings. Duplicate keys in one
mapping are an error, as in yaml.v3.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from wippy_py.errors import Location, RegistryError

PathKey = str | int
NodePath = tuple[PathKey, ...]
LineMap = dict[NodePath, int]

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    # libyaml's parser is about ten times faster and gives the same nodes and marks;
    # resolution and construction stay in Python, so the schema below applies to both.
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CoreLoader(_SafeLoader):
    """SafeLoader with the YAML 1.2 core schema (see the module docstring)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class registry

    def construct_core_int(self, node: ScalarNode) -> int:
        """Builds an int from ``123``, ``-7``, ``0o17`` or ``0x1F`` (no 1.1 octal)."""
        text = str(self.construct_scalar(node))
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits, 10)


_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_CoreLoader.add_implicit_resolver(_MERGE_TAG, re.compile(r"^(?:<<)$"), ["<"])
_CoreLoader.add_constructor("tag:yaml.org,2002:int", _CoreLoader.construct_core_int)


def parse_yaml(text: str, file: str) -> tuple[Any, LineMap]:
    """Parses one YAML document and records the line of every key and list item.

    Args:
        text: The file's text.
        file: The file's path relative to the registry root (for error messages).

    Returns:
        ``(value, lines)``: the document as plain Python values (``None`` for an empty
        file) and a map from path to 1-based line; the root path ``()`` is included.

    Raises:
        RegistryError: the text is not valid YAML, holds several documents, uses an
            unknown tag, repeats a key or contains a recursive alias. The location
            names the file and the line.
    """
    loader = _CoreLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: LineMap = {(): node.start_mark.line + 1}
        return _Builder(loader, file, lines).build(node, ()), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        raise RegistryError(f"malformed YAML: {detail}", Location(file, line)) from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"malformed YAML: {exc}", Location(file)) from exc
    finally:
        loader.dispose()


class _Builder:
    """Turns composed nodes into Python values, filling the line map on the way."""

    def __init__(self, loader: _CoreLoader, file: str, lines: LineMap) -> None:
        self._loader = loader
        self._file = file
        self._lines = lines
        # Invariant: holds id() of the collection nodes on the current path, so that a
        # recursive alias (&a [*a]) is reported instead of recursing forever.
        self._active: set[int] = set()

    def build(self, node: Node, path: NodePath) -> Any:
        if isinstance(node, ScalarNode):
            if node.tag == _STR_TAG:
                return node.value  # the common case, without the constructor's bookkeeping
            return self._loader.construct_object(node, deep=True)
        if id(node) in self._active:
            self._fail(node, "recursive alias")
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            self._fail(node, f"unsupported node {type(node).__name__}")
        finally:
            self._active.discard(id(node))

    def _sequence(self, node: SequenceNode, path: NodePath) -> list[Any]:
        if node.tag != _SEQ_TAG:
            self._fail(node, f"unsupported tag {node.tag}")
        items: list[Any] = []
        for index, child in enumerate(node.value):
            self._lines[(*path, index)] = child.start_mark.line + 1
            items.append(self.build(child, (*path, index)))
        return items

    def _mapping(self, node: MappingNode, path: NodePath) -> dict[Any, Any]:
        if node.tag != _MAP_TAG:
            self._fail(node, f"unsupported tag {node.tag}")
        self._check_duplicates(node)
        # Resolves "<<: *anchor" merge keys in place; explicit keys come last and win.
        self._loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            self._lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key))
        return result

    def _key(self, node: Node) -> PathKey:
        if not isinstance(node, ScalarNode):
            self._fail(node, "a mapping key must be a plain value, not a list or a map")
        key = node.value if node.tag == _STR_TAG else self._loader.construct_object(node)
        if isinstance(key, bool) or not isinstance(key, str | int):
            # Keys like 1.5 or null are legal YAML but never meaningful in a registry.
            return str(node.value)
        return key

    def _check_duplicates(self, node: MappingNode) -> None:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise RegistryError(
                    f"duplicate key {key_node.value!r} (first at line {seen[key_node.value]})",
                    Location(self._file, line),
                )
            seen[key_node.value] = line

    def _fail(self, node: Node, problem: str) -> NoReturn:
        line = node.start_mark.line + 1
        raise RegistryError(f"malformed YAML: {problem}", Location(self._file, line))
