"""Checking a staged file row by row, writing nothing.

The file is read with DuckDB's own CSV reader into temporary tables (never a
row-by-row loop for referrals, which can run to millions of rows); every bad
row is listed with its row number, column, value and reason. Referrals are
checked in SQL; the smaller kinds (counts, shares, parameters, services) in
Python after DuckDB has read them (the services catalogue's rules in
:mod:`~capacity.ingest.catalogue`); a SitRep workbook by :mod:`capacity.sitrep`'s reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from capacity.ingest.catalogue import Catalogue, check_rows
from capacity.ingest.files import MAX_LINE_BYTES, ImportFileError, Staged
from capacity.ingest.kinds import COUNTS, REPLACING, SERVICES_FILE
from capacity.reference import (
    PARAMETERS,
    check_parameters,
    check_shares_match_types,
    check_trust_shares,
)
from capacity.reference import (
    TRUST_SHARES as SHARES,
)
from capacity.sitrep import (
    MAX_COUNT,
    SitrepError,
    destination_key,
    load_destinations,
    read_table4,
)
from capacity.store import Store, _Session
from capacity.validation import (
    CONTROL_REASON,
    Column,
    Problem,
    ValidationError,
    coerce,
    has_control_character,
    looks_like_formula,
    parse_month,
)

PREVIEW_ROWS = 20
PROBLEM_LIMIT = 5_000


@dataclass
class Report:
    """What a check found: counts, every problem (up to a limit), and a preview."""

    kind: str
    file_name: str
    rows_read: int
    rows_rejected: int
    already_loaded: int
    problems: pd.DataFrame
    problems_total: int
    preview: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    loaded_before: str | None = None
    # Referrals only: good rows whose id is stored with other fields (a correction).
    # already_loaded counts those stored exactly as the file has them (unchanged).
    updated: int = 0

    @property
    def rows_valid(self) -> int:
        """Rows with no problem."""
        return self.rows_read - self.rows_rejected

    @property
    def rows_new(self) -> int:
        """Good rows not in the store yet."""
        return self.rows_valid - self.already_loaded - self.updated

    @property
    def rows_to_write(self) -> int:
        """Good rows a load would write: the new ones and the corrections."""
        return self.rows_new + self.updated

    def changes(self) -> str:
        """How the good rows compare with the store, in words ("1 new, 2 updated, 7 unchanged")."""
        return f"{self.rows_new:,} new, {self.updated:,} updated, {self.already_loaded:,} unchanged"

    def text(self) -> str:
        """The report as plain text, for the command line."""
        counts = (
            f": {self.changes()}"
            if self.kind == "referrals" and self.rows_valid
            else (f", {self.already_loaded:,} already loaded" if self.already_loaded else "")
        )
        lines = [
            f"{self.file_name}: {self.rows_read:,} rows read, {self.rows_valid:,} good, "
            f"{self.rows_rejected:,} refused" + counts
        ]
        lines += [f"  note: {note}" for note in self.notes]
        for row in self.problems.itertuples(index=False):
            shown = f" {row.value!r}" if row.value else ""
            lines.append(f"  row {row.row}, {row.column}{shown}: {row.reason}")
        if self.problems_total > len(self.problems):
            lines.append(f"  ... and {self.problems_total - len(self.problems):,} more problems")
        return "\n".join(lines)


def _read(session: _Session, staged: Staged) -> None:
    session.execute("staging_drop")
    session.execute(
        "staging_read",
        path=str(staged.path),
        columns={c: "VARCHAR" for c in staged.columns},
        delim=staged.delimiter,
        max_line=MAX_LINE_BYTES + 2,
    )
    session.add_text_columns("staging", list(staged.missing_optional))
    session.execute("staging_number")


def _notes(staged: Staged) -> list[str]:
    notes = []
    if staged.ignored:
        notes.append("columns ignored: " + ", ".join(staged.ignored))
    if staged.encoding == "windows-1252":
        notes.append("read as Windows-1252 text")
    if staged.encoding in ("utf-16", "utf-32"):
        notes.append(f"read as {staged.encoding.upper()} text")
    if staged.decimal == "," and staged.kind != "referrals":
        notes.append("numbers read with a decimal comma (the file is separated by semicolons)")
    if staged.encoding == "xlsx":
        notes.append("read from the workbook's first sheet")
    return notes


def _loaded_before(session: _Session, staged: Staged) -> str | None:
    if staged.kind in REPLACING:
        found = session.query("latest_import_of_kind", kind=staged.kind)
        found = found[found["checksum"] == staged.checksum]
    else:
        found = session.query("import_by_checksum", checksum=staged.checksum, kind=staged.kind)
    if found.empty:
        return None
    row = found.iloc[0]
    return f"import {row['import_id']} on {pd.Timestamp(row['loaded_at']):%d %b %Y %H:%M}"


def _preview(session: _Session, staged: Staged) -> pd.DataFrame:
    preview = session.query("staging_preview", limit=PREVIEW_ROWS)
    keep = [c for c in preview.columns if not c.startswith("ignored_")]
    return preview[keep]


def _check_referrals(session: _Session, staged: Staged) -> Report:
    session.execute("referrals_clean")
    session.execute("referrals_problems")
    session.execute("referrals_compare", absent=list(staged.missing_optional))
    summary = session.query("referrals_summary").iloc[0]
    return Report(
        kind=staged.kind,
        file_name=staged.file_name,
        rows_read=int(summary["rows_read"]),
        rows_rejected=int(summary["rows_rejected"]),
        already_loaded=int(summary["already_loaded"]),
        updated=int(summary["updated"]),
        problems=session.query("staging_problem_list", limit=PROBLEM_LIMIT),
        problems_total=int(summary["problems"]),
        preview=_preview(session, staged),
        notes=_notes(staged),
        loaded_before=_loaded_before(session, staged),
    )


def _rows(session: _Session, staged: Staged) -> tuple[pd.DataFrame, list[int], list[Problem]]:
    """The staged rows as text, their file lines, and the lines DuckDB could not read."""
    frame = session.query("staging_rows")
    lines = [int(v) for v in frame.pop("line")]
    frame = frame[[c for c in frame.columns if not c.startswith("ignored_")]]
    rejected = session.query("staging_rejected_lines")
    problems = [
        Problem(
            int(r.line),
            _reject_column(r.error_type, r.column_name),
            "",
            _reject_reason(r.error_type),
        )
        for r in rejected.itertuples()
    ]
    return frame, lines, problems


def _reject_column(error_type: str, column: str | None) -> str:
    if not column or error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        return "(whole line)"
    return column


def _reject_reason(error_type: str) -> str:
    return {
        "MISSING COLUMNS": "has fewer columns than the header",
        "TOO MANY COLUMNS": "has more columns than the header",
        "UNQUOTED VALUE": "has a quote that is never closed",
    }.get(error_type, f"cannot be read ({str(error_type).lower()})")


def _row_problems(
    frame: pd.DataFrame, lines: list[int], columns: list[Column], what: str, decimal: str = "."
) -> tuple[pd.DataFrame, list[Problem]]:
    """Type the rows; return the typed good rows (with their lines) and the others' problems."""
    problems: list[Problem] = []
    for column in frame.columns:
        values = frame[column].astype(object)
        control = values.map(lambda v: isinstance(v, str) and has_control_character(v))
        problems += [
            Problem(lines[i], column, values.iat[i], CONTROL_REASON)
            for i in np.flatnonzero(control.to_numpy(bool))
        ]
        if column == "source_note":
            continue  # prose, where a leading - is a dash; exports escape what they write
        looks = values.map(
            lambda v: isinstance(v, str) and looks_like_formula(v) and not has_control_character(v)
        )
        problems += [
            Problem(lines[i], column, values.iat[i], "looks like a spreadsheet formula")
            for i in np.flatnonzero(looks.to_numpy(bool))
        ]
    try:
        coerce(frame, columns, what, decimal)
    except ValidationError as exc:
        problems += [
            Problem(lines[p.row - 2], p.column, p.value, p.reason)
            for p in exc.problems
            if p.row >= 2
        ]
        if any(p.row < 2 for p in exc.problems):
            raise ImportFileError(str(exc)) from None
    bad = {p.row for p in problems}
    keep = [i for i, line in enumerate(lines) if line not in bad]
    typed = coerce(frame.iloc[keep].reset_index(drop=True), columns, what, decimal)
    return typed.assign(_line=[lines[i] for i in keep]), problems


