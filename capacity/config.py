"""Configuration: where the data live, and the defaults a lead can override.

The database file is chosen, in order, by the CLI's ``--db PATH``, the
``CAPACITY_DB`` environment variable, or ``data/capacity.duckdb`` in the
project folder. With no file there, the app and the CLI build one from the
demo data on first use. A workspace of a lead's own (``init --empty``) opens the demo
from its first screen in a file of the demo's own: ``CAPACITY_DEMO_DB``, else
``data/demo.duckdb``.
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
DEMO_DIR = DATA_DIR / "demo"
CONTENT_DIR = PROJECT_ROOT / "content"

DB_ENV = "CAPACITY_DB"
DEFAULT_DB = DATA_DIR / "capacity.duckdb"
# The demo a workspace's first screen opens ("Explore the demo"): a file of its own, so
# the lead's workspace is never replaced by it.
DEMO_DB_ENV = "CAPACITY_DEMO_DB"
DEFAULT_DEMO_DB = DATA_DIR / "demo.duckdb"

# The demo's synthetic referral records: a fixed seed and period make every
# build identical.
DEMO_SEED = 20230401
DEMO_FIRST_DAY = date(2022, 4, 1)
DEMO_LAST_DAY = date(2026, 3, 31)

# Demand projection: how many planning years of history to average.
DEFAULT_WINDOW_YEARS = 3
WINDOW_YEARS_ALLOWED = (1, 2, 3)

# How long the app waits for the database file while another program (an import from the
# command line) holds it, before saying so: long enough to outlast a large import.
WAIT_ENV = "CAPACITY_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 600.0
MAX_WAIT_SECONDS = 86_400.0

# Stated and observed figures "disagree" when they differ by more than this share.
LITTLE_LAW_TOLERANCE = 0.2

# The largest file the app accepts for import (the command line has no limit).
# Keep .streamlit/config.toml's server.maxUploadSize the same.
MAX_UPLOAD_MB = 200

# What any reader takes, in the app and on the command line alike: each bounds the memory
# or disk a file can make the reader use, and a refusal names the limit it met.
# A line of a CSV file (so any cell of it), and any one cell of a workbook, in bytes. A row of
# any kind is a few hundred bytes; Excel's own cell limit is 32,767 characters.
MAX_LINE_BYTES = 65_536
MAX_CELL_BYTES = 65_536
# Columns in a header, or with something in them on any row of a workbook.
MAX_COLUMNS = 200
# Rows after the header. Referral records are streamed by DuckDB's reader (ten million load
# in well under a minute); the other kinds are checked row by row in Python, and a workbook
# sheet holds at most 1,048,576 rows anyway.
MAX_REFERRAL_ROWS = 50_000_000
MAX_ROWS = 1_048_576
# An .xlsx is a zip: what its parts unpack to, all together and the largest one, read from the
# zip's directory before anything is unpacked. A sheet's XML is streamed (a million-row
# referral sheet is about 400 MB); the shared strings are held whole, and 100 MB of the
# shortest strings took 780 MB to read, so they have a bound of their own: a million unique
# referral ids are about 27 MB.
MAX_XLSX_BYTES = 1_000_000_000
MAX_XLSX_PART_BYTES = 500_000_000
MAX_SHARED_STRINGS_BYTES = 50_000_000
# Table 4 of a discharge SitRep has about 200 rows (England, regions, ICBs, trusts).
MAX_SITREP_ROWS = 5_000


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database file to use: ``explicit``, else $CAPACITY_DB, else the default."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(DB_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return DEFAULT_DB


def wait_seconds() -> float:
    """How long the app waits its turn at the database file: $CAPACITY_WAIT_SECONDS, else
    ten minutes. Raises ValueError, naming the setting, for anything but 0 to a day."""
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= MAX_WAIT_SECONDS:  # also refuses nan
        raise ValueError(
            f"{WAIT_ENV} must be a number of seconds from 0 to {MAX_WAIT_SECONDS:g}, not {text!r}."
        )
    return seconds


def demo_db_path() -> Path:
    """The demo database the app's first screen opens: $CAPACITY_DEMO_DB, else data/demo.duckdb."""
    from_env = os.environ.get(DEMO_DB_ENV, "").strip()
    return Path(from_env).expanduser() if from_env else DEFAULT_DEMO_DB


def today() -> date:
    """Today's date, which the Flow page and ``flow`` command start a run of this planning year
    from. Read through this one function so tests can fix the day."""
    return date.today()


def os_user() -> str:
    """Who runs the app or a command on this computer (the operating-system user), for what a
    change records as made by where there is no signed-in name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
