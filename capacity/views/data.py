"""What the Data page lists and does: imports checked and loaded, the services catalogue,
parameters and shares for the editors, SitRep against local records, the import log and undo."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from capacity import audit, edit_stamps, ingest
from capacity.access import AccessDenied, User
from capacity.demand_settings import (
    DEMAND_SOURCES,
    GROWTH_METHODS,
    SettingError,
    read_settings,
    settings_table,
)
from capacity.edit_stamps import EditConflict, Stamp
from capacity.export import csv_bytes
from capacity.ingest import KINDS, ImportFileError, Report, Staged, stage_file
from capacity.ingest.files import discard, session_folder
from capacity.ingest.loading import EVERY_PLACE
from capacity.periods import Month, month_label
from capacity.sitrep import (
    compare_with_records,
    p3_reported_as_p3b,
    reporting_breaks,
)
from capacity.store import StoreError, _Session
from capacity.views._db import Database, reading, writing
from capacity.views.permissions import one_place, places_words, require, require_some

__all__ = [
    "AccessDenied",
    "DEMAND_SOURCES",
    "EditConflict",
    "Editing",
    "GROWTH_METHODS",
    "KINDS",
    "ImportFileError",
    "Report",
    "ServiceForm",
    "ServiceFormError",
    "SettingError",
    "SitrepView",
    "Stamp",
    "Staged",
    "StoreError",
    "check_file",
    "csv_bytes",
    "demand_settings",
    "demand_settings_editor",
    "destination_mapping",
    "destinations_editor",
    "discard",
    "import_log",
    "load_file",
    "new_service_stamp",
    "parameters_editor",
    "parameters_of",
    "retirement_months",
    "save_edited",
    "save_demand_settings",
    "service_file_rows",
    "service_rows",
    "service_stamp",
    "services_catalogue",
    "session_folder",
    "sitrep_view",
    "stage_file",
    "trust_shares",
    "trust_shares_editor",
    "undo_last_import",
]


def check_file(db: Database, staged: Staged) -> Report:
    """What loading a staged file would do, without loading it."""
    with reading(db) as store:
        return ingest.check(store, staged)


def load_file(
    db: Database,
    staged: Staged,
    *,
    user: User,
    action: str = "import",
    based_on: Stamp | None = None,
    **options,
) -> ingest.LoadResult:
    """Load a staged file as ``user`` (options as :func:`capacity.ingest.load` takes them).

    The places the file's good rows touch are checked against the user's grant before
    anything is written: AccessDenied names the places refused, and nothing loads. The
    import log names the user, and one audit entry (``action``: "import", or the kind of
    edit a page saved as a file, such as "parameters") records it in the same transaction.

    ``based_on``, the stamp an editor took of the rows it showed (of this file's kind),
    refuses the load with EditConflict if those rows read differently in the load's own
    transaction: someone saved them since, and this save would overwrite theirs unseen.
    None (the command line, a file upload) checks nothing.
    """
    require_some(user)
    if based_on is not None and based_on.editor != staged.kind:
        raise ValueError(
            f"a stamp of the {based_on.editor} editor cannot check a {staged.kind} file"
        )

    def allow(session: _Session, places: frozenset[str] | None) -> None:
        require(session, user, places)
        edit_stamps.refuse_if_changed(session, based_on)

    def after(session: _Session, result: ingest.LoadResult) -> None:
        audit.record(
            session,
            user,
            action,
            place_code=one_place(result.places),
            subject=staged.file_name,
            detail=f"{result.message} Places: {places_words(result.places)}.",
        )

    with writing(db) as store:
        return ingest.load(
            store,
            staged,
            loaded_by=user.label,
            loaded_by_email=user.email,
            allow=allow,
            after=after,
            **options,
        )


@dataclass(frozen=True)
class Editing:
    """An editor's rows as it shows them, and the stamp of the stored rows they came from
    (read together), to hand back when saving so a save over someone else's is refused."""

    rows: pd.DataFrame
    stamp: Stamp


def _editing(db: Database, editor: str, key: str | None = None) -> tuple[pd.DataFrame, Stamp]:
    """An editor's stored rows and their stamp, from one read."""
    with reading(db) as store:
        rows = edit_stamps.rows(store, editor, key)
    return rows, edit_stamps.stamp_of(rows, editor, key)


def parameters_editor(db: Database, service_id: str) -> Editing:
    """A service's parameter rows as the editor shows them (dates as dates), with their stamp."""
    rows, stamp = _editing(db, "parameters", service_id)
    rows["valid_from"] = pd.to_datetime(rows["valid_from"]).dt.date
    rows["valid_to"] = pd.to_datetime(rows["valid_to"]).dt.date
    return Editing(rows, stamp)


def parameters_of(db: Database, service_id: str) -> pd.DataFrame:
    """A service's parameter rows as the editor shows them, dates as dates."""
    return parameters_editor(db, service_id).rows


# -- the services catalogue -------------------------------------------------------

SERVICE_FILE_COLUMNS = [
    "service_id",
    "name",
    "provider",
    "service_type",
    "contract",
    "place_code",
    "place_share",
    "retired_from",
    "source_note",
]


class ServiceFormError(ValueError):
    """A service typed in the app that cannot be saved as it stands; the message says why."""


@dataclass(frozen=True)
class ServiceForm:
    """A service as a lead types it: its columns, and each place it serves with a share
    (None: no stated share). ``service_id`` may be blank for a new service."""

    service_id: str
    name: str
    provider: str
    service_type: str
    contract: str
    places: dict[str, float | None]
    source_note: str
    retired_from: str | None = None  # a month, 2025-10


def services_catalogue(db: Database) -> pd.DataFrame:
    """Every service with the places it serves and the month it was retired from (if it was)."""
    with reading(db) as store:
        services = store.query("services")
    retired = pd.to_datetime(services["retired_from"])
    return services.assign(
        retired_from=retired.dt.strftime("%Y-%m").astype(object).where(retired.notna(), None)
    )


def service_rows(db: Database, service_id: str) -> pd.DataFrame:
    """A stored service as the rows of a services file (one per place it serves), so the
    editor saves it through the same import as a file; the first row carries the service's
    own source note."""
    with reading(db) as store:
        services = store.query("services")
        links = store.query("service_links")
    service = services[services["service_id"] == service_id]
    if service.empty:
        raise ServiceFormError(f"There is no service {service_id!r}.")
    row = service.iloc[0]
    mine = links[links["service_id"] == service_id]
    retired = row["retired_from"]
    # The first row's note is the service's own (the import reads it so); the others keep
    # each place's note.
    notes = mine["source_note"].fillna(row["source_note"]).to_numpy(dtype=object)
    notes[:1] = row["source_note"]
    return pd.DataFrame(
        {
            "service_id": service_id,
            "name": row["name"],
            "provider": row["provider"],
            "service_type": row["service_type"],
            "contract": row["contract"],
            "place_code": mine["place_code"].to_numpy(),
            "place_share": mine["place_share"].to_numpy(),
            "retired_from": None if pd.isna(retired) else f"{pd.Timestamp(retired):%Y-%m}",
            "source_note": notes,
        },
        columns=SERVICE_FILE_COLUMNS,
    )


def service_stamp(db: Database, service_id: str) -> Stamp:
    """The stamp of a stored service as its form shows it (its row and its places)."""
    with reading(db) as store:
        return edit_stamps.stamp(store, "services", service_id)


def new_service_stamp(service_id: str) -> Stamp:
    """The stamp of a service not stored yet: adding it is refused if, by the time it
    saves, someone else has stored a service with the same id."""
    return Stamp("services", service_id, edit_stamps.NOTHING)


def _new_id(name: str, taken: set[str]) -> str:
    """An id made from a new service's name, not one already in use."""
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:56] or "service"
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}_{n}"
    return candidate


