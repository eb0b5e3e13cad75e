"""Loading a folder of referral aggregates (``python3 -m capacity import aggregates DIR``).

The folder is what :mod:`capacity.aggregates` writes. It is verified before anything is
written: its manifest (format, every file's checksum, each part's row count), each
part's columns, and every row (places, service types and services this store knows,
no negative count, no formula-like text, sources, months and weekdays as written by
the job). A place's referral data are either records or aggregates: a folder naming a
place whose records are stored is refused. Then, in one transaction, the aggregates of
the places the folder names are replaced (the old rows archived for undo), with an entry
in the import log. Any problem refuses the whole folder with a one-line reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from capacity.aggregates import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    PARTITION,
    PARTS,
    checksum,
    file_sha256,
    folder_files,
)
from capacity.config import os_user
from capacity.ingest.files import ImportFileError
from capacity.store import ScratchDatabase, Store, StoreError, _Session
from capacity.validation import has_control_character, looks_like_formula

KIND = "aggregates"
# The store's table for each part of the folder.
TABLES = {
    "referrals": "referral_months",
    "episodes": "episode_months",
    "stays": "stay_statistics",
    "weekdays": "referral_weekdays",
}
TEXT_COLUMNS = ("place_code", "service_type", "service_id", "source")
COUNT_COLUMNS = {
    "referrals": ("referrals",),
    "episodes": ("episodes", "stay_days", "stay_days_squared"),
    "stays": ("completed",),
    "weekdays": ("referrals",),
}
MONTH_COLUMNS = {
    "referrals": ("month",),
    "episodes": ("start_month", "end_month"),
    "weekdays": ("month",),
}


@dataclass(frozen=True)
class Folder:
    """A verified folder of aggregates: its manifest and each part's rows."""

    path: Path
    manifest: dict[str, Any]
    parts: dict[str, pd.DataFrame]

    @property
    def places(self) -> frozenset[str]:
        """The places the folder has figures for."""
        codes: set[str] = set()
        for frame in self.parts.values():
            codes |= {str(c) for c in frame["place_code"].dropna()}
        return frozenset(codes)

    @property
    def rows(self) -> int:
        """Rows in every part."""
        return sum(len(frame) for frame in self.parts.values())


def read_folder(path: Path) -> Folder:
    """The folder at ``path``, its files checked against its manifest; ImportFileError with
    the first problem in one line."""
    if not path.is_dir():
        raise ImportFileError(f"There is no folder {path}")
    manifest = _manifest(path)
    _check_files(path, manifest)
    parts = {part: _read_part(path, part, manifest) for part in PARTS}
    return Folder(path, manifest, parts)


def _manifest(path: Path) -> dict[str, Any]:
    target = path / MANIFEST
    if not target.is_file():
        raise ImportFileError(
            f"{path} has no {MANIFEST}: it is not a folder written by "
            "`python3 -m capacity aggregate`"
        )
    try:
        manifest = json.loads(target.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"{target} cannot be read as JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ImportFileError(f"{target} is not the manifest of a folder of referral aggregates")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ImportFileError(
            f"{target} is format version {manifest.get('format_version')!r}; this version of "
            f"the product reads version {FORMAT_VERSION}: run the job again with it"
        )
    for key in ("files", "rows", "checksum"):
        if key not in manifest:
            raise ImportFileError(f"{target} lacks {key!r}")
    return manifest


