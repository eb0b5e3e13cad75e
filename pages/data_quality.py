"""Data quality: stated against observed flow, gaps in the data, missing parameters, volumes."""

import pandas as pd
import streamlit as st

from capacity.charts import stated_vs_observed_chart, volumes_chart
from capacity.summary import SOURCE_LABELS
from capacity.views import quality
from capacity.views.places import names as place_names
from pages._common import (
    current_view,
    data_gaps,
    projection_back_test,
    referral_history,
    service_types_table,
    stated_vs_observed,
)
from pages._style import figure_column, months_as_labels, show_notices

view = current_view()
show_notices()
codes = tuple(view.members)
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
        st.dataframe(whole[["place", "month", "referrals_a_month"]], hide_index=True,
                     column_config=columns)
    by_type = shown[gaps["service_type"].notna()]
    if not by_type.empty:
        st.info(
            f"{len(by_type)} month(s) with no referrals for one service type while the place "
            "had others. A small service can have a quiet month; one that usually has many "
            "referrals more likely has data missing. The projection leaves these months out "
            "of that calendar month's mean for the service type (missing, not zero)."
        )
        st.dataframe(by_type[["place", "service_type", "month", "referrals_a_month"]],
                     hide_index=True, column_config=columns)


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
    st.dataframe(missing[["place", "service", "source", "month"]], hide_index=True)

st.subheader("Services missing parameters")
no_params = quality.months_missing_parameters(frame)
if no_params.empty:
    st.caption(f"Every service has parameters in force in every month of {view.year_label}.")
else:
    st.warning(
        "These services have months with no caseload, hours or throughput recorded, "
        "so their capacity counts as zero:"
    )
    st.dataframe(no_params, hide_index=True)

st.subheader("Referral volumes by month")
if history.empty:
    st.info("No referrals recorded.")
else:
    types = quality.volumes_by_type(history, frame)
    st.plotly_chart(
        volumes_chart(types, "Referrals a month (records and published counts)"),
        config={"displaylogo": False},
    )
    table = quality.volumes_table(types)
    st.dataframe(
        table, width="stretch", column_config={c: figure_column(c, 0) for c in table.columns}
    )
    shares = quality.source_shares(history)
    if shares:
        st.caption(" · ".join(f"{label}: {v:,.0f} referrals ({share:.0%})"
                              for label, v, share in shares))


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
        width="stretch",
        column_config={
            "service_type": "Service type",
            "months_compared": st.column_config.NumberColumn("Months compared", format="%d"),
            "mape": st.column_config.NumberColumn("Mean abs. % error", format="%.0f%%"),
            "bias": figure_column("Bias a month"),
            "in_interval": "Inside the 80% interval",
            "months_zero_actual": st.column_config.NumberColumn(
                "Months with no referrals (left out of the % error)", format="%d"),
            "projected": figure_column("Projected (year)", 0),
            "actual": figure_column("Actual (year)", 0),
        },
    )


show_back_test()