def _known(session: _Session) -> dict[str, pd.DataFrame]:
    return {
        name: session.query(name) for name in ("places", "service_types", "services", "trusts")
    } | {
        "service_places": session.query(
            "service_places_for_places", places=list(session.query("places")["place_code"])
        )
    }


def _resolve(value: str, codes: pd.Series, names: pd.Series) -> str | None:
    if value in set(codes):
        return value
    lookup = {str(n).lower(): c for c, n in zip(codes, names, strict=True)}
    return lookup.get(value.strip().lower())


def _check_counts(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    frame, lines, problems = _rows(session, staged)
    typed, found = _row_problems(frame, lines, COUNTS, staged.file_name, staged.decimal)
    problems += found
    known = _known(session)
    places = known["places"][known["places"]["kind"] != "system"]
    types = known["service_types"].set_index("service_type")
    services = known["services"].set_index("service_id")
    links = known["service_places"]
    serves = set(zip(links["service_id"], links["place_code"], strict=True))
    names = places.set_index("place_code")["name"]
    keep = []
    for _, row in typed.iterrows():
        line, reasons = row["_line"], []
        place = _resolve(row["place_code"], places["place_code"], places["name"])
        stype = _resolve(
            row["service_type"],
            known["service_types"]["service_type"],
            known["service_types"]["name"],
        )
        service = None
        if place is None:
            reasons.append(("place_code", row["place_code"], "is not a known place"))
        if stype is None:
            reasons.append(("service_type", row["service_type"], "is not a known service type"))
        elif not bool(types.loc[stype, row["source"]]):
            reasons.append(
                ("source", row["source"], f"{stype} does not take {row['source']} referrals")
            )
        if row["service_id"] is not None:
            service = _resolve(
                row["service_id"], known["services"]["service_id"], known["services"]["name"]
            )
            if service is None:
                reasons.append(("service_id", row["service_id"], "is not a known service"))
            elif stype is not None and services.loc[service, "service_type"] != stype:
                reasons.append(("service_id", row["service_id"], f"is not a {stype} service"))
            elif place is not None and (service, place) not in serves:
                reasons.append(
                    (
                        "service_id",
                        row["service_id"],
                        f"{service} does not serve {names[place]} ({place})",
                    )
                )
        try:
            month = parse_month(row["month"])
        except ValueError as exc:
            reasons.append(("month", row["month"], str(exc)))
            month = None
        if reasons:
            problems += [Problem(line, c, str(v), r) for c, v, r in reasons]
            continue
        keep.append(
            {
                "place_code": place,
                "service_type": stype,
                "service_id": service,
                "source": row["source"],
                "month": pd.Timestamp(month),
                "referrals": row["referrals"],
                "source_note": row["source_note"] or f"imported from {staged.file_name}",
                "_line": line,
            }
        )
    good = pd.DataFrame(
        keep,
        columns=[
            "place_code",
            "service_type",
            "service_id",
            "source",
            "month",
            "referrals",
            "source_note",
            "_line",
        ],
    )
    duplicated = good.duplicated(
        ["place_code", "service_type", "service_id", "source", "month"], keep="first"
    )
    problems += [
        Problem(
            int(r["_line"]),
            "month",
            f"{r['month']:%Y-%m}",
            "appears more than once in this file for the same place, service type, "
            "service and source",
        )
        for _, r in good[duplicated].iterrows()
    ]
    good = good[~duplicated]
    return _small_report(session, staged, len(lines), problems), good


def _check_shares(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    frame, lines, problems = _rows(session, staged)
    typed, found = _row_problems(frame, lines, SHARES, staged.file_name, staged.decimal)
    problems += found
    places = session.query("places")
    hwb = places[places["kind"] != "system"]
    typed["place_code"] = [
        _resolve(v, hwb["place_code"], hwb["name"]) or v for v in typed["place_code"]
    ]
    typed["trust_code"] = typed["trust_code"].str.strip().str.upper()
    typed["source_note"] = typed["source_note"].fillna(f"imported from {staged.file_name}")
    line_of = dict(enumerate(typed["_line"]))
    try:
        check_trust_shares(typed.drop(columns="_line").reset_index(drop=True), places)
    except ValidationError as exc:
        problems += [
            Problem(line_of.get(p.row - 2, p.row), p.column, p.value, p.reason)
            for p in exc.problems
        ]
    good = typed[~typed["_line"].isin({p.row for p in problems})]
    return _small_report(session, staged, len(lines), problems), good


def _check_parameters(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    frame, lines, problems = _rows(session, staged)
    typed, found = _row_problems(frame, lines, PARAMETERS, staged.file_name, staged.decimal)
    problems += found
    typed["contract_share"] = typed["contract_share"].fillna(1.0)
    known = _known(session)
    line_of = dict(enumerate(typed["_line"]))
    checks = (
        lambda t: check_parameters(t, known["services"], known["service_places"]),
        lambda t: check_shares_match_types(t, known["services"], known["service_types"]),
    )
    for run in checks:
        try:
            run(typed.drop(columns="_line").reset_index(drop=True))
        except ValidationError as exc:
            problems += [
                Problem(line_of.get(p.row - 2, p.row), p.column, p.value, p.reason)
                for p in exc.problems
            ]
    good = _whole_services(problems, frame, lines, typed)
    return _small_report(session, staged, len(lines), problems), good


def _whole_services(
    problems: list[Problem], frame: pd.DataFrame, lines: list[int], typed: pd.DataFrame
) -> pd.DataFrame:
    """The typed rows of services with no refused row; the other rows of a refused service
    are refused too (added to ``problems``), since a service loads whole or not at all."""
    service_of_line = dict(zip(lines, frame["service_id"], strict=True))
    bad_services = {service_of_line[p.row] for p in problems if p.row in service_of_line}
    refused = {p.row for p in problems}
    for service in sorted(bad_services, key=str):
        for line in typed.loc[typed["service_id"] == service, "_line"]:
            if int(line) not in refused:
                problems.append(
                    Problem(
                        int(line),
                        "service_id",
                        service,
                        "not loaded: another row of this service was refused",
                    )
                )
    return typed[~typed["service_id"].isin(bad_services)]


def _check_services(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    frame, lines, problems = _rows(session, staged)
    # "Block" and "SPOT" mean block and spot: only the spelling of the word is the file's.
    frame["contract"] = frame["contract"].str.strip().str.lower()
    typed, found = _row_problems(frame, lines, SERVICES_FILE, staged.file_name, staged.decimal)
    problems += found
    resolved, found = check_rows(typed, Catalogue.of(session))
    problems += found
    good = _whole_services(problems, frame, lines, resolved)
    return _small_report(session, staged, len(lines), problems), good


def _small_report(session: _Session, staged: Staged, rows: int, problems: list[Problem]) -> Report:
    table = pd.DataFrame(
        [
            {"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
            for p in problems
        ],
        columns=["row", "column", "value", "reason"],
    )
    table = table.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    rejected = table["row"].nunique()
    read = rows + len(session.query("staging_rejected_lines"))
    return Report(
        kind=staged.kind,
        file_name=staged.file_name,
        rows_read=read,
        rows_rejected=rejected,
        already_loaded=0,
        problems=table.head(PROBLEM_LIMIT),
        problems_total=len(table),
        preview=_preview(session, staged),
        notes=_notes(staged),
        loaded_before=_loaded_before(session, staged),
    )


DESTINATIONS = [
    Column("place_code"),
    Column("destination"),
    Column("service_type", required=False),
    Column("source_note", required=False),
]


def _check_destinations(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    """A place's SitRep destination mapping: a known place (code or name), a destination of
    the reference list (as headed in Table 4), and a known service type that takes hospital
    discharges, or blank for none; one row per place and destination."""
    frame, lines, problems = _rows(session, staged)
    typed, found = _row_problems(frame, lines, DESTINATIONS, staged.file_name, staged.decimal)
    problems += found
    places = session.query("places")
    hwb = places[places["kind"] != "system"]
    types = session.query("service_types")
    hospital = set(types.loc[types["hospital"].astype(bool), "service_type"])
    reference = load_destinations().set_index("key")["destination"]
    keep = []
    for _, row in typed.iterrows():
        place = _resolve(row["place_code"], hwb["place_code"], hwb["name"])
        destination = reference.get(destination_key(row["destination"]))
        stype = row["service_type"] or None
        reasons = []
        if place is None:
            reasons.append(("place_code", row["place_code"], "is not a known place"))
        if destination is None:
            reasons.append(
                ("destination", row["destination"], "is not a SitRep destination of Table 4")
            )
        if stype is not None and stype not in hospital:
            reasons.append(
                ("service_type", stype, "is not a service type that takes hospital discharges")
            )
        if reasons:
            problems += [Problem(int(row["_line"]), c, str(v), r) for c, v, r in reasons]
            continue
        keep.append(
            {
                "place_code": place,
                "destination": destination,
                "service_type": stype,
                "source_note": row["source_note"] or f"imported from {staged.file_name}",
                "_line": int(row["_line"]),
            }
        )
    good = pd.DataFrame(
        keep, columns=["place_code", "destination", "service_type", "source_note", "_line"]
    )
    twice = good.duplicated(["place_code", "destination"])
    problems += [
        Problem(int(r["_line"]), "destination", r["destination"], "appears twice for this place")
        for _, r in good[twice].iterrows()
    ]
    return _small_report(session, staged, len(lines), problems), good[~twice]


_SMALL = {
    "counts": _check_counts,
    "shares": _check_shares,
    "parameters": _check_parameters,
    "services": _check_services,
    "destinations": _check_destinations,
}


def read_and_check(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame | None]:
    """Read a staged CSV into the session's scratch tables and check it.

    Returns the report and, for the smaller kinds, their good rows typed and
    ready to write (None for referrals, whose good rows stay in the scratch
    tables).
    """
    _read(session, staged)
    if staged.kind == "referrals":
        return _check_referrals(session, staged), None
    return _SMALL[staged.kind](session, staged)


def check(store: Store, staged: Staged) -> Report:
    """Every problem with a staged file; nothing is written to the store."""
    if staged.kind == "sitrep":
        with store.scratch() as session:
            return check_sitrep(session, staged)[0]
    with store.scratch() as session:
        return read_and_check(session, staged)[0]


def check_sitrep(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    """Read and check a staged SitRep workbook: its report and the rows that can be loaded.

    A cell that is not a count refuses that figure; an organisation's row that repeats an
    earlier one (same level and code) or whose code, name or region looks like a spreadsheet
    formula refuses every figure of the row.
    """
    try:
        table = read_table4(staged.path, staged.file_name)
    except SitrepError as exc:
        raise ImportFileError(str(exc)) from None
    cells = [
        (
            row,
            column,
            str(value),
            f"is not a count (a whole number up to {MAX_COUNT:,}, or - if suppressed)",
        )
        for row, column, value in table.unreadable
    ]
    problems = pd.DataFrame(
        cells + _sitrep_row_problems(table.rows),
        columns=["row", "column", "value", "reason"],
    ).sort_values(["row"], kind="stable")
    whole_rows = set(problems.loc[~problems["column"].isin(set(table.rows["destination"])), "row"])
    bad = set(zip(problems["row"], problems["column"], strict=True))
    refused = np.array(
        [
            row in whole_rows or (row, d) in bad
            for row, d in zip(table.rows["sheet_row"], table.rows["destination"], strict=True)
        ],
        dtype=bool,
    )
    rows = table.rows.drop(columns="sheet_row")
    good = rows[~refused].reset_index(drop=True)
    notes = [
        f"{table.month:%B %Y}: {rows['org_code'].nunique()} organisations, "
        f"{rows['destination'].nunique()} destinations, "
        f"{int(good['discharges'].isna().sum())} suppressed cells kept as missing"
    ]
    report = Report(
        kind="sitrep",
        file_name=staged.file_name,
        rows_read=len(rows),
        rows_rejected=int(refused.sum()),
        already_loaded=0,
        problems=problems.head(PROBLEM_LIMIT).reset_index(drop=True),
        problems_total=len(problems),
        preview=rows.head(PREVIEW_ROWS),
        notes=notes,
        loaded_before=_loaded_before(session, staged),
    )
    return report, good


def _sitrep_row_problems(rows: pd.DataFrame) -> list[tuple[int, str, str, str]]:
    """Whole rows of Table 4 refused: an organisation named a second time at its level (the
    store holds one figure per organisation, destination and month), and a code, name or
    region that a spreadsheet would run as a formula or that holds a control character."""
    found = []
    orgs = rows.drop_duplicates("sheet_row")
    per_row = rows["destination"].nunique()
    first_row: dict[tuple[str, str], int] = {}
    for org in orgs.itertuples(index=False):
        for column in ("org_code", "org_name", "region"):
            value = getattr(org, column)
            if isinstance(value, str) and has_control_character(value):
                found.append((org.sheet_row, column, value, CONTROL_REASON))
            elif isinstance(value, str) and looks_like_formula(value):
                found.append(
                    (
                        org.sheet_row,
                        column,
                        value,
                        "looks like a spreadsheet formula; the row is refused",
                    )
                )
        key = (org.level, org.org_code)
        if key in first_row:
            found.append(
                (
                    org.sheet_row,
                    "org_code",
                    org.org_code,
                    f"repeats the {org.level} on row {first_row[key]}: its {per_row} figures "
                    "are refused",
                )
            )
        else:
            first_row[key] = org.sheet_row
    return found
