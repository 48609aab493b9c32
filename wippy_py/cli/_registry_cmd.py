"""``wippy-py registry list|show|validate``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..registry import load_registry
from ._common import fail, load_app


@click.group()
def registry() -> None:
    """Inspect and validate the entries of an app."""


@registry.command("list")
@click.argument("app_dir", type=click.Path(path_type=Path))
@click.option("--kind", help="Only entries of this kind (e.g. process.lua).")
@click.option("--ns", "namespace", help="Only entries of this namespace.")
def list_entries(app_dir: Path, kind: str | None, namespace: str | None) -> None:
    """List the entries of the app in APP_DIR."""
    reg = load_app(app_dir)
    rows = [
        e for e in reg
        if (kind is None or e.kind == kind) and (namespace is None or e.namespace == namespace)
    ]
    width = max((len(str(e.id)) for e in rows), default=2)
    for entry in rows:
        note = "" if entry.kind in _supported() else "  (unsupported kind)"
        click.echo(f"{entry.id!s:<{width}}  {entry.kind}{note}")
    click.echo(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")


@registry.command("show")
@click.argument("app_dir", type=click.Path(path_type=Path))
@click.argument("entry_id")
def show(app_dir: Path, entry_id: str) -> None:
    """Show one entry (kind, file, meta, data, dependencies) as JSON."""
    reg = load_app(app_dir)
    entry = reg.get(entry_id)
    if entry is None:
        fail(f"no entry {entry_id} in {app_dir}; see `wippy-py registry list {app_dir}`")
    doc = {
        "id": str(entry.id),
        "kind": entry.kind,
        "file": f"{entry.file}:{entry.line}",
        "meta": entry.meta,
        "data": entry.data,
        "dependencies": [str(d) for d in entry.dependencies],
    }
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


@registry.command("validate")
@click.argument("app_dir", type=click.Path(path_type=Path))
def validate(app_dir: Path) -> None:
    """Check every file and entry; list all problems (exit code 1 if any)."""
    if not app_dir.exists():
        fail(f"{app_dir} does not exist")
    reg = load_registry(app_dir, strict=False)
    for problem in reg.problems:
        click.echo(str(problem), err=True)
    unsupported = [e for e in reg if e.kind not in _supported()]
    for entry in unsupported:
        click.echo(f"note: {entry.id} has kind {entry.kind}, which wippy-py does not run",
                   err=True)
    if reg.problems:
        click.echo(f"{len(reg.problems)} problem(s) found", err=True)
        raise SystemExit(1)
    click.echo(f"ok: {len(reg)} entries")


def _supported() -> frozenset[str]:
    from ..registry import SUPPORTED_KINDS

    return frozenset(SUPPORTED_KINDS)
