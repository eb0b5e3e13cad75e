"""Data quality: stated against observed flow, gaps in the data, missing parameters, volumes,
and the history as SPC (XmR) charts."""

import pandas as pd
import streamlit as st

from capacity import config
from capacity.charts import stated_vs_observed_chart, volumes_chart
from capacity.summary import SOURCE_LABELS
from capacity.views import quality
from capacity.views.places import names as place_names
from pages import _state
from pages._common import (
    SpcKey,
    choice_param,
    current_view,
    data_gaps,
    projection_back_test,
    referral_history,
    service_types_table,
    spc_chart,
    spc_history,
    stated_vs_observed,
)
from pages._state import Param
from pages._style import figure_column, months_as_labels, show_notices

view = current_view()
codes = tuple(view.members)
type_table = service_types_table(view.data_key)
all_type_names = dict(zip(type_table["service_type"], type_table["name"], strict=True))

# -- SPC settings, bound before any notice is shown --------------------------------

LIMITS = {
    "all": "all months shown",
    "first": "the first months",
    "until": "the months up to",
}
NO_REBASE = ""
measure_param = choice_param("spc_measure", "spc_measure", quality.SPC_MEASURES, quality.REFERRALS)
_state.bind(measure_param)
spc_key = SpcKey(view.data_key, codes, view.source, st.session_state["spc_measure"])
spc = spc_history(spc_key)
spc_types = quality.spc_types(spc, list(type_table["service_type"]))
spc_params = [measure_param]
if spc_types:
    type_param = choice_param(
        "spc_type", "spc_type", {t: all_type_names.get(t, t) for t in spc_types}, spc_types[0]
    )
    _state.bind(type_param)
    if st.session_state["spc_type"] not in spc_types:  # kept from another place or measure
        st.session_state["spc_type"] = spc_types[0]
    spc_choices = quality.spc_choices(quality.series_of(spc, st.session_state["spc_type"]))
    limit_params = {
        "first": Param(
            "spc_first",
            "spc_first",
            lambda text: quality.check_first(text, spc_choices),
            lambda v: None if v == spc_choices.default_first else str(v),
            spc_choices.default_first,
        ),
        "until": Param(
            "spc_until",
            "spc_until",
            lambda text: quality.check_month(text, spc_choices.months[1:], "fix limits up to"),
            lambda v: None if v == spc_choices.default_until else v,
            spc_choices.default_until,
            describe=quality.month_name,
        ),
    }
    rebase_param = Param(
        "spc_rebase",
        "spc_rebase",
        lambda text: quality.check_month(text, spc_choices.rebase_months, "be rebased at"),
        lambda v: v or None,
        NO_REBASE,
        describe=lambda v: quality.month_name(v) if v else "no rebase",
    )
    spc_params += [
        type_param,
        choice_param("spc_limits", "spc_limits", LIMITS, "all"),
        *limit_params.values(),
        rebase_param,
    ]
    for param in spc_params[2:]:
        _state.bind(param)
    # Values kept from another service type may not fit this one's months.
    kept = {
        "spc_first": st.session_state["spc_first"] <= spc_choices.first_most,
        "spc_until": st.session_state["spc_until"] in spc_choices.months[1:],
        "spc_rebase": st.session_state["spc_rebase"] in [NO_REBASE, *spc_choices.rebase_months],
    }
    for param in [*limit_params.values(), rebase_param]:
        if not kept[param.key]:
            _state.add_notice(
                f"The SPC chart's {param.name.removeprefix('spc_')} setting does "
                f"not fit this series; showing {param.describe(param.default)}."
            )
            st.session_state[param.key] = param.default

show_notices()
frame = view.place_plan()
st.title(f"Data quality · {view.place_name}")

st.subheader("Stated against observed (Little's law)")
st.caption(
    "From referral records with start and end dates, over the last 12 complete months "
    "of data: mean occupancy should be close to the stated caseload, and arrivals close "
    "to the stated capacity. Differences above 20% are flagged."
)
comparison = stated_vs_observed(view.data_key, codes)
if comparison.empty:
    st.info("No referral records with start dates for this place.")
