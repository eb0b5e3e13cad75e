"""Data: load files (checked, all or nothing), the services catalogue, edit parameters and
trust shares, undo, log."""

from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from capacity import config
from capacity.display import (
    METHOD_KEYS,
    column_labels,
    import_kind,
    method_label,
    named,
    plural,
    rounded,
)
from capacity.views import data, permissions
from capacity.views.data import KINDS, AccessDenied, ImportFileError, StoreError, csv_bytes
from capacity.views.places import services_serving
from capacity.views.workspace import is_empty, own_places
from pages import _state
from pages._common import (
    choice_param,
    current_user,
    current_view,
    places_table,
    service_types_table,
    services_table,
    setup_steps,
)
from pages._style import figure_column, months_as_labels, show_notices
from pages._workforce import assumptions_section

LABELS = {
    "referrals": "Referral records",
    "parameters": "Service parameters",
    "counts": "Monthly demand counts",
    "shares": "Trust-to-place shares",
    "services": "Services and the places they serve",
    "sitrep": "NHS England discharge SitRep (Table 4)",
    "destinations": "SitRep destination mapping",
}
NEW_SERVICE = "__new__"

view = current_view()
kind_param = choice_param("kind", "data_kind", LABELS, "referrals")
_state.bind(kind_param)
show_notices()
st.session_state.setdefault("data_upload_round", 0)
st.session_state.setdefault("data_message", None)
place_names = dict(zip(view.places["place_code"], view.places["name"], strict=True))
# One folder for this session's uploads, made once (and again if a sweep took it); each
# upload is removed once read, whatever came of it.
workdir = data.session_folder(current=st.session_state.get("data_workdir"))
st.session_state["data_workdir"] = str(workdir)
user = current_user()
# What this person may do here: the functions refuse anyway; the page shows only what works.
viewer_note = permissions.viewer_note(user)
can_load = viewer_note is None
here_refusal = None if viewer_note else permissions.refusal(view.path, user, view.members)
can_edit_here = can_load and here_refusal is None
can_edit_all = can_load and permissions.refusal(view.path, user, None) is None


def column_help(kind: str) -> str:
    if kind == "sitrep":
        return (
            "The monthly Acute Daily Discharge SitRep workbook as published (.xlsx). Table 4 "
            "is read: discharges by intended destination for England, regions, ICBs and "
            "trusts. A month loaded again replaces the earlier figures for that month."
        )
    spec = KINDS[kind]
    # The headers a file must have, as code: they are the file's words, not the page's.
    required = ", ".join(f"`{c}`" for c in spec.required)
    optional = ", ".join(f"`{c}`" for c in spec.optional)
    text = (
        f"Required columns: {required}. Optional: {optional}. Column names may differ in "
        "case and spacing. Dates as "
        "2025-04-01 or 01/04/2025; decimals with a point (12.5), or a comma (12,5) in a file "
        "separated by semicolons; UTF-8, UTF-16 or Windows-1252 text, or the first sheet of an "
        ".xlsx workbook."
    )
    extra = {
        "referrals": " Each month's extract may overlap the last: a referral already stored "
        "(by id) exactly as in the file is left unchanged, and one whose fields changed (an end "
        "date filled in, a service corrected) updates the stored record, never duplicates it. "
        "Undo puts the old record back.",
        "parameters": " The file replaces every parameter row of the services it names (the "
        "earlier rows are kept for undo); if any row of a service is refused, "
        "none of that service's rows load.",
        "counts": " A count replaces any stored count for the same place, service type, "
        "service, source and month. The same file cannot be loaded twice.",
        "shares": " Each row: the share of a trust's discharges who live in a place. A trust's "
        "shares replace its earlier ones and add up to at most 1.",
        "services": " One row per service and place it serves (a place code or name); a "
        "service's name, provider, type, contract and `retired_from` month repeat on each of "
        "its rows. Place shares: for every place of a service or for none, adding up to 1. "
        "A service already stored is replaced with the file's rows (Undo puts it back); its "
        "type cannot change.",
        "destinations": " Each row: a place, a SitRep destination as Table 4 heads it, and the "
        "service type it feeds at that place (blank: not demand there). The file replaces "
        "the mapping of the places it names; other destinations follow the reference data.",
    }
    return text + extra[kind]


