"""The package follows the layers of DESIGN.md: imports point downwards only, and
lupa, temporalio and click each have one home."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "wippy_py"

LAYERS = {
    "errors": 0, "codec": 0, "durations": 0, "_util": 0,
    "registry": 1, "lua": 1, "host": 1, "journal": 1,
    "process": 2, "workflow": 2,
    "supervision": 3, "backends": 3,
    "node": 4,
    "cli": 5, "__main__": 6,
}
# Siblings inside one layer that must not import each other.
FORBIDDEN = {("lua", "host"), ("host", "lua"), ("host", "process"), ("host", "workflow")}
HOMES = {"lupa": "lua", "click": "cli", "temporalio": "backends/temporal"}


def _component(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[str, int]]:
    """(absolute module name, line) of every import in a module of the package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package_parts = list(rel.parts[:-1])
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((name, node.lineno))
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_component_has_a_layer() -> None:
    unknown = {_component(p) for p in _modules()} - set(LAYERS) - {"__init__"}
    assert not unknown, f"add these components to LAYERS: {unknown}"


def test_imports_point_downwards() -> None:
    violations = []
    for path in _modules():
        source = _component(path)
        if source == "__init__":
            continue
        for name, line in _imports(path):
            parts = name.split(".")
            if parts[0] != "wippy_py" or len(parts) < 2:
                continue
            target = parts[1]
            if target == source or target not in LAYERS:
                continue
            if LAYERS[target] > LAYERS[source] or (
                LAYERS[target] == LAYERS[source] and (source, target) in FORBIDDEN
            ) or (LAYERS[target] == LAYERS[source] and LAYERS[source] > 0):
                violations.append(f"{path.relative_to(PACKAGE)}:{line} imports {name}")
    assert not violations, "upward or sideways imports:\n" + "\n".join(violations)


def test_third_party_bridges_have_one_home() -> None:
    violations = []
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        for name, line in _imports(path):
            top = name.split(".")[0]
            home = HOMES.get(top)
            if home is not None and not rel.startswith(home):
                violations.append(f"{rel}:{line} imports {top} (only {home}/ may)")
    assert not violations, "\n".join(violations)


def test_the_checker_sees_imports() -> None:
    # Guard against a walker that silently finds nothing.
    names = [n for n, _ in _imports(PACKAGE / "process" / "_scheduler.py")]
    assert "wippy_py.lua" in names
    assert "trio" in names
