"""A real Temporal server for the Temporal backend's tests (see temporal_helpers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("temporalio", reason="the temporal extra is not installed")

from engines import EmbeddedEngine, Engine, TemporalEngine
from temporal_helpers import (
    TemporalApp,
    TemporalServer,
    start_server,
    stop_server,
    write_temporal_app,
)


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalServer]:
    """A dev server on a free loopback port, stopped by PID after the session."""
    server, proc, log = start_server(tmp_path_factory.mktemp("temporal"))
    try:
        yield server
    finally:
        stop_server(proc)
        log.close()


@pytest.fixture
def temporal_app(tmp_path: Path, temporal_server: TemporalServer) -> Any:
    """``temporal_app(entries_yaml, files=None)`` writes an app on the test server."""

    def make(entries: str, files: dict[str, str] | None = None) -> TemporalApp:
        return write_temporal_app(tmp_path / "app", temporal_server, entries, files)

    return make


@pytest.fixture(params=["embedded", "temporal"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The engine the test's workflows run on: each test using it runs on both (the
    dev server is started only for the ``temporal`` one)."""
    if request.param == "temporal":
        return TemporalEngine(request.getfixturevalue("temporal_server"))
    return EmbeddedEngine()