def reset_upload() -> None:
    st.session_state["data_upload_round"] += 1


def show_report(report: data.Report) -> None:
    if report.kind == "referrals":
        read, good, refused, new, updated, unchanged = st.columns(6)
        new.metric("New", f"{report.rows_new:,}")
        updated.metric("Updated", f"{report.updated:,}")
        unchanged.metric("Unchanged", f"{report.already_loaded:,}")
    else:
        read, good, refused, already = st.columns(4)
        already.metric("Already loaded", f"{report.already_loaded:,}")
    read.metric("Rows read", f"{report.rows_read:,}")
    good.metric("Good", f"{report.rows_valid:,}")
    refused.metric("Refused", f"{report.rows_rejected:,}")
    for note in report.notes:
        st.caption(note)
    if report.loaded_before:
        st.warning(f"This file was loaded before ({report.loaded_before}).")
    if report.problems_total:
        st.warning(
            f"{report.problems_total:,} problem(s) in {report.rows_rejected:,} row(s). "
            "Each is listed with its row number as a spreadsheet shows it (the header "
            "is row 1)."
        )
        st.dataframe(
            report.problems,
            hide_index=True,
            width="stretch",
            column_config={
                "row": st.column_config.NumberColumn("Row", format="%d"),
                "column": "Column",
                "value": "Value",
                "reason": "Reason",
            },
        )
        st.download_button(
            "Download the problems (CSV)",
            csv_bytes(report.problems),
            file_name=f"problems-{report.file_name}.csv",
            mime="text/csv",
            key="data_problems_download",
        )
    with st.expander("First rows of the file"):
        st.dataframe(report.preview, hide_index=True, width="stretch")


def run_load(staged: data.Staged, accept_partial: bool) -> None:
    bar = st.progress(0.0, text="Loading…")
    try:
        result = data.load_file(
            view.path,
            staged,
            user=user,
            accept_partial=accept_partial,
            progress=lambda f, text: bar.progress(f, text=text),
        )
    except AccessDenied as exc:
        st.session_state["data_message"] = ("denied", f"Nothing loaded: {exc}")
    except (ImportFileError, StoreError) as exc:
        st.session_state["data_message"] = ("error", f"Nothing loaded: {exc}")
    else:
        kind = "success" if result.import_id is not None else "error"
        st.session_state["data_message"] = (kind, result.message)
        if result.import_id is not None:
            reset_upload()
    st.rerun()


def upload_section(kind: str) -> None:
    st.markdown(column_help(kind))
    types = ["xlsx"] if kind == "sitrep" else ["csv", "xlsx", "txt"]
    upload = st.file_uploader(
        f"{LABELS[kind]} file",
        type=types,
        key=f"data_upload_{kind}_{st.session_state['data_upload_round']}",
        help=f"Up to {config.MAX_UPLOAD_MB} MB here; larger files load with the command line.",
    )
    if upload is None:
        return
    path = workdir / f"upload-{upload.file_id}"
    path.write_bytes(upload.getvalue())
    read: list[Path] = [path]
    try:
        check_upload(upload.name, path, kind, read)
    finally:
        data.discard(*read)


