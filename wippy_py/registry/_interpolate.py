"""``file://`` interpolation: every string value that starts with ``file://`` becomes the
text of that file, before entries are extracted (Wippy's load-time interpolators).

``file://rel/x.lua`` is relative to the directory of the YAML file; ``file:///x.lua`` is
relative to the registry root. Paths are cleaned lexically, like Go's ``path.Clean``, and
must stay inside the root.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wippy_py.errors import Location, RegistryError

FILE_PREFIX = "file://"

Locate = Callable[[tuple[str | int, ...]], Location]


def resolve_file_path(reference: str, yaml_dir: str) -> str:
    """Resolves a ``file://`` reference to a path relative to the registry root.

    Args:
        reference: The whole string, ``file://...``.
        yaml_dir: Directory of the YAML file, relative to the root (``""`` for the root).

    Returns:
        A clean POSIX path relative to the root.

    Raises:
        ValueError: the path is empty or escapes the registry root.
    """
    raw = reference[len(FILE_PREFIX) :]
    base = yaml_dir
    if raw.startswith("/"):
        raw = raw.lstrip("/")
        base = ""
    if not raw.strip():
        raise ValueError(f"{reference}: empty path in file:// reference")
    cleaned = posixpath.normpath(posixpath.join(base, raw) if base else raw)
    if cleaned == ".." or cleaned.startswith("../") or posixpath.isabs(cleaned):
        raise ValueError(f"{reference}: path escapes the registry root")
    return cleaned


def read_text_file(root: Path, relative: str, reference: str) -> str:
    """Reads a file named by a ``file://`` reference as UTF-8 text.

    Raises:
        ValueError: the file is missing, is a directory, cannot be read or is not UTF-8.
    """
    target = root / relative
    if not target.exists():
        raise ValueError(f"{reference}: file not found: {relative}")
    if target.is_dir():
        raise ValueError(f"{reference}: {relative} is a directory, not a file")
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise ValueError(f"{reference}: cannot read {relative}: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{reference}: {relative} is not valid UTF-8 (byte {exc.start})") from exc


def interpolate(
    value: Any,
    *,
    root: Path,
    yaml_dir: str,
    locate: Locate,
    problems: list[RegistryError],
    sources: dict[tuple[str | int, ...], str] | None = None,
) -> Any:
    """Returns a copy of ``value`` with every ``file://`` string replaced by file text.

    A reference that cannot be read is left as written and recorded as a problem, so
    the rest of the file still loads.

    Args:
        value: A document as built by the YAML loader.
        root: Registry root directory.
        yaml_dir: Directory of the YAML file, relative to the root.
        locate: Maps a document path to the location reported for a problem there.
        problems: Where problems are appended.
        sources: When given, receives document path -> file path (relative to the root)
            for every string that was replaced, so that Lua chunks can be named after
            their ``.lua`` file.
    """
    cache: dict[str, str] = {}

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            return {key: walk(item, (*path, key)) for key, item in node.items()}
        if isinstance(node, list):
            return [walk(item, (*path, index)) for index, item in enumerate(node)]
        if isinstance(node, str) and node.startswith(FILE_PREFIX):
            try:
                relative = resolve_file_path(node, yaml_dir)
                if relative not in cache:
                    cache[relative] = read_text_file(root, relative, node)
                if sources is not None:
                    sources[path] = relative
                return cache[relative]
            except ValueError as exc:
                problems.append(RegistryError(str(exc), locate(path)))
        return node

    return walk(value, ())
