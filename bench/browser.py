"""Serving the app for a benchmark and driving Debian's Chromium, shared by the bench scripts.

The app runs with ``streamlit run app.py`` on a free local port against a
database the caller names, and is stopped (with everything it started)
whatever happens. Chromium is the system's /usr/bin/chromium, never a
downloaded browser.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from capacity import config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"


def free_port() -> int:
    """A TCP port nothing is listening on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_server(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    """Wait until the app answers /_stcore/health; fail if it stops or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the app stopped on start (exit status {process.returncode})")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"the app did not start at {url} within {seconds:.0f} s")


@contextmanager
def serve_app(database: Path, log: Path | None = None) -> Iterator[tuple[str, int]]:
    """The app served on a free port against ``database``; yields (base URL, server pid)."""
    port = free_port()
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(config.PROJECT_ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=config.PROJECT_ROOT,
        env=os.environ | {config.DB_ENV: str(database)},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, process)
        yield url, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        if log:
            out.close()


def resident_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total_kb = 0
    for task in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{task}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def _children(pid: int) -> list[int]:
    found = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in path.read_text().split():
            found += [int(child), *_children(int(child))]
    return found