def check_upload(name: str, path: Path, kind: str, read: list[Path]) -> None:
    """Stage and check an upload, show the report, and offer to load it; ``read`` gets the
    staged copy so the caller can remove it."""
    try:
        staged = data.stage_file(
            path,
            kind,
            workdir=workdir,
            file_name=name,
            max_bytes=config.MAX_UPLOAD_MB * 1_000_000,
        )
        read.append(staged.path)
        report = data.check_file(view.path, staged)
    except ImportFileError as exc:
        st.warning(f"Nothing can be loaded from {name}: {exc}")
        return
    show_report(report)
    if report.rows_read == 0:
        st.info(f"{name} has a header but no rows of data: nothing to load.")
    elif report.rows_to_write == 0 and report.already_loaded:
        st.info(
            f"All {report.already_loaded:,} good row(s) of {name} are already in the "
            "store, unchanged: nothing to load."
        )
    elif report.rows_rejected:
        left, right = st.columns(2)
        if left.button(
            f"Load the {report.rows_to_write:,} good rows",
            key="data_load_partial",
            disabled=report.rows_to_write == 0,
        ):
            run_load(staged, accept_partial=True)
        if right.button("Load nothing", key="data_load_nothing"):
            reset_upload()
            st.session_state["data_message"] = ("info", f"Nothing loaded from {name}.")
            st.rerun()
    elif st.button(f"Load {report.rows_to_write:,} rows", type="primary", key="data_load"):
        run_load(staged, accept_partial=False)


def save_edits(
    frame: pd.DataFrame,
    kind: str,
    name: str,
    whole_table: bool = False,
    based_on: data.Stamp | None = None,
) -> bool:
    """Save an editor's rows through the import of ``kind``; say how it went. True if saved."""
    try:
        result = data.save_edited(
            view.path,
            frame,
            kind,
            name,
            workdir=workdir,
            user=user,
            whole_table=whole_table,
            based_on=based_on,
        )
    except AccessDenied as exc:
        st.session_state["data_message"] = ("denied", f"Not saved: {exc}")
        return False
    except data.EditConflict as exc:
        st.session_state["data_message"] = ("error", f"Not saved: {exc}")
        # The service form keeps what was typed in it: drawn afresh, it shows the other change.
        st.session_state["data_svc_round"] = st.session_state.get("data_svc_round", 0) + 1
        return False
    except (ImportFileError, StoreError) as exc:
        st.session_state["data_message"] = ("error", f"Not saved: {exc}")
        return False
    if result.up_to_date:
        st.session_state["data_message"] = ("info", "Nothing to save: no change.")
    elif result.import_id is None:
        problems = "; ".join(
            f"row {r.row - 1}, {r.column}: {r.reason}" for r in result.report.problems.itertuples()
        )
        st.session_state["data_message"] = ("error", f"Not saved: {problems or result.message}")
    else:
        st.session_state["data_message"] = (
            "success",
            f"Saved: {result.message} Undo it below if it was a mistake.",
        )
    return result.import_id is not None


def opened(editor_key: str, fresh: data.Editing) -> data.Editing:
    """The rows and stamp an editor shows: as they were when it was opened while the
    person's edits to it are pending (so the edits stay on the rows they were made to, and
    saving them over someone else's later save is refused), else as stored now."""
    held = f"{editor_key}_opened"
    edits = st.session_state.get(editor_key) or {}
    pending = any(edits.get(part) for part in ("edited_rows", "added_rows", "deleted_rows"))
    if pending and held in st.session_state:
        return st.session_state[held]
    st.session_state[held] = fresh
    return fresh


def saved_editor(editor_key: str) -> None:
    """After a save, refused or not: forget the rows the editor was opened with and its
    edits, so it shows the rows as stored now."""
    st.session_state.pop(f"{editor_key}_opened", None)
    st.session_state.pop(editor_key, None)


def form_stamp(form_key: str, fresh: data.Stamp) -> data.Stamp:
    """The stamp of the rows a form showed when first drawn (kept until it saves)."""
    return st.session_state.setdefault(f"{form_key}_opened", fresh)


