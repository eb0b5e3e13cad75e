"""Loading a checked file all or nothing, undoing the last import, and the import log.

:func:`load` checks again and writes the good rows — or, unless partial
loading was chosen, nothing when any row is bad — in one transaction with an
entry in the import log. Loading the same rows twice adds nothing: a referral
re-sent exactly as stored is left alone ("unchanged"), one re-sent with a field
changed replaces the stored record ("updated", the old one archived for undo),
a counts or SitRep file already loaded (same checksum) is refused, and a
parameters, shares or services file the same as the latest one of its kind is
refused (an earlier one may be loaded again, to go
back to it). A file that would write nothing is not logged.
:func:`undo_last` takes the last import back out, restoring any rows it
replaced.

Who may load what is not decided here: the caller passes ``allow``, which gets the
places the checked rows touch and raises to refuse, and ``after``, which adds to the
same transaction (an audit entry), so the application layer keeps the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from capacity.config import os_user
from capacity.ingest.catalogue import write as write_services
from capacity.ingest.checks import Report, check_sitrep, read_and_check
from capacity.ingest.files import Staged
from capacity.ingest.kinds import KINDS, REPLACING
from capacity.store import Store, _Session

Progress = Callable[[float, str], None]

EVERY_PLACE = "*"
Places = frozenset[str] | None
"""The place codes a file's rows touch; None when it covers every place (a SitRep of every
trust, a whole table of trust shares)."""


@dataclass(frozen=True)
class LoadResult:
    """What a load wrote."""

    import_id: int | None
    rows_loaded: int
    report: Report
    message: str
    up_to_date: bool = False  # nothing written because the store already holds it all
    places: Places = frozenset()  # the places the written rows touch (None: every place)


Allow = Callable[[_Session, Places], None]
"""Called with the places a checked file touches before anything is written; raises to refuse."""
After = Callable[[_Session, LoadResult], None]
"""Called in the load's transaction once the rows are written (to record who loaded what)."""


def _log(session: _Session, staged: Staged, report: Report, loaded_by: str) -> int:
    return session.execute(
        "log_import",
        kind=staged.kind,
        file_name=staged.file_name,
        checksum=staged.checksum,
        rows_read=report.rows_read,
        rows_loaded=0,
        rows_rejected=report.rows_rejected,
        loaded_by=loaded_by,
        note="",
    )[0][0]


def _write_small(
    session: _Session, kind: str, good: pd.DataFrame, import_id: int, whole_table: bool
) -> int:
    if kind == "sitrep":
        session.execute(
            "archive_sitrep_months",
            import_id=import_id,
            months=sorted({m.date() for m in good["month"]}),
        )
        return session.insert_frame("sitrep_discharges", good.assign(import_id=import_id))
    if kind == "services":
        return write_services(session, good, import_id)
    rows = good.drop(columns="_line").assign(import_id=import_id)
    if kind == "counts":
        session.register("incoming_counts", rows)
        session.execute("archive_counts_like_incoming", import_id=import_id)
        return session.insert_frame("monthly_demand", rows)
    if kind == "destinations":
        # The file is the whole mapping of each place it names; the earlier one waits for undo.
        session.execute(
            "archive_destination_overrides",
            import_id=import_id,
            places=sorted(set(rows["place_code"])),
        )
        return session.insert_frame("sitrep_destination_overrides", rows)
    if kind == "shares":
        trusts = set(rows["trust_code"])
        if whole_table:
            trusts |= set(session.query("trust_place_shares")["trust_code"])
        session.execute("archive_trust_shares", import_id=import_id, trusts=sorted(trusts))
        return session.insert_frame("trust_place_shares", rows)
    session.execute(
        "archive_parameters_of_services",
        import_id=import_id,
        services=sorted(set(rows["service_id"])),
    )
    return session.insert_frame("service_parameters", rows)


def _codes(frame: pd.DataFrame | None, column: str = "place_code") -> set[str]:
    if frame is None or column not in frame.columns:
        return set()
    return {str(code) for code in frame[column].dropna()}


def touched_places(
    session: _Session, kind: str, good: pd.DataFrame | None, whole_table: bool = False
) -> Places:
    """The places a checked file's good rows would change (None: every place).

    Counts, referrals and destinations name their places; a parameters file changes the
    places its services serve; a services file the places it names and those its
    services served until now; a shares file the places of the trusts it replaces (every
    place when it is the whole table); a SitRep covers every trust, so every place.
    """
    if kind == "sitrep" or (kind == "shares" and whole_table):
        return None
    if kind == "referrals":
        return frozenset(str(c) for c in session.query("staged_referral_places")["place_code"])
    places = _codes(good)
    if kind in ("parameters", "services") and good is not None and not good.empty:
        services = sorted({str(s) for s in good["service_id"].dropna()})
        places |= _codes(session.query("places_of_services", services=services))
    if kind == "shares" and good is not None and not good.empty:
        trusts = sorted({str(t) for t in good["trust_code"].dropna()})
        places |= _codes(session.query("places_of_trust_shares", trusts=trusts))
    return frozenset(places)


