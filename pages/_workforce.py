"""Workforce on the pages: the Data page's "Workforce assumptions" section, and the Place
page's care-hours and FTE figures (its month table and headline).

Composition is in :mod:`capacity.views.workforce`; here are widgets, a one-line cache and
display rounding only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from capacity.display import rounded
from capacity.plan import PlanError
from capacity.views import permissions
from capacity.views import workforce as workforce_view
from pages._common import DataKey, View, current_user
from pages._style import figure_column, percent_column

ENGLAND = "__england__"
FIGURE_COLUMNS = ["care_hours_gap", "fte_gap"]


@st.cache_data(show_spinner=False, max_entries=4)
def assumptions_for(key: DataKey) -> workforce_view.Assumptions:
    """The workforce assumptions in force (read again when the data version moves)."""
    return workforce_view.load_assumptions(key.path)


# -- the Data page ----------------------------------------------------------------------


def assumptions_section(view: View) -> None:
    """The Data page's section: the assumptions in force, and a form to set a place's own."""
    st.subheader("Workforce assumptions")
    st.caption(
        "For services planned by hours, the Place page, the plan CSV and the pack turn a gap "
        "of people into care hours a month (hours per package × length of stay ÷ days in "
        "the month, for each person) and into full-time-equivalent care workers: care hours "
        "÷ (hours a week × 52.143 ÷ 12 × the share of paid hours spent with people). "
        "England's figures apply to every place without its own. The defaults: 37.5 hours "
        "a week, the NHS Agenda for Change full-time standard (many home-care contracts "
        "differ), and 75% with people, a planning assumption of this product rather than a "
        "published figure: replace it with your provider's rostered contact-time share."
    )
    assumptions = assumptions_for(view.data_key)
    table = workforce_view.assumption_rows(assumptions, view.places)
    st.dataframe(
        table.assign(productive_share=table["productive_share"] * 100),
        hide_index=True,
        width="stretch",
        column_config={
            "applies_to": "Applies to",
            "hours_per_week": figure_column("Hours a week", 1),
            "productive_share": percent_column("With people"),
            "hours_per_fte_month": figure_column("Paid hours per FTE a month", 1),
            "source_note": st.column_config.TextColumn("Source", width="large"),
            "saved_by": "Set by",
            "saved_at": "Set on",
        },
    )
    if current_user().can_edit_something:
        _assumption_form(view, assumptions)


def _assumption_form(view: View, assumptions: workforce_view.Assumptions) -> None:
    # The assumptions as they stood when the form was first drawn: saving over a later save
    # of someone else's is refused. Kept until this form saves.
    based_on = st.session_state.setdefault(
        "data_workforce_opened", workforce_view.assumptions_stamp(view.path)
    )
    names = dict(zip(view.places["place_code"], view.places["name"], strict=True))
    options = [ENGLAND, *names]
    # A new round (after a refused save) is a new form, filled with what is stored now.
    round_ = st.session_state.get("data_workforce_round", 0)
    key = "data_workforce" + (f"_r{round_}" if round_ else "")
    with st.form("data_workforce_form"):
        place = st.selectbox(
            "For",
            options,
            index=options.index(view.place) if view.place in options else 0,
            format_func=lambda c: (
                "England (every place without its own)" if c == ENGLAND else names[c]
            ),
            key=f"{key}_place",
        )
        current = assumptions.for_place(None if place == ENGLAND else place)
        left, right = st.columns(2)
        hours = left.number_input(
            "Contracted hours a week of a full-time post",
            value=float(current.hours_per_week),
            step=0.5,
            key=f"{key}_hours",
        )
        share = right.number_input(
            "Share of paid hours spent with people (0 to 1)",
            value=float(current.productive_share),
            step=0.05,
            key=f"{key}_share",
        )
        source = st.text_input(
            "Source (where these figures come from)",
            key=f"{key}_source",
            placeholder="e.g. Provider rota, October 2025: 78% contact time",
        )
        if st.form_submit_button("Save workforce assumptions"):
            _save(view, None if place == ENGLAND else place, hours, share, source, based_on)


def _save(
    view: View,
    place: str | None,
    hours: float,
    share: float,
    source: str,
    based_on: workforce_view.Stamp,
) -> None:
    st.session_state.pop("data_workforce_opened", None)
    try:
        saved = workforce_view.save_assumption(
            view.path,
            place=place,
            hours_per_week=hours,
            productive_share=share,
            source_note=source,
            user=current_user(),
            based_on=based_on,
        )
    except permissions.AccessDenied as exc:
        st.session_state["data_message"] = ("denied", f"Workforce assumptions not saved: {exc}")
    except workforce_view.EditConflict as exc:
        st.session_state["data_message"] = ("error", f"Workforce assumptions not saved: {exc}")
        # The form keeps what was typed in it: drawn afresh, it shows the other change.
        rounds = st.session_state.get("data_workforce_round", 0)
        st.session_state["data_workforce_round"] = rounds + 1
    except (workforce_view.WorkforceError, PlanError) as exc:
        st.session_state["data_message"] = ("error", f"Workforce assumptions not saved: {exc}")
    else:
        where = "England" if saved.place_code is None else saved.place_code
        st.session_state["data_message"] = ("success", f"Saved for {where}: {saved.label}.")
    st.rerun()


# -- the Place page ---------------------------------------------------------------------

COLUMNS = {
    "care_hours_gap": figure_column(
        "Gap, care hours a month",
        0,
        help="For services planned by hours: the gap × the care hours a month each new "
        "person a month needs (hours per package × length of stay ÷ days in the month). "
        "Negative: hours short.",
    ),
    "fte_gap": figure_column(
        "Gap, care workers' FTE",
        1,
        help="The care-hours gap ÷ (hours a week × 52.143 ÷ 12 × the share of paid hours "
        "spent with people), as set under Workforce assumptions on the Data page.",
    ),
}


def with_figures(shown: pd.DataFrame, rows: pd.DataFrame, view: View) -> pd.DataFrame:
    """The month table with the care-hours and FTE gaps after the gap, where any row of
    ``rows`` is planned by hours (else as it was)."""
    if not (rows["method"] == "hours").any():
        return shown
    figures = workforce_view.plan_with_workforce(rows, assumptions_for(view.data_key))
    figures = rounded(figures[list(COLUMNS)], {"care_hours_gap": 0, "fte_gap": 1})
    out = shown.copy()
    at = list(out.columns).index("gap") + 1
    for offset, column in enumerate(COLUMNS):
        out.insert(at + offset, column, figures[column].to_numpy(float))
    return out


def headline(
    sentence: str,
    view: View,
    service_types: list[str],
    month: str | None,
    from_month: str | None,
) -> str:
    """The Place page's headline with the FTE of a shortfall planned by hours."""
    by_type = workforce_view.type_workforce(
        view.place_plan(), assumptions_for(view.data_key), view.source
    )
    return workforce_view.headline(
        sentence,
        view.monthly(view.source),
        by_type,
        service_types=service_types,
        from_month=from_month,
        month=month,
    )
