"""A throwaway PostgreSQL cluster for the tests of the shared state (many app servers).

``postgres_cluster`` (session fixture, imported by the tests that need it) makes a
cluster with ``initdb`` in a temporary folder, starts it on a free port on localhost
with password authentication, and stops it at the end. PostgreSQL refuses to run as
root, so as root the cluster belongs to the ``postgres`` account Debian's package makes
(run through ``runuser``). Where PostgreSQL's programs are absent the tests skip and
say why; CI installs them (``.ci/run``), and there (``CI`` set) their absence fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "capacity"
PASSWORD = "test-password"  # noqa: S105 - a throwaway cluster on localhost


@dataclass(frozen=True)
class Cluster:
    """A running cluster: where it listens and how to reach a database on it."""

    port: int
    folder: Path
    run_as: str | None

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        """The CAPACITY_STATE address of ``database`` on this cluster."""
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        """Make an empty database and return its address."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _binaries() -> Path | None:
    """The folder of initdb and pg_ctl: Debian's versioned folder, else the PATH."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], run_as: str | None) -> None:
    if run_as:
        command = ["runuser", "-u", run_as, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}")


def _absent(reason: str) -> None:
    """Skip on a developer's machine; in CI, where .ci/run installs everything, fail."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI must run these tests")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster on localhost for this test run (skips where PostgreSQL is absent)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _absent("psycopg is not installed (pip install -r requirements.txt)")
    binaries = _binaries()
    if binaries is None:
        _absent("PostgreSQL's programs (initdb, pg_ctl) are not installed")
    assert binaries is not None
    run_as = "postgres" if os.geteuid() == 0 else None
    # The postgres account must reach the folder: under /tmp, not a private home.
    folder = Path(tempfile.mkdtemp(prefix="capacity-pg-", dir="/tmp" if run_as else None))
    data = folder / "data"
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if run_as:
        shutil.chown(folder, run_as)
        shutil.chown(password_file, run_as)
    port = _free_port()
    _run(
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        run_as,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder}"
    _run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(folder / "log"),
            "start",
        ],
        run_as,
    )
    try:
        yield Cluster(port, folder, run_as)
    finally:
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], run_as)
        shutil.rmtree(folder, ignore_errors=True)
