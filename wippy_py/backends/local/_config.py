"""Where an embedded ``temporal.client`` keeps its journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Relative to the app directory (the registry root) unless the client says otherwise.
DEFAULT_JOURNAL = ".wippy/journal.db"


def journal_path(app_root: Path, client_data: Any) -> Path:
    """The journal file of an embedded client: its ``journal:`` field (relative paths
    are taken from the app directory), else ``<app>/.wippy/journal.db``."""
    configured = client_data.get("journal") if isinstance(client_data, dict) else None
    path = Path(str(configured)) if configured else Path(DEFAULT_JOURNAL)
    return path if path.is_absolute() else (app_root / path)
