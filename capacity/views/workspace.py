"""The first screen of a workspace with no services, and the steps to a first plan.

A database with no services at all (made with ``python3 -m capacity init --empty``)
opens on a first screen offering the demo or the lead's own place; choosing a place
records it as the workspace's own (:func:`capacity.workspace.set_places`, as the
command line does). The Data page then lists the next steps and which are done.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from capacity import audit, workspace
from capacity.access import User
from capacity.views._db import Database, reading, writing
from capacity.views.permissions import require, require_some
from capacity.views.places import services_serving
from capacity.workspace import WorkspaceError

__all__ = ["WorkspaceError"]


def is_empty(places: pd.DataFrame) -> bool:
    """Whether no place has a service yet: a new workspace, not the demo."""
    return not places["has_services"].fillna(False).astype(bool).any()


def own_places(places: pd.DataFrame) -> pd.DataFrame:
    """The places the workspace was set up for, what the lead named first (may be empty)."""
    if "in_workspace" not in places.columns:
        return places.iloc[0:0]
    mine = places[places["in_workspace"].fillna(False).astype(bool)]
    return mine.sort_values(["workspace_chosen", "name"], ascending=[False, True])


def place_choices(places: pd.DataFrame) -> dict[str, str]:
    """What the first screen offers, code → label: every authority with its ICB and region,
    then every ICB with how many places it has and its NHS region."""
    icb_names = dict(zip(places["place_code"], places["name"], strict=True))
    authorities = places[(places["kind"] != "system") & places["icb_code"].notna()]
    icbs = places[places["system_type"] == "icb"]
    counts = authorities.groupby("icb_code").size()
    choices = {
        row.place_code: f"{row.name} · {icb_names.get(row.icb_code, row.icb_code)} · "
        f"{row.region_name}"
        for row in authorities.sort_values("name").itertuples()
    }
    for row in icbs.sort_values("name").itertuples():
        many = int(counts.get(row.place_code, 0))
        choices[row.place_code] = (
            f"{row.name} (all {many} of its places) · {row.ods_code} · {row.region_name}"
        )
    return choices


def set_up_place(db: Database, code: str, *, user: User) -> pd.DataFrame:
    """Record ``code`` (an authority, or an ICB with its places) as the workspace's own, as
    ``user``: the workspace is every place's, so only an admin or an editor of every place
    may (else AccessDenied). One audit entry records it."""
    require_some(user)
    with writing(db) as store:
        require(store, user, None)
        chosen = workspace.set_places(store, [code])
        audit.record(
            store,
            user,
            "workspace",
            place_code=code,
            subject="workspace places",
            detail="The workspace's places: " + ", ".join(chosen["place_code"]),
        )
        return chosen


@dataclass(frozen=True)
class Step:
    """One step from an empty workspace to a first plan, and whether it is done."""

    text: str
    done: bool


def setup_steps(db: Database, codes: list[str]) -> list[Step]:
    """The steps to a first plan for the places ``codes``, each marked done or not."""
    with reading(db) as store:
        services = services_serving(store.query("services"), codes)
        parameters = store.query("parameters_for_places", places=codes)
        sitrep = not store.query("sitrep_months").empty
        records = store.table_counts()
    with_parameters = set(parameters["service_id"]) & set(services["service_id"])
    demand = sitrep or records["referrals"] > 0 or records["monthly_demand"] > 0
    return [
        Step(
            "Add your services (the Services section below): each service, its type and the "
            "places it serves.",
            not services.empty,
        ),
        Step(
            "Give each service its parameters (Service parameters, below): caseload and length "
            "of stay, hours, or people a month.",
            not services.empty and len(with_parameters) == len(services),
        ),
        Step(
            "Load demand: an NHS England discharge SitRep (Load a file → the SitRep) gives a "
            "first plan from national data; your referral records replace it where there are "
            "enough.",
            bool(demand),
        ),
    ]
