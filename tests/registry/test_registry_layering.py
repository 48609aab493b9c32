"""The registry is layer L1: it imports only errors, durations, the stdlib and yaml
(yaml in _loader alone), and its public surface is exactly __all__."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import wippy_py.registry as registry

PACKAGE = Path(registry.__file__).parent
ALLOWED_WIPPY = {"wippy_py.errors", "wippy_py.durations"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_registry_imports_only_lower_layers() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if name == "yaml" or top == "yaml":
                assert path.name == "_loader.py", f"{path.name} imports yaml"
            elif top == "wippy_py":
                assert name in ALLOWED_WIPPY, f"{path.name} imports {name}"
            else:
                assert top in sys.stdlib_module_names, f"{path.name} imports {name}"


def test_public_surface() -> None:
    assert sorted(registry.__all__) == sorted(
        [
            "HOST_KINDS",
            "LUA_KINDS",
            "SUPPORTED_KINDS",
            "Entry",
            "EntryId",
            "EntryNotFoundError",
            "Lifecycle",
            "Registry",
            "RegistryLoadError",
            "RestartPolicy",
            "load_registry",
        ]
    )
    for name in registry.__all__:
        assert getattr(registry, name) is not None


def test_supported_kinds() -> None:
    assert set(registry.SUPPORTED_KINDS) == {
        "function.lua",
        "process.lua",
        "workflow.lua",
        "library.lua",
        "process.host",
        "process.service",
        "terminal.host",
        "temporal.client",
        "temporal.worker",
        "registry.entry",
    }
    assert set(registry.LUA_KINDS) <= set(registry.SUPPORTED_KINDS)
    assert set(registry.HOST_KINDS) == {"process.host", "terminal.host"}


def test_modules_stay_small() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name