def service_choice() -> str:
    """The service being edited (or NEW_SERVICE), from those serving this place."""
    services = data.services_catalogue(view.path)
    ours = services_serving(services, view.members)
    pending = st.session_state.pop("data_svc_pending", None)
    options = [NEW_SERVICE, *ours["service_id"]]
    if pending in options:
        st.session_state["data_svc_choice"] = pending
    names = dict(zip(services["service_id"], services["name"], strict=True))
    retired = dict(zip(services["service_id"], services["retired_from"], strict=True))

    def label(sid: str) -> str:
        if sid == NEW_SERVICE:
            return "Add a new service"
        return names[sid] + (f" (retired from {retired[sid]})" if retired.get(sid) else "")

    return st.selectbox("Service", options, format_func=label, key="data_svc_choice")


def service_form(choice: str) -> data.ServiceForm:
    """The service's fields as widgets, filled with what is stored (blank for a new one)."""
    adding = choice == NEW_SERVICE
    stored = None if adding else data.service_rows(view.path, choice)
    first = None if stored is None or stored.empty else stored.iloc[0]
    types = service_types_table(view.data_key)
    type_names = dict(zip(types["service_type"], types["name"], strict=True))
    hwbs = [
        c
        for c, k in zip(view.places["place_code"], view.places["kind"], strict=True)
        if k != "system"
    ]

    def stored_value(column: str, default: str = "") -> str:
        value = None if first is None else first[column]
        return default if value is None or value != value else str(value)

    # A new round (after a refused save) is a new form, filled with what is stored now.
    round_ = st.session_state.get("data_svc_round", 0)
    key = f"data_svc_{choice}" + (f"_r{round_}" if round_ else "")
    left, right = st.columns(2)
    name = left.text_input("Name", stored_value("name"), key=f"{key}_name")
    service_id = right.text_input(
        "Id (a short code; left blank, one is made from the name)",
        stored_value("service_id"),
        key=f"{key}_id",
        disabled=not adding,
    )
    provider = left.text_input("Provider", stored_value("provider"), key=f"{key}_provider")
    type_options = list(types["service_type"])
    service_type = right.selectbox(
        "Service type",
        type_options,
        index=type_options.index(stored_value("service_type", type_options[0])),
        format_func=type_names.get,
        key=f"{key}_type",
        disabled=not adding,
        help="A service's type cannot change: retire it and add a new service instead.",
    )
    contract = left.selectbox(
        "Contract",
        ["block", "spot"],
        index=["block", "spot"].index(stored_value("contract", "block")),
        key=f"{key}_contract",
    )
    served = [] if stored is None else list(stored["place_code"])
    places = right.multiselect(
        "Places it serves",
        hwbs,
        default=[p for p in served if p in hwbs] or ([] if not adding else view.members[:1]),
        format_func=place_names.get,
        key=f"{key}_places",
    )
    shares = (
        {}
        if stored is None
        else dict(zip(stored["place_code"], stored["place_share"], strict=True))
    )
    stated: dict[str, float | None] = {}
    if len(places) > 1:
        st.caption(
            "Shares of the service's capacity: for every place or for none (then shared by "
            "use, or by population aged 65+), adding up to 1."
        )
        columns = st.columns(min(len(places), 4))
        for n, place in enumerate(places):
            share = shares.get(place)
            stated[place] = columns[n % len(columns)].number_input(
                f"Share for {place_names.get(place, place)}",
                min_value=0.0,
                max_value=1.0,
                value=None if share is None or share != share else float(share),
                step=0.05,
                key=f"{key}_share_{place}",
            )
    else:
        stated = {place: None for place in places}
    note = st.text_area(
        "Source note (where these facts come from)",
        stored_value("source_note"),
        key=f"{key}_note",
    )
    retired = stored_value("retired_from") or None
    return data.ServiceForm(
        service_id, name, provider, service_type, contract, stated, note, retired
    )