def places_text(places: Places) -> str:
    """Places as the import log keeps them: codes comma-separated, ``*`` for every place."""
    return EVERY_PLACE if places is None else ",".join(sorted(places))


def _nothing_to_write(report: Report, good: pd.DataFrame | None) -> str | None:
    """Why a checked file would write nothing (no rows, or every row stored unchanged)."""
    if report.rows_read == 0:
        return "Nothing loaded: the file has a header but no rows of data."
    if good is None and report.rows_to_write == 0 and report.already_loaded:
        return (
            f"Nothing loaded: all {report.already_loaded:,} good row(s) are already in the "
            "store, unchanged."
        )
    if (good is None and report.rows_to_write == 0) or (good is not None and good.empty):
        return "Nothing loaded: there are no good rows."
    return None


def load(
    store: Store,
    staged: Staged,
    *,
    accept_partial: bool = False,
    loaded_by: str | None = None,
    loaded_by_email: str = "",
    progress: Progress | None = None,
    whole_table: bool = False,
    allow: Allow | None = None,
    after: After | None = None,
) -> LoadResult:
    """Check the file again and write its good rows in one transaction.

    With any row refused and ``accept_partial`` False, nothing is written. The
    store is left exactly as it was if anything fails on the way. A file that
    would write nothing leaves no entry in the import log. ``whole_table`` (trust
    shares only, as the app's editor saves them) makes the file the whole table:
    trusts it leaves out lose their shares. ``allow`` gets the places the good rows
    touch once they are checked, before any other outcome, and may raise to refuse the
    file; ``after`` runs in the same transaction once the rows are written.
    """
    tell = progress or (lambda fraction, text: None)
    tell(0.05, "Reading the file")
    store.refresh()  # servers sharing one state: first take the data others loaded
    with store.transaction() as session:
        if staged.kind == "sitrep":
            report, good = check_sitrep(session, staged)
        else:
            report, good = read_and_check(session, staged)
        tell(0.5, "Checking every row")
        places = touched_places(session, staged.kind, good, whole_table)
        if allow is not None and (places is None or places):
            allow(session, places)
        clash = _aggregates_clash(session, staged.kind, places)
        if clash:
            return LoadResult(None, 0, report, clash)
        if report.rows_rejected and not accept_partial:
            return LoadResult(
                None,
                0,
                report,
                f"Nothing loaded: {report.rows_rejected:,} "
                "row(s) refused. Fix them, or choose to load the good rows.",
            )
        if report.loaded_before and staged.kind in REPLACING:
            return LoadResult(
                None,
                0,
                report,
                "Nothing loaded: this is the same as the latest "
                f"{KINDS[staged.kind].label} loaded ({report.loaded_before}), so "
                "nothing would change.",
                up_to_date=True,
            )
        if report.loaded_before and staged.kind != "referrals":
            return LoadResult(
                None,
                0,
                report,
                f"Nothing loaded: this file was already loaded "
                f"({report.loaded_before}). Undo that import to load it again.",
            )
        empty = _nothing_to_write(report, good)
        if empty:
            return LoadResult(None, 0, report, empty, up_to_date=report.already_loaded > 0)
        import_id = int(_log(session, staged, report, loaded_by or os_user()))
        session.execute(
            "import_set_loader",
            import_id=import_id,
            loaded_by_email=loaded_by_email,
            place_codes=places_text(places),
        )
        tell(0.6, "Writing")
        if staged.kind == "referrals":
            loaded = _write_referrals(session, report, import_id)
            note = report.changes()
        else:
            loaded = _write_small(
                session, staged.kind, good, import_id, whole_table and staged.kind == "shares"
            )
            note = f"{report.already_loaded:,} already loaded" if report.already_loaded else ""
        session.execute("import_finish", import_id=import_id, rows_loaded=loaded, note=note)
        result = LoadResult(
            import_id,
            loaded,
            report,
            _loaded_message(staged.kind, import_id, loaded, report),
            places=places,
        )
        if after is not None:
            after(session, result)
    tell(1.0, "Done")
    return result


def _aggregates_clash(session: _Session, kind: str, places: Places) -> str | None:
    """Why referral records cannot load: a place they name has referral aggregates loaded
    (:mod:`capacity.ingest.aggregates`), which the records would count a second time."""
    if kind != "referrals" or not places:
        return None
    found = session.query("places_with_referral_aggregates", places=sorted(places))
    if found.empty:
        return None
    return (
        f"Nothing loaded: {found.iloc[0]['place_code']} has referral aggregates loaded, and "
        "its records would count twice: a place's referrals are either records or "
        "aggregates (undo the aggregates' import first)."
    )