else:
    names = place_names(view.places)
    shown = comparison.assign(place=comparison["place_code"].map(names))
    with_data = shown.dropna(subset=["stated_caseload", "observed_occupancy"], how="all")
    if not with_data.empty:
        st.plotly_chart(
            stated_vs_observed_chart(with_data, "Caseload: stated and observed"),
            config={"displaylogo": False},
        )
    st.dataframe(
        shown[
            [
                "place",
                "service",
                "arrivals",
                "observed_arrivals_per_month",
                "stated_capacity_per_month",
                "observed_los_days",
                "stated_los_days",
                "observed_occupancy",
                "stated_caseload",
                "flags",
            ]
        ],
        hide_index=True,
        placeholder="",
        width="stretch",
        column_config={
            "place": "Place",
            "service": "Service",
            "arrivals": st.column_config.NumberColumn("Arrivals (12 months)", format="%,d"),
            "observed_arrivals_per_month": figure_column("Observed arrivals a month"),
            "stated_capacity_per_month": figure_column("Stated capacity a month"),
            "observed_los_days": figure_column("Observed LoS (days)"),
            "stated_los_days": figure_column("Stated LoS (days)"),
            "observed_occupancy": figure_column("Observed occupancy"),
            "stated_caseload": figure_column("Stated caseload"),
            "flags": st.column_config.TextColumn("Flags", width="large"),
        },
    )


def show_gaps(gaps: pd.DataFrame, names: dict[str, str]) -> None:
    """Months inside the data's span with no data: whole places first, then service types."""
    types = service_types_table(view.data_key)
    type_names = dict(zip(types["service_type"], types["name"], strict=True))
    shown = gaps.assign(
        place=gaps["place_code"].map(names),
        service_type=gaps["service_type"].map(type_names),
        month=gaps["month"].dt.strftime("%b %Y"),
    )
    columns = {
        "place": "Place",
        "service_type": "Service type",
        "month": "Month",
        "referrals_a_month": figure_column("Referrals in a usual month"),
    }
    whole = shown[gaps["service_type"].isna()]
    if whole.empty:
        st.caption("Every month between the first and last complete month has data.")
    else:
        listed = "; ".join(
            f"{place}: {', '.join(rows['month'])}" for place, rows in whole.groupby("place")
        )
        st.warning(
            f"No referral records and no published counts at all in {len(whole)} month(s) "
            f"between the first and last complete month ({listed}). The demand projection "
            "leaves such a month out of that calendar month's mean (it is missing, not "
            "zero), so that month rests on fewer years until its data are loaded.",
            icon="⚠️",
        )
        st.dataframe(
            whole[["place", "month", "referrals_a_month"]],
            hide_index=True,
            placeholder="",
            column_config=columns,
        )
    by_type = shown[gaps["service_type"].notna()]
    if not by_type.empty:
        st.info(
            f"{len(by_type)} month(s) with no referrals for one service type while the place "
            "had others. A small service can have a quiet month; one that usually has many "
            "referrals more likely has data missing. The projection leaves these months out "
            "of that calendar month's mean for the service type (missing, not zero)."
        )
        st.dataframe(
            by_type[["place", "service_type", "month", "referrals_a_month"]],
            hide_index=True,
            placeholder="",
            column_config=columns,
        )


st.subheader("Months with no data")
history = referral_history(view.data_key, codes)
coverage = quality.coverage_of(history)
no_demand = quality.flagged(frame, "no demand data")
if coverage.empty:
    st.warning("There are no referral records or monthly counts for this place.")
