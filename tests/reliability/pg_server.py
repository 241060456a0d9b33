"""A throwaway PostgreSQL server owned by one test: start, restart, stop.

The fault tests restart the database under load, so they cannot share the
session's server. This is the Python twin of ``.ci/postgres.sh``: ``initdb`` in
a temporary directory (as the ``postgres`` user when run as root, since
PostgreSQL refuses to run as root), a server on a free loopback port with its
socket inside that directory, and ``pg_ctl`` to restart and stop it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from tests.smtp_fixtures import free_port

_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@attrs.define
class PgServer:
    """A running server: its URL, and how to restart and stop it."""

    bin: Path
    directory: Path
    port: int
    as_owner: list[str]

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its test database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/portalkit_fault"

    def _ctl(self, *args: str) -> None:
        # The server inherits pg_ctl's output: never a pipe (it would stay open).
        subprocess.run(
            [*self.as_owner, str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 {_OPTIONS}"
        self._ctl("-l", str(self.directory / "log"), "-w", "-t", "30", "-o", options, "start")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session is terminated, then the server comes back."""
        log = str(self.directory / "log")
        self._ctl("-l", log, "-m", "fast", "-w", "-t", "30", "restart")

    def stop(self) -> None:
        """Stop the server (fast shutdown)."""
        with contextlib.suppress(subprocess.SubprocessError):
            self._ctl("-m", "fast", "-w", "stop")


@contextlib.contextmanager
def throwaway_server() -> Iterator[PgServer]:
    """A fresh PostgreSQL server with a ``portalkit_fault`` database, removed afterwards."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL server binaries are needed for the fault tests in CI")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    root = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="portalkit-fault-pg."))
    as_owner = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(directory, "postgres", "postgres")
    server = PgServer(bin=bin_dir, directory=directory, port=free_port(), as_owner=as_owner)
    try:
        subprocess.run(
            [*as_owner, str(bin_dir / "initdb"), "-D", str(directory / "data"), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        server.start()
        subprocess.run(
            [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U",
             "postgres", "portalkit_fault"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