def _write_referrals(session: _Session, report: Report, import_id: int) -> int:
    """Write the new referrals and the corrected ones, archiving what the corrections replace.

    Set-based throughout: each step is one statement over the staged file joined to the
    stored records by referral_id. The archive and the clean-up run only when the file
    corrects something, so a load of new records costs what it always did.
    """
    if report.updated:
        session.execute("referrals_archive_updated", import_id=import_id)
    loaded = int(session.execute("referrals_load", import_id=import_id)[0][0])
    if report.updated:
        session.execute("referrals_drop_replaced", import_id=import_id)
    recount_record_months(session, import_places(session, import_id))
    return loaded


def import_places(session: _Session, import_id: int) -> list[str]:
    """The places whose referral records import ``import_id`` wrote or replaced."""
    return session.query("referral_import_places", import_id=import_id)["place_code"].tolist()


def recount_record_months(session: _Session, places: list[str]) -> None:
    """Count the referral months of ``places`` again (the plan reads them, not the records)."""
    if places:
        session.execute("record_months_recount", places=places)


def _loaded_message(kind: str, import_id: int, loaded: int, report: Report) -> str:
    """What a load wrote, in words: for referrals, how many were new, updated and unchanged."""
    label = KINDS[kind].label if kind in KINDS else "SitRep discharge counts"
    message = f"Loaded {loaded:,} row(s) of {label} as import {import_id}"
    if kind == "referrals":
        message += f": {report.changes()}"
    elif report.already_loaded:
        message += f"; {report.already_loaded:,} were already in the store"
    if report.rows_rejected:
        message += f"; {report.rows_rejected:,} refused"
    return message + "."


UNDO = {
    "referrals": ("undo_referrals",),
    "counts": ("undo_monthly_demand",),
    "parameters": ("undo_service_parameters",),
    "shares": ("undo_trust_place_shares",),
    "sitrep": ("undo_sitrep_discharges",),
    "services": ("undo_services",),
    "destinations": ("undo_sitrep_destination_overrides",),
    "aggregates": ("undo_referral_aggregates",),
}


UndoAllow = Callable[[_Session, pd.Series], None]
"""Gets the import about to be undone (import_log's columns, with loaded_by_email and
place_codes) and raises to refuse."""
UndoAfter = Callable[[_Session, pd.Series, str], None]
"""Gets the import undone and the message, in the undo's transaction."""


def undo_last(
    store: Store, *, allow: UndoAllow | None = None, after: UndoAfter | None = None
) -> str:
    """Take the last import back out (restoring rows it replaced); say what was undone.

    ``allow`` gets the import before anything changes and may raise to refuse; ``after``
    gets the session, the import and the message, in the same transaction.
    """
    store.refresh()  # servers sharing one state: the last import may be another server's
    with store.transaction() as session:
        last = session.query("last_undoable_import")
        if last.empty:
            return "There is no import to undo (the demo data cannot be undone)."
        row = last.iloc[0]
        import_id = int(row["import_id"])
        loader = session.query("import_loader", import_id=import_id).iloc[0]
        row = pd.concat([row, loader[["loaded_by", "loaded_by_email", "place_codes"]]])
        if allow is not None:
            allow(session, row)
        take_out(session, import_id, row["kind"])
        session.execute("import_mark_undone", import_id=import_id)
        when = pd.Timestamp(row["loaded_at"]).strftime("%d %b %Y %H:%M")
        message = (
            f"Undid import {import_id}: {row['file_name']} ({row['kind']}, "
            f"{int(row['rows_loaded']):,} rows, loaded {when})."
        )
        if after is not None:
            after(session, row, message)
    return message


def take_out(session: _Session, import_id: int, kind: str) -> None:
    """Take import ``import_id``'s rows back out, restoring the rows it replaced, and count
    the referral months of the places it touched again (an undo here, or another server's
    undo repeated here)."""
    touched = import_places(session, import_id) if kind == "referrals" else []
    for statement in UNDO[kind]:
        session.execute(statement, import_id=import_id)
    recount_record_months(session, touched)


def import_log(store: Store) -> pd.DataFrame:
    """Every import, newest first."""
    return store.query("import_log")


def missing_imports(store: Store) -> list[str]:
    """Servers sharing one state: a line for each import in the shared log whose rows this
    server could not get (loaded elsewhere before the servers shared data); else none."""
    return [str(note) for note in store.query("bulky_missing")["note"]]