def save_service(
    form: data.ServiceForm, adding: bool, retired_from: str | None, based_on: data.Stamp
) -> None:
    st.session_state.pop(f"data_svc_{based_on.key}_opened", None)
    try:
        rows = data.service_file_rows(view.path, form, adding=adding)
    except data.ServiceFormError as exc:
        st.session_state["data_message"] = ("error", f"Not saved: {exc}")
        return
    rows = rows.assign(retired_from=retired_from)
    sid = rows["service_id"].iloc[0]
    if adding:
        based_on = data.new_service_stamp(sid)
    if save_edits(rows, "services", f"service {sid} edited in the app.csv", based_on=based_on):
        st.session_state["data_svc_pending"] = sid


def retire_controls(choice: str, form: data.ServiceForm, based_on: data.Stamp) -> None:
    """Retire the service from a month, or bring a retired one back."""
    if form.retired_from:
        st.caption(
            f"Retired from {form.retired_from}: plans give it no capacity from that month. "
            "Its parameters and referrals are kept."
        )
        if st.button("Bring back into service", key="data_svc_unretire"):
            save_service(form, False, None, based_on)
            st.rerun()
        return
    today = date.today()
    months = data.retirement_months(today)
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    month = left.selectbox(
        "Retire from (the first month with no capacity)",
        list(months),
        index=list(months).index(f"{today:%Y-%m}"),
        format_func=months.get,
        key=f"data_svc_retire_month_{choice}",
    )
    if right.button("Retire the service", key="data_svc_retire"):
        save_service(form, False, month, based_on)
        st.rerun()


def services_section() -> None:
    """Add a service, edit one, or retire one: saved through the services import."""
    choice = service_choice()
    adding = choice == NEW_SERVICE
    based_on = (
        data.new_service_stamp(choice)
        if adding
        else form_stamp(f"data_svc_{choice}", data.service_stamp(view.path, choice))
    )
    form = service_form(choice)
    st.caption(
        "Saving checks the service as an import of a services file does (logged; Undo puts "
        "the catalogue back). Add its parameters below once it is saved."
    )
    if st.button("Add the service" if adding else "Save the service", key="data_svc_save"):
        save_service(form, adding, form.retired_from, based_on)
        st.rerun()
    if not adding:
        retire_controls(choice, form, based_on)


def parameters_section() -> None:
    services = services_table(view.data_key)
    names = dict(zip(services["service_id"], services["name"], strict=True))
    ours = services_serving(services, view.members)
    if ours.empty:
        st.caption("No services serve this place.")
        return
    service = st.selectbox(
        "Service", list(ours["service_id"]), format_func=names.get, key="data_param_service"
    )
    editor_key = f"data_param_editor_{service}"
    shown = opened(editor_key, data.parameters_editor(view.path, service))
    rows = shown.rows
    labels = column_labels(rows.columns)
    # Labels on screen, columns underneath: the editor hands back the store's column names,
    # so a save writes each figure to its own column.
    settings = dict(labels) | {
        "place_code": st.column_config.SelectboxColumn(
            labels["place_code"],
            options=list(view.places["place_code"]),
            format_func=place_names.get,
            width="medium",
        ),
        "method": st.column_config.SelectboxColumn(
            labels["method"], options=list(METHOD_KEYS), format_func=method_label, required=True
        ),
    }
    if not can_edit_here:
        st.dataframe(rows, hide_index=True, width="stretch", column_config=labels)
        return
    # The service is the one chosen above (saving sets it on every row), so it is not a column.
    edited = st.data_editor(
        rows.reset_index(drop=True),
        num_rows="dynamic",
        hide_index=True,
        key=editor_key,
        width="stretch",
        column_config=settings,
        placeholder="",
        column_order=[c for c in rows.columns if c != "service_id"],
    )
    st.caption(
        "Saving checks every row as an import does, replaces this service's parameters "
        "and keeps the earlier ones, so Undo puts them back."
    )
    if st.button("Save parameters", key="data_param_save"):
        save_edits(
            edited.assign(service_id=service),
            "parameters",
            f"parameters of {service} edited in the app.csv",
            based_on=shown.stamp,
        )
        saved_editor(editor_key)
        st.rerun()


