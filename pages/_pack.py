"""The Export page's Meeting pack: a PDF to circulate or a PowerPoint to present, for the
sidebar's place or system, of today's plan or of one of its snapshots.

The pack is made by :func:`capacity.views.pack.build_pack`, the function the ``pack``
command calls; its progress shows as it draws each chart.
"""

from __future__ import annotations

import streamlit as st

from capacity.views.pack import (
    PACK_ERRORS,
    PACK_MIME_TYPES,
    build_pack,
    pack_bytes,
    pack_file_name,
)
from capacity.views.snapshots import snapshot_by_id
from pages._common import View, scenario_for, snapshots_listed

FORMAT_NAMES = {"pdf": "PDF, to circulate", "pptx": "PowerPoint, to present"}


def _snapshot_choices(view: View) -> dict[int | None, str]:
    """Today's plan, then the place's snapshots of this planning year, newest first."""
    found = snapshots_listed(view.path, view.place)
    found = found[found["planning_year"] == view.year]
    return {
        None: f"Today's plan ({view.scenario_label})",
        **{
            int(row.snapshot_id): f"{row.name} · {row.made_at:%-d %b %Y %H:%M}"
            for row in found.itertuples()
        },
    }


def _build(view: View, fmt: str, snapshot_id: int | None) -> tuple[str, bytes] | None:
    """Make the pack with a progress bar; None (and the reason on screen) when it cannot be."""
    bar = st.progress(0.0, text="Starting…")
    try:
        snapshot = snapshot_by_id(view.path, snapshot_id) if snapshot_id is not None else None
        scenario = None if snapshot else scenario_for(view.scenarios_key, view.scenario, view.year)
        pack = build_pack(
            view.path,
            view.place,
            view.year,
            scenario,
            snapshot,
            lambda fraction, text: bar.progress(min(max(fraction, 0.0), 1.0), text=text),
        )
        data = pack_bytes(pack, fmt)
    except PACK_ERRORS as exc:
        st.error(f"The pack was not made: {exc}")
        return None
    finally:
        bar.empty()
    return pack_file_name(view.place_name, view.year_label, fmt), data


def meeting_pack(view: View) -> None:
    """The Meeting pack section: format, optional snapshot, Build, then the download."""
    st.divider()
    st.subheader("Meeting pack")
    st.caption(
        f"For {view.place_name}, {view.year_label} (the sidebar's place or system): headline "
        "shortfalls, the workforce behind them, gap charts, flow, the scenario comparison, "
        "what changed since last time, plan against actual, decisions and open actions, "
        "assumptions, data quality and sources. A system's pack has a part per place, and "
        "takes up to half a minute."
    )
    left, right = st.columns(2)
    left.radio("Format", list(FORMAT_NAMES), key="pack_format", format_func=FORMAT_NAMES.get)
    choices = _snapshot_choices(view)
    if st.session_state.get("pack_snapshot") not in choices:
        st.session_state["pack_snapshot"] = None
    right.selectbox(
        "Of", list(choices), key="pack_snapshot", format_func=choices.get,
        help="A snapshot's pack shows its figures as they were when it was taken.",
    )  # fmt: skip
    wanted = (view.place, view.year, view.scenario, view.version,
              st.session_state["pack_format"], st.session_state["pack_snapshot"])  # fmt: skip
    if st.button("Build the pack", key="pack_build", type="primary"):
        made = _build(view, st.session_state["pack_format"], st.session_state["pack_snapshot"])
        st.session_state["pack_made"] = (wanted, made) if made else None
    kept = st.session_state.get("pack_made")
    if kept and kept[0] == wanted:
        name, data = kept[1]
        st.download_button(
            f"Download {name}",
            data,
            file_name=name,
            mime=PACK_MIME_TYPES[wanted[4]],
            key="pack_download",
            on_click="ignore",
        )
        st.caption(f"{len(data) / 1024:,.0f} KB.")
