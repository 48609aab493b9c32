"""Shared pieces of the CLI: loading an app, logging set-up, error exits."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from ..registry import Registry, RegistryLoadError, load_registry

_START = time.monotonic()


def fail(message: str, code: int = 2) -> NoReturn:
    """Prints ``error: message`` on stderr and exits with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def load_app(app_dir: Path) -> Registry:
    """Loads the registry of an app directory, or exits with every problem listed."""
    if not app_dir.exists():
        fail(f"{app_dir} does not exist; give the directory that holds the app's YAML files")
    try:
        return load_registry(app_dir)
    except RegistryLoadError as exc:
        fail(str(exc))


class _Formatter(logging.Formatter):
    """``0.12s INFO  app:entry  message  {"field": value}``."""

    def format(self, record: logging.LogRecord) -> str:
        elapsed = record.created - (time.time() - (time.monotonic() - _START))
        where = getattr(record, "entry", "") or record.name.removeprefix("wippy_py.")
        fields = getattr(record, "fields", None)
        text = f"{max(elapsed, 0):.2f}s {record.levelname:<5} {where}  {record.getMessage()}"
        if fields:
            text += "  " + json.dumps(fields, ensure_ascii=False, default=str, sort_keys=True)
        return text


def setup_logging(verbose: bool) -> None:
    """Logs to stderr: warnings and errors by default, everything from info with -v."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger("wippy_py")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False