def demand_settings_section() -> None:
    """The demand window and growth per service type (and place): a small table a lead edits."""
    places = places_table(view.data_key)
    types = service_types_table(view.data_key)
    shown = opened("data_demand_editor", data.demand_settings_editor(view.path))
    rows = shown.rows
    methods = "; ".join(data.GROWTH_METHODS.values())
    st.caption(
        "How demand is projected, per service type and, where it differs, per place: the "
        "years of history to average (1–3) and the growth to the planning year. A blank place "
        "or service type means every one; the most specific row wins; with no row, 3 years and "
        f"no growth. Growth methods: {methods}. The growth rate (% a year) is for the flat "
        "method only. Demand comes from local referral records where they cover every "
        "calendar month of the window, else published monthly counts, else the NHS England "
        "discharge SitRep (each trust's discharges × the place's share): name a source to "
        "choose it instead. Plans everywhere in the app use these; see the Methodology page."
    )
    if not can_load:
        st.dataframe(rows, hide_index=True, width="stretch")
        return
    edited = st.data_editor(
        rows,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key="data_demand_editor",
        column_config={
            "place_code": st.column_config.SelectboxColumn(
                "Place (blank: every place)",
                options=list(places.loc[places["kind"] != "system", "place_code"]),
                format_func=place_names.get,
            ),
            "service_type": st.column_config.SelectboxColumn(
                "Service type (blank: every type)",
                options=list(types["service_type"]),
                format_func=dict(zip(types["service_type"], types["name"], strict=True)).get,
            ),
            "window_years": st.column_config.SelectboxColumn(
                "Years of history", options=[1, 2, 3], required=True, default=3
            ),
            "growth_method": st.column_config.SelectboxColumn(
                "Growth method",
                options=list(data.GROWTH_METHODS),
                format_func=data.GROWTH_METHODS.get,
                required=True,
                default="flat",
            ),
            "growth_rate": st.column_config.NumberColumn(
                "Growth (% a year, flat only)", format="%.1f%%"
            ),
            "demand_source": st.column_config.SelectboxColumn(
                "Demand from (blank: chosen for you)",
                options=list(data.DEMAND_SOURCES),
                format_func=data.DEMAND_SOURCES.get,
            ),
        },
    )
    if st.button("Save demand settings", key="data_demand_save"):
        try:
            saved = data.save_demand_settings(view.path, edited, user=user, based_on=shown.stamp)
        except AccessDenied as exc:
            st.session_state["data_message"] = ("denied", f"Not saved: {exc}")
        except (data.SettingError, StoreError, data.EditConflict) as exc:
            st.session_state["data_message"] = ("error", f"Not saved: {exc}")
        else:
            st.session_state["data_message"] = ("success", f"Saved {saved} demand setting(s).")
        saved_editor("data_demand_editor")
        st.rerun()


def shares_section() -> None:
    shown = opened("data_shares_editor", data.trust_shares_editor(view.path))
    shares = shown.rows
    labels = column_labels(shares.columns)
    if not can_edit_all:
        st.dataframe(shares, hide_index=True, width="stretch", column_config=labels)
        if can_load:
            st.caption("Shares are every place's: only an editor of every place may change them.")
        return
    edited = st.data_editor(
        shares,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key="data_shares_editor",
        placeholder="",
        column_config={
            **labels,
            "place_code": st.column_config.SelectboxColumn(
                labels["place_code"],
                options=list(view.places["place_code"]),
                format_func=place_names.get,
            ),
            "share": st.column_config.NumberColumn(
                labels["share"], min_value=0.0, max_value=1.0, step=0.01
            ),
        },
    )
    if st.button("Save shares", key="data_shares_save"):
        save_edits(
            edited,
            "shares",
            "trust shares edited in the app.csv",
            whole_table=True,
            based_on=shown.stamp,
        )
        saved_editor("data_shares_editor")
        st.rerun()


NOT_DEMAND = "Not demand here"


