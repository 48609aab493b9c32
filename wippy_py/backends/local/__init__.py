"""The embedded workflow backend: workflows on a local SQLite journal (no server)."""

from ._config import DEFAULT_JOURNAL, journal_path
from ._engine import LocalEngine

__all__ = ["DEFAULT_JOURNAL", "LocalEngine", "journal_path"]