def service_file_rows(db: Database, form: ServiceForm, *, adding: bool) -> pd.DataFrame:
    """The rows of a services file for a service typed in the app (one per place).

    A new service with no id gets one made from its name. Raises ServiceFormError for a
    service with no place, or a new one whose id is already a service's (adding must
    never change another service). Every other check is the import's.
    """
    if not form.places:
        raise ServiceFormError("Choose at least one place the service serves.")
    with reading(db) as store:
        taken = set(store.query("services")["service_id"])
    service_id = form.service_id.strip()
    if adding and not service_id:
        service_id = _new_id(form.name, taken)
    elif adding and service_id in taken:
        raise ServiceFormError(
            f"There is already a service with the id {service_id}: choose it under "
            "Service to edit it, or give the new one another id."
        )
    return pd.DataFrame(
        [
            {
                "service_id": service_id,
                "name": form.name.strip(),
                "provider": form.provider.strip() or None,
                "service_type": form.service_type,
                "contract": form.contract,
                "place_code": place,
                "place_share": share,
                "retired_from": form.retired_from,
                "source_note": form.source_note.strip(),
            }
            for place, share in form.places.items()
        ],
        columns=SERVICE_FILE_COLUMNS,
    )


def retirement_months(today: date, back: int = 60, ahead: int = 36) -> dict[str, str]:
    """The months a service can be retired from (key: label), newest first, around today."""
    first = Month(today.year, today.month)
    keys = []
    for step in range(ahead, -back - 1, -1):
        index = first.year * 12 + first.month - 1 + step
        keys.append(Month(index // 12, index % 12 + 1).key)
    return {key: month_label(key) for key in keys}


def demand_settings_editor(db: Database) -> Editing:
    """The demand window, growth and source per place and service type, as the editor shows
    them (growth rate as a percentage; blank place or type means every one; blank source:
    chosen by the product), with their stamp."""
    rows, stamp = _editing(db, "demand_settings")
    return Editing(rows.assign(growth_rate=rows["growth_rate"].astype(float) * 100), stamp)


def demand_settings(db: Database) -> pd.DataFrame:
    """The demand settings as the editor shows them (see :func:`demand_settings_editor`)."""
    return demand_settings_editor(db).rows


def save_demand_settings(
    db: Database, edited: pd.DataFrame, *, user: User, based_on: Stamp | None = None
) -> int:
    """Replace the demand settings with an editor's rows (growth rate as a percentage).

    Every row is checked first (window 1–3, a known method, a rate above −100% and at most
    +100% for the flat method only, known places and types, no key twice); a bad row raises
    SettingError naming it and nothing is saved. The places whose settings change (every
    place, for a row of no one place) must be the user's, else AccessDenied. Returns the
    number of rows saved; one audit entry records the change. ``based_on`` (the editor's
    stamp, :func:`demand_settings_editor`) refuses the save with EditConflict, saving
    nothing, if someone saved the settings since; None checks nothing.
    """
    require_some(user)
    rows = edited.dropna(how="all").copy()
    rate = pd.to_numeric(rows["growth_rate"], errors="coerce") / 100
    bad = rows["growth_rate"].notna() & rate.isna() & rows["growth_rate"].astype(str).ne("")
    if bad.any():
        raise SettingError(
            f"Demand setting row {int(bad.to_numpy().argmax()) + 1}: the growth "
            f"rate {rows['growth_rate'][bad].iloc[0]!r} is not a number"
        )
    rows["growth_rate"] = rate
    with writing(db) as store:
        places = store.query("places")
        types = store.query("service_types")
        settings = read_settings(
            rows,
            set(places.loc[places["kind"] != "system", "place_code"]),
            set(types["service_type"]),
        )
        table = settings_table(settings)
        changed = _changed_setting_places(store.query("demand_settings"), table)
        require(store, user, changed)
        with store.transaction() as tx:
            edit_stamps.refuse_if_changed(tx, based_on)
            tx.execute("delete_demand_settings")
            tx.insert_frame("demand_settings", table)
            audit.record(
                tx,
                user,
                "demand_settings",
                place_code=one_place(changed),
                subject="demand settings",
                detail=f"{len(table)} setting row(s) saved; changed for {places_words(changed)}.",
            )
    return len(settings)


def _changed_setting_places(old: pd.DataFrame, new: pd.DataFrame) -> frozenset[str] | None:
    """The places whose demand settings differ between ``old`` and ``new`` (None: a row for
    every place changed, so every place is affected)."""

    def keyed(frame: pd.DataFrame) -> dict[tuple, tuple]:
        clean = frame.astype(object).where(frame.notna(), None)
        return {
            (r["place_code"], r["service_type"]): (
                int(r["window_years"]),
                r["growth_method"],
                None if r["growth_rate"] is None else round(float(r["growth_rate"]), 12),
                r["demand_source"],
            )
            for r in clean.to_dict("records")
        }

    before, after = keyed(old), keyed(new)
    keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    places = {place for place, _ in keys}
    return None if None in places else frozenset(str(p) for p in places)


def destinations_editor(db: Database, place_code: str) -> Editing:
    """A place's SitRep destination → service type mapping as the editor shows it: every
    destination of Table 4, the service type it feeds there (blank: not demand), and whether
    that comes from the reference data or the place's own override; with its stamp."""
    return Editing(*_editing(db, "destinations", place_code))


def destination_mapping(db: Database, place_code: str) -> pd.DataFrame:
    """A place's SitRep destination mapping (see :func:`destinations_editor`)."""
    return destinations_editor(db, place_code).rows


def trust_shares_editor(db: Database) -> Editing:
    """Every trust's share of discharges by place of residence, with the table's stamp."""
    return Editing(*_editing(db, "shares"))


def trust_shares(db: Database) -> pd.DataFrame:
    """Every trust's share of discharges by place of residence."""
    return trust_shares_editor(db).rows


@dataclass(frozen=True)
class SitrepView:
    """SitRep months loaded, their comparison with local records, and likely reporting breaks."""

    months: pd.DataFrame
    compared: pd.DataFrame
    breaks: pd.DataFrame
    # trust months with no new P3 admissions beside a large P3b (capacity.sitrep)
    p3_as_p3b: pd.DataFrame


def sitrep_view(db: Database, codes: list[str]) -> SitrepView | None:
    """SitRep against local records for some places (None when no SitRep is loaded).

    ``difference`` in the comparison is a percentage (the store keeps a fraction).
    """
    with reading(db) as store:
        months = store.query("sitrep_months")
        if months.empty:
            return None
        compared = compare_with_records(store, codes)
        breaks = reporting_breaks(store)
        p3 = p3_reported_as_p3b(store)
    compared = compared.assign(
        month=compared["month"].dt.strftime("%Y-%m"), difference=compared["difference"] * 100
    )
    return SitrepView(months, compared, breaks, p3)


def import_log(db: Database) -> pd.DataFrame:
    """Every import, newest first."""
    with reading(db) as store:
        return ingest.import_log(store)


def missing_imports(db: Database) -> list[str]:
    """Servers sharing one state: why each import in the shared log whose rows this server
    could not get is missing here (none on a laptop)."""
    with reading(db) as store:
        return ingest.missing_imports(store)


def undo_last_import(db: Database, *, user: User) -> str:
    """Take the last import back out as ``user``; the message says what was undone.

    An editor may undo only their own load (the same e-mail; without sign-in, the same
    name), an admin anyone's: AccessDenied says who loaded it. One audit entry records it.
    """
    require_some(user)

    def allow(session: _Session, row: pd.Series) -> None:
        if user.is_admin or _loaded_by(row, user):
            return
        raise AccessDenied(
            f"Import {int(row['import_id'])} ({row['file_name']}) was loaded by "
            f"{row['loaded_by']}: only they or an admin may undo it."
        )

    def after(session: _Session, row: pd.Series, message: str) -> None:
        places = _logged_places(row["place_codes"])
        audit.record(
            session,
            user,
            "undo",
            place_code=one_place(places),
            subject=f"import {int(row['import_id'])}: {row['file_name']}",
            detail=f"{message} Loaded by {row['loaded_by']}; places: {places_words(places)}.",
        )

    with writing(db) as store:
        return ingest.undo_last(store, allow=allow, after=after)


def _loaded_by(row: pd.Series, user: User) -> bool:
    """Whether ``user`` loaded the import in ``row`` (by e-mail, or by name without one)."""
    email = str(row.get("loaded_by_email") or "").strip().lower()
    if email or user.email:
        return email == user.email.strip().lower()
    return str(row["loaded_by"]) == user.name


def _logged_places(text: object) -> frozenset[str] | None:
    """The import log's place_codes as a set (None: every place, or not known)."""
    if text is None or text != text or text == EVERY_PLACE:
        return None
    return frozenset(code for code in str(text).split(",") if code)


EDIT_ACTIONS = {"parameters": "parameters", "services": "services", "shares": "shares"}
"""The audit trail's kind of change for an editor's rows saved as a file of each kind."""


def save_edited(
    db: Database,
    frame: pd.DataFrame,
    kind: str,
    file_name: str,
    *,
    workdir: Path,
    user: User,
    whole_table: bool = False,
    based_on: Stamp | None = None,
) -> ingest.LoadResult:
    """Save an editor's rows as ``user`` through the import of ``kind``: checked, logged
    and undoable as a file of that kind would be (see :func:`load_file`, which ``based_on``
    and ``whole_table`` go to). The rows pass through a file in ``workdir``, removed after.
    """
    written = write_edits(frame, workdir, file_name)
    try:
        staged = stage_file(written, kind, workdir=workdir, file_name=file_name)
        try:
            return load_file(
                db,
                staged,
                user=user,
                action=EDIT_ACTIONS.get(kind, "import"),
                whole_table=whole_table,
                based_on=based_on,
            )
        finally:
            discard(staged.path)
    finally:
        discard(written)


def write_edits(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """An editor's rows as a CSV file to import."""
    path = folder / name
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path