def destinations_section() -> None:
    """The place's reading of SitRep destinations: which service type each one feeds."""
    if view.members != [view.place]:
        st.caption("Choose one place (not a system) to see and edit its mapping.")
        return
    types = service_types_table(view.data_key)
    type_names = dict(zip(types["service_type"], types["name"], strict=True))
    # The grid shows and edits service types by name (a blank cell would be drawn as "None");
    # saving turns the names back into codes, and "not demand here" into a blank.
    hospital = list(types.loc[types["hospital"].astype(bool), "service_type"])
    codes_by_name = {type_names[code]: code for code in hospital}
    editor_key = f"data_destinations_editor_{view.place}"
    shown = opened(editor_key, data.destinations_editor(view.path, view.place))
    mapping = shown.rows.assign(
        service_type=shown.rows["service_type"].map(type_names).fillna(NOT_DEMAND)
    )
    st.caption(
        "How SitRep discharges count as demand here: each destination feeds one service type, "
        "or none. Change a row (for example, P3 new admissions going straight to long-term "
        "care here, not to short-term P3 beds) and save: the place's whole mapping is stored, "
        "checked as an import, and Undo puts the earlier one back."
    )
    if not can_edit_here:
        st.dataframe(mapping, hide_index=True, width="stretch")
        return
    edited = st.data_editor(
        mapping,
        hide_index=True,
        width="stretch",
        key=editor_key,
        disabled=["place_code", "destination", "mapped_by"],
        column_order=["destination", "service_type", "mapped_by"],
        column_config={
            "destination": "Destination (Table 4)",
            "service_type": st.column_config.SelectboxColumn(
                "Feeds service type",
                options=[NOT_DEMAND, *codes_by_name],
                required=True,
            ),
            "mapped_by": "Mapped by",
        },
    )
    if st.button("Save the mapping", key="data_destinations_save"):
        save_edits(
            edited.drop(columns="mapped_by").assign(
                service_type=edited["service_type"].map(codes_by_name),
                source_note="edited in the app",
            ),
            "destinations",
            f"SitRep destinations of {view.place} edited in the app.csv",
            based_on=shown.stamp,
        )
        saved_editor(editor_key)
        st.rerun()


def month_table(frame: pd.DataFrame) -> None:
    """A table of trust months, its month as 'Nov 2022' and its columns in words."""
    shown = frame.assign(month=pd.to_datetime(frame["month"]).dt.strftime("%b %Y"))
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config=column_labels(shown.columns),
    )


def sitrep_section() -> None:
    sitrep = data.sitrep_view(view.path, view.members)
    if sitrep is None:
        st.caption("No SitRep workbooks loaded yet.")
        return
    months, compared, breaks = sitrep.months, sitrep.compared, sitrep.breaks
    first, last = months["month"].min(), months["month"].max()
    span = f"{first:%b %Y}" if first == last else f"{first:%b %Y} to {last:%b %Y}"
    st.caption(
        f"{plural(len(months), 'month')} loaded, {span}. Each trust's discharges count "
        "towards a place by its share; flags mark months where SitRep and local records "
        "differ by more than 25%."
    )
    types = service_types_table(view.data_key)
    # SitRep people a month whole like the records beside them; a difference under half a
    # percent is 0%, never "-0%".
    shown = rounded(
        months_as_labels(compared, "month"), {"sitrep": 0, "records": 0, "difference": 0}
    ).assign(
        place_code=named(compared["place_code"], place_names),
        service_type=named(
            compared["service_type"], dict(zip(types["service_type"], types["name"], strict=True))
        ),
    )
    columns = ["place_code", "service_type", "month", "sitrep", "records", "difference", "flag"]
    labels = column_labels(columns)
    st.dataframe(
        shown[columns],
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config={
            **labels,
            "sitrep": figure_column(labels["sitrep"], 0),
            "records": figure_column(labels["records"], 0),
            "difference": st.column_config.NumberColumn(labels["difference"], format="%+.0f%%"),
        },
    )
    p3 = sitrep.p3_as_p3b
    if not p3.empty:
        with st.expander(
            f"{len(p3)} trust months with no new P3 care home admissions beside 20 or more "
            "P3b (back to their own care home): new admissions are likely filed as P3b, so "
            "SitRep demand for short-term P3 beds from these trusts is too low"
        ):
            month_table(p3)
    if not breaks.empty:
        with st.expander(
            f"{plural(len(breaks), 'likely reporting break')} (a trust's count ten times "
            "the month before, or a tenth of it; judged only against the month before, "
            "never an older month)"
        ):
            month_table(breaks)


