"""Helpers for registry tests: write a small registry tree and load it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from wippy_py.errors import RegistryError
from wippy_py.registry import Registry, load_registry

WriteTree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Returns ``write(files)``: writes ``{relative path: text or bytes}`` under a fresh
    root (text is dedented) and returns the root."""
    root = tmp_path / "reg"
    root.mkdir()

    def write(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return write


@pytest.fixture
def load(write_tree: WriteTree) -> Callable[[dict[str, str | bytes]], Registry]:
    """Returns ``load(files)``: writes the files and loads them strictly."""

    def run(files: dict[str, str | bytes]) -> Registry:
        return load_registry(write_tree(files))

    return run


@pytest.fixture
def problems(write_tree: WriteTree) -> Callable[[dict[str, str | bytes]], list[RegistryError]]:
    """Returns ``problems(files)``: writes the files, loads leniently, returns problems."""

    def run(files: dict[str, str | bytes]) -> list[RegistryError]:
        return load_registry(write_tree(files), strict=False).problems

    return run