else:
    names = place_names(view.places)
    cover = coverage.assign(
        place=coverage["place_code"].map(names),
        first=coverage["first_month"].dt.strftime("%b %Y"),
        last=coverage["last_month"].dt.strftime("%b %Y"),
    )
    st.dataframe(
        cover[["place", "first", "last"]],
        hide_index=True,
        placeholder="",
        column_config={
            "place": "Place",
            "first": "First complete month",
            "last": "Last complete month",
        },
    )
    show_gaps(data_gaps(view.data_key, codes), names)
if no_demand.empty:
    st.caption(f"Every month of {view.year_label} has demand history behind it.")
else:
    missing = months_as_labels(no_demand, "month").assign(
        source=no_demand["source"].map(SOURCE_LABELS)
    )
    st.warning(f"{len(missing)} service-months of {view.year_label} have no demand history:")
    st.dataframe(
        missing[["place", "service", "source", "month"]],
        hide_index=True,
        placeholder="",
        column_config={
            "place": "Place",
            "service": "Service",
            "source": "Source",
            "month": "Month",
        },
    )

st.subheader("Services missing parameters")
no_params = quality.months_missing_parameters(frame)
if no_params.empty:
    st.caption(f"Every service has parameters in force in every month of {view.year_label}.")
else:
    st.warning(
        "These services have months with no caseload, hours or throughput recorded, "
        "so their capacity counts as zero:"
    )
    st.dataframe(
        no_params.assign(source=no_params["source"].map(SOURCE_LABELS)),
        hide_index=True,
        placeholder="",
        column_config={
            "place": "Place",
            "service": "Service",
            "source": "Source",
            "month": "Months",
        },
    )

st.subheader("Referral volumes by month")
if history.empty:
    st.info("No referrals recorded.")
else:
    types = quality.volumes_by_type(history, frame)
    st.plotly_chart(
        volumes_chart(types, "Referrals a month (records and published counts)"),
        config={"displaylogo": False},
    )
    table = quality.volumes_table(types).rename_axis("Month")
    st.dataframe(
        table,
        width="stretch",
        placeholder="",
        column_config={c: figure_column(c, 0) for c in table.columns},
    )
    shares = quality.source_shares(history)
    if shares:
        st.caption(
            " · ".join(f"{label}: {v:,.0f} referrals ({share:.0%})" for label, v, share in shares)
        )


# -- SPC ------------------------------------------------------------------------

BADGE_COLOURS = {
    "common": "gray",
    "improvement": "blue",
    "concern": "orange",
    "neither": "violet",
    "passes": "blue",
    "fails": "orange",
    "hit_and_miss": "gray",
}
BADGE_ICONS = {  # a special cause points the way it leans
    "high": "⬆️",
    "low": "⬇️",
    "common": "〰️",
    "passes": "✅",
    "fails": "❌",
    "hit_and_miss": "🔀",
}


def spc_controls() -> None:
    """The measure, the service type, the baseline and the rebase."""
    left, right = st.columns(2)
    left.radio(
        "Measure",
        list(quality.SPC_MEASURES),
        key="spc_measure",
        format_func=quality.SPC_MEASURES.get,
        horizontal=True,
    )
    if not spc_types:
        return
    right.selectbox(
        "Service type", spc_types, key="spc_type", format_func=lambda t: all_type_names.get(t, t)
    )
    mode, first, until, rebase = st.columns([1.4, 1, 1, 1])
    mode.radio(
        "Process limits from",
        list(LIMITS),
        key="spc_limits",
        format_func=LIMITS.get,
        help="Fix the limits on a baseline to see whether later months moved away from it.",
    )
    first.number_input(
        "First months",
        min_value=2,
        max_value=spc_choices.first_most,
        step=1,
        key="spc_first",
        disabled=st.session_state["spc_limits"] != "first",
    )
    until.selectbox(
        "Up to and including",
        spc_choices.months[1:],
        key="spc_until",
        format_func=quality.month_name,
        disabled=st.session_state["spc_limits"] != "until",
    )
    rebase.selectbox(
        "Recalculate limits from",
        [NO_REBASE, *spc_choices.rebase_months],
        key="spc_rebase",
        format_func=lambda m: quality.month_name(m) if m else "No rebase",
        help="Rebase where the service changed: the months from then get their "
        "own mean and limits.",
    )