def _check_files(path: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there with its checksum, and no other data file."""
    listed: dict[str, str] = manifest["files"]
    if not isinstance(listed, dict) or checksum(listed) != manifest["checksum"]:
        raise ImportFileError(f"{path / MANIFEST}: its checksum does not match its list of files")
    for part in PARTS:
        if not (path / part).is_dir():
            raise ImportFileError(f"{path} lacks the part {part}/ (every folder has all four)")
    present = set(folder_files(path))
    missing = sorted(set(listed) - present)
    if missing:
        raise ImportFileError(f"{path / missing[0]} is missing (the manifest lists it)")
    extra = sorted(present - set(listed))
    if extra:
        raise ImportFileError(f"{path / extra[0]} is not in the manifest: the folder was changed")
    for name in sorted(listed):
        if file_sha256(path / name) != listed[name]:
            raise ImportFileError(
                f"{path / name} does not match its checksum in the manifest (changed or "
                "damaged since the job wrote it)"
            )


def _read_part(path: Path, part: str, manifest: dict[str, Any]) -> pd.DataFrame:
    expected = [PARTITION, *PARTS[part]]
    if not any((path / part).rglob("*.parquet")):
        frame = pd.DataFrame(columns=expected)
    else:
        db = ScratchDatabase()
        try:
            frame = db.read_parquet_folder(path / part)
        except Exception as exc:  # a damaged file: DuckDB's own error, in one line
            raise ImportFileError(f"{path / part} cannot be read: {exc}") from None
        finally:
            db.close()
    if sorted(frame.columns) != sorted(expected):
        raise ImportFileError(
            f"{path / part} has the columns {', '.join(sorted(frame.columns))}; "
            f"a {part} part has {', '.join(expected)}"
        )
    wanted = manifest["rows"].get(part) if isinstance(manifest["rows"], dict) else None
    if wanted != len(frame):
        raise ImportFileError(f"{path / part} has {len(frame):,} rows; the manifest says {wanted}")
    return frame[expected]


# -- the rows ----------------------------------------------------------------------------


def row_problem(session: _Session | Store, folder: Folder) -> str | None:
    """The first reason the folder's rows cannot be loaded into this store, or None."""
    known = _known(session)
    for part, frame in folder.parts.items():
        problem = _text_problem(part, frame) or _value_problem(part, frame)
        problem = problem or _reference_problem(part, frame, known)
        if problem:
            return problem
    return None


def _known(session: _Session | Store) -> dict[str, set[str]]:
    places = session.query("places")
    return {
        "place_code": set(places.loc[places["kind"] != "system", "place_code"]),
        "service_type": set(session.query("service_types")["service_type"]),
        "service_id": set(session.query("services")["service_id"]),
    }


def _text_problem(part: str, frame: pd.DataFrame) -> str | None:
    for column in TEXT_COLUMNS:
        if column not in frame.columns:
            continue
        for value in frame[column].dropna().unique():
            text = str(value)
            if has_control_character(text):
                return f"{part}: {column} {text!r} holds a control character, which is not text"
            if looks_like_formula(text):
                return f"{part}: {column} {text!r} looks like a spreadsheet formula"
    return None


def _value_problem(part: str, frame: pd.DataFrame) -> str | None:
    for column in COUNT_COLUMNS[part]:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & (values.isna() | (values < 0))
        if bad.any():
            return f"{part}: {int(bad.sum()):,} row(s) have a negative or missing {column}"
    if "source" in frame.columns and not frame["source"].isin(["hospital", "community"]).all():
        return f"{part}: source must be hospital or community"
    for column in MONTH_COLUMNS.get(part, ()):
        months = pd.to_datetime(frame[column].dropna())
        if (months.dt.day != 1).any():
            return f"{part}: {column} must be the first day of a month"
    if part == "weekdays" and not frame["weekday"].between(1, 7).all():
        return "weekdays: weekday must be 1 (Monday) to 7 (Sunday)"
    return None


def _reference_problem(part: str, frame: pd.DataFrame, known: dict[str, set[str]]) -> str | None:
    words = {"place_code": "place", "service_type": "service type", "service_id": "service"}
    for column, word in words.items():
        if column not in frame.columns:
            continue
        unknown = sorted(set(frame[column].dropna().astype(str)) - known[column])
        if unknown:
            more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
            return f"{part}: {column} {unknown[0]!r}{more} is not a known {word} here"
    return None


# -- loading -----------------------------------------------------------------------------


Allow = Callable[[_Session, frozenset[str]], None]
After = Callable[[_Session, int, str], None]


def load(
    store: Store,
    folder: Folder,
    *,
    loaded_by: str | None = None,
    loaded_by_email: str = "",
    allow: Allow | None = None,
    after: After | None = None,
) -> tuple[int, str]:
    """Load a verified folder in one transaction: replace the aggregates of its places
    (the old rows kept for undo) and log the import. Returns the import id and a message;
    ImportFileError (nothing written) when its rows cannot be loaded here."""
    places = sorted(folder.places)
    store.refresh()  # servers sharing one state: first take the data others loaded
    with store.transaction() as session:
        if allow is not None:
            allow(session, frozenset(places))
        problem = row_problem(session, folder)
        if problem:
            raise ImportFileError(problem)
        _refuse_collisions(session, folder, places)
        import_id = int(
            session.execute(
                "log_import",
                kind=KIND,
                file_name=folder.path.name,
                checksum=folder.manifest["checksum"],
                rows_read=folder.rows,
                rows_loaded=0,
                rows_rejected=0,
                loaded_by=loaded_by or os_user(),
                note="",
            )[0][0]
        )
        session.execute(
            "import_set_loader",
            import_id=import_id,
            loaded_by_email=loaded_by_email,
            place_codes=",".join(places),
        )
        session.execute("archive_referral_aggregates", import_id=import_id, places=places)
        for part, frame in folder.parts.items():
            rows = frame.drop(columns=[PARTITION]).assign(import_id=import_id)
            session.insert_frame(TABLES[part], rows)
        manifest = folder.manifest
        note = (
            f"{manifest.get('records_counted', 0):,} records reduced by "
            f"{manifest.get('engine', '?')} ({manifest.get('records_refused', 0):,} refused)"
        )
        session.execute("import_finish", import_id=import_id, rows_loaded=folder.rows, note=note)
        message = (
            f"Loaded {folder.rows:,} rows of referral aggregates for {len(places):,} place(s) "
            f"as import {import_id}: {note}."
        )
        if after is not None:
            after(session, import_id, message)
    return import_id, message


def _refuse_collisions(session: _Session, folder: Folder, places: list[str]) -> None:
    """Refuse a folder already loaded, or one naming places whose records are stored."""
    same = session.query("import_by_checksum", checksum=folder.manifest["checksum"], kind=KIND)
    if not same.empty:
        raise ImportFileError(
            f"this folder was already loaded (import {int(same.iloc[0]['import_id'])}); "
            "undo that import to load it again"
        )
    stored = session.query("places_with_referral_records", places=places)
    if not stored.empty:
        first = stored.iloc[0]
        raise ImportFileError(
            f"{first['place_code']} has {int(first['records']):,} referral records stored, "
            "and aggregates of them would count twice: a place's referrals are either "
            "records or aggregates"
        )


__all__ = ["KIND", "Folder", "StoreError", "load", "read_folder", "row_problem"]