def log_section() -> None:
    for note in data.missing_imports(view.path):  # several servers sharing one state only
        st.warning(note)
    log = data.import_log(view.path).drop(columns=["checksum"])
    log = log.assign(kind=log["kind"].map(import_kind))
    st.dataframe(
        log,
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config=column_labels(log.columns),
    )
    if not can_load:
        return
    sure = st.checkbox("I want to undo the last import", key="data_undo_sure")
    st.button("Undo the last import", disabled=not sure, key="data_undo", on_click=undo_last)


def undo_last() -> None:
    """Undo the last import, before the page is drawn again, and untick the confirmation:
    left ticked, one more press would take out the import before (someone else's, perhaps)
    unasked. Set here, in the button's callback, the browser's box is unticked too."""
    st.session_state["data_undo_sure"] = False
    try:
        undone = data.undo_last_import(view.path, user=user)
        st.session_state["data_message"] = ("success", undone)
    except AccessDenied as exc:
        st.session_state["data_message"] = ("denied", str(exc))
    except StoreError as exc:
        st.session_state["data_message"] = ("error", str(exc))


st.title("Data")
message = st.session_state["data_message"]
if message:
    shows = {"success": st.success, "error": st.warning, "info": st.info, "denied": st.error}
    shows[message[0]](message[1])
    st.session_state["data_message"] = None
if viewer_note:
    st.info(viewer_note)
elif here_refusal:
    st.info(
        f"You can load files for your own places, but not edit {view.place_name}'s here: "
        f"{here_refusal}"
    )


def services_block() -> None:
    st.subheader("Services")
    if not can_edit_here:
        ours = services_serving(services_table(view.data_key), view.members)
        st.caption(f"Services that serve {view.place_name}.")
        st.dataframe(ours, hide_index=True, width="stretch", placeholder="")
        return
    st.caption(f"Services that serve {view.place_name}, and new ones.")
    services_section()


# A workspace on its way to a first plan: the steps, and the Services section first while
# it has no services at all.
new_workspace = is_empty(view.places)
steps = setup_steps(view.data_key, tuple(view.members)) if not own_places(view.places).empty else []
if steps and not all(step.done for step in steps):
    st.markdown(
        "**To a first plan for "
        f"{view.place_name}:**\n"
        + "\n".join(
            f"{n}. {'✅' if step.done else '⬜'} {step.text}" for n, step in enumerate(steps, 1)
        )
    )
if new_workspace:
    services_block()

st.subheader("Load a file")
st.segmented_control(
    "Kind of file", list(LABELS), key="data_kind", format_func=LABELS.get, required=True
)
_state.publish(kind_param)
if can_load:
    upload_section(st.session_state["data_kind"])
else:
    st.caption("Loading files needs an editor's or an admin's role.")

if not new_workspace:
    services_block()

st.subheader("Service parameters")
st.caption(f"For the services of {view.place_name}.")
parameters_section()

st.subheader("Demand assumptions: window and growth")
demand_settings_section()

assumptions_section(view)

st.subheader("Trust-to-place shares")
shares_section()

st.subheader(f"SitRep destinations: {view.place_name}")
destinations_section()

st.subheader(f"SitRep against local records: {view.place_name}")
sitrep_section()

st.subheader("Import log")
log_section()
