"""Whether this machine has the browser that chart images and the browser tests draw with.

Both use Debian's Chromium at /usr/bin/chromium, never a downloaded one, and
``.ci/run`` installs it with apt-get. On a fresh machine without it, the tests
that need it are skipped with the reason, so the README's test command still
passes; CI, which has it, runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def missing_chromium(what: str) -> str | None:
    """Why ``what`` cannot run here, or None when Chromium is installed."""
    if CHROMIUM.exists():
        return None
    return f"{what} need Debian's Chromium at {CHROMIUM} (.ci/run installs it with apt-get)"


def needs_chromium(what: str) -> pytest.MarkDecorator:
    """A mark that skips a test, with the reason, where Chromium is not installed."""
    reason = missing_chromium(what)
    return pytest.mark.skipif(reason is not None, reason=reason or "")