def spc_section() -> None:
    """The XmR chart of the chosen measure and service type, with its badges and notes."""
    measure = st.session_state["spc_measure"]
    if not spc_types:
        st.info(
            f"No service type at {view.place_name} has enough months of "
            f"{quality.SPC_MEASURES[measure].lower()} for a chart."
        )
        return
    service_type = st.session_state["spc_type"]
    mode = st.session_state["spc_limits"]
    title = f"{quality.SPC_MEASURES[measure]} · {all_type_names.get(service_type, service_type)}"
    try:
        chart = spc_chart(
            spc_key,
            service_type,
            title,
            st.session_state["spc_first"] if mode == "first" else None,
            st.session_state["spc_until"] if mode == "until" else None,
            st.session_state["spc_rebase"] or None,
        )
    except ValueError as exc:
        st.warning(f"These limits cannot be drawn ({exc}); showing limits from all months.")
        chart = spc_chart(spc_key, service_type, title, None, None, None)
    st.plotly_chart(chart.figure, config={"displaylogo": False})
    # Badges side by side, each in words with an icon, so colour is never the only cue.
    st.markdown(
        "&ensp;".join(
            f":{BADGE_COLOURS[kind]}-badge[{BADGE_ICONS[side or kind]} {words}]"
            for words, kind, side in chart.badges
        )
    )
    for note in chart.result.notes:
        st.caption(note)
    if chart.target_note:
        st.caption(f"No assurance icon: {chart.target_note}.")
    missing = (
        f" {len(chart.missing_months)} month(s) with no data are left out, not counted "
        f"as zero: {', '.join(chart.missing_months)}."
        if chart.missing_months
        else ""
    )
    st.caption(
        f"{SOURCE_LABELS[view.source]}: {chart.points} months, {chart.first_month} to "
        f"{chart.last_month}. {spc.basis}{missing}"
    )


st.subheader("SPC: history")
spc_controls()
spc_section()
with st.expander("How to read an SPC chart"):
    st.markdown((config.CONTENT_DIR / "spc.md").read_text("utf-8"))
for param in spc_params:
    if param.key not in ("spc_first", "spc_until") or st.session_state.get(
        "spc_limits"
    ) == param.key.removeprefix("spc_"):
        _state.publish(param)


def show_back_test() -> None:
    """How well last year was predicted: the last complete year projected from before it."""
    st.subheader("How well the projection did last year")
    test = projection_back_test(view.data_key, codes, view.source)
    types = service_types_table(view.data_key)
    type_names = dict(zip(types["service_type"], types["name"], strict=True))
    st.markdown(quality.back_test_reading(test, type_names))
    if test.year is None or test.table.empty:
        return
    st.caption(
        f"{SOURCE_LABELS[view.source]} referrals. Each service type's {test.year_label} "
        "projected with today's demand settings from the years "
        "before it, month by month, against what happened. Mean absolute percentage error "
        "leaves out months with no referrals (counted in their own column); bias is projected "
        "minus actual, a month on average (above zero: the projection ran high)."
    )
    st.dataframe(
        quality.back_test_table(test, type_names),
        hide_index=True,
        placeholder="",
        width="stretch",
        column_config={
            "service_type": "Service type",
            "months_compared": st.column_config.NumberColumn("Months compared", format="%d"),
            "mape": st.column_config.NumberColumn("Mean abs. % error", format="%.0f%%"),
            "bias": figure_column("Bias a month"),
            "in_interval": "Inside the 80% interval",
            "months_zero_actual": st.column_config.NumberColumn(
                "Months with no referrals (left out of the % error)", format="%d"
            ),
            "projected": figure_column("Projected (year)", 0),
            "actual": figure_column("Actual (year)", 0),
        },
    )


show_back_test()
