"""Two people editing the same rows: the later save is refused with who saved first, and
nothing is lost (capacity.edit_stamps through the Data page's view functions)."""

from __future__ import annotations

import pandas as pd
import pytest

from capacity import edit_stamps
from capacity.access import User
from capacity.store import Store
from capacity.views import data
from capacity.views import workforce as wv

ANN = User("Ann Archer", "ann@council.gov.uk", "editor", frozenset({"*"}), signed_in=True)
BEN = User("Ben Brook", "ben@council.gov.uk", "editor", frozenset({"*"}), signed_in=True)
HAVERING = "E09000016"
SERVICE = "hav_reablement"


def snapshot(path) -> dict[str, pd.DataFrame]:
    """Everything an editor's save writes: the edited tables, the import log, the trail."""
    with Store.open(path) as store:
        return {
            name: store.query(name)
            for name in (
                "all_parameters",
                "services",
                "service_links",
                "trust_place_shares",
                "sitrep_destination_overrides",
                "demand_settings",
                "workforce_settings_log",
                "import_log",
                "audit_people",
            )
        } | {
            "audit": store.query("audit_list", place_code=None, person=None, since=None, until=None)
        }


def assert_unchanged(before: dict, after: dict) -> None:
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name], obj=name)


def save_parameters(path, tmp_path, rows, user, based_on):
    return data.save_edited(
        path,
        rows.assign(service_id=SERVICE),
        "parameters",
        f"parameters of {SERVICE} edited in the app.csv",
        workdir=tmp_path,
        user=user,
        based_on=based_on,
    )


# -- the stamp itself ---------------------------------------------------------------------


def test_the_digest_reads_values_not_their_types():
    ints = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    floats = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", float("nan")]})
    assert edit_stamps.digest(ints) == edit_stamps.digest(floats)
    assert edit_stamps.digest(ints) != edit_stamps.digest(ints.assign(a=[1, 3]))
    assert edit_stamps.digest(ints) != edit_stamps.digest(ints.iloc[:1])
    assert edit_stamps.digest(ints.iloc[:0]) == edit_stamps.NOTHING


def test_a_change_elsewhere_in_the_table_leaves_a_services_stamp_alone(writable_db, tmp_path):
    mine = data.parameters_editor(writable_db, SERVICE).stamp
    other = data.parameters_editor(writable_db, "red_reablement")
    changed = other.rows.assign(mean_los_days=other.rows["mean_los_days"] + 1)
    result = data.save_edited(
        writable_db,
        changed.assign(service_id="red_reablement"),
        "parameters",
        "red.csv",
        workdir=tmp_path,
        user=BEN,
    )
    assert result.import_id is not None
    assert data.parameters_editor(writable_db, SERVICE).stamp == mine


# -- parameters ---------------------------------------------------------------------------


def test_parameters_a_later_save_over_an_earlier_one_is_refused(writable_db, tmp_path):
    ann = data.parameters_editor(writable_db, SERVICE)
    ben = data.parameters_editor(writable_db, SERVICE)
    # Ben raises the later row's hours from 6000 to 6500 and saves first.
    ben_rows = ben.rows.copy()
    ben_rows.loc[1, "hours_per_month"] = 6500.0
    saved = save_parameters(writable_db, tmp_path, ben_rows, BEN, ben.stamp)
    assert saved.import_id is not None
    before = snapshot(writable_db)
    # Ann, still on the rows she opened, lowers the earlier row's hours to 4500.
    ann_rows = ann.rows.copy()
    ann_rows.loc[0, "hours_per_month"] = 4500.0
    with pytest.raises(data.EditConflict) as refused:
        save_parameters(writable_db, tmp_path, ann_rows, ANN, ann.stamp)
    message = str(refused.value)
    assert (
        f"The parameters of Havering reablement ({SERVICE}) changed after you opened the editor"
        in message
    )
    assert "Ben Brook" in message and f"import {saved.import_id}" in message
    assert "Your edits were not saved" in message
    assert_unchanged(before, snapshot(writable_db))
    # Ben's 6500 stands; Ann, reloaded, makes her change on top of it.
    again = data.parameters_editor(writable_db, SERVICE)
    assert list(again.rows["hours_per_month"]) == [5000.0, 6500.0]
    again_rows = again.rows.copy()
    again_rows.loc[0, "hours_per_month"] = 4500.0
    assert save_parameters(writable_db, tmp_path, again_rows, ANN, again.stamp).import_id
    assert list(data.parameters_of(writable_db, SERVICE)["hours_per_month"]) == [4500.0, 6500.0]


def test_parameters_saved_with_no_stamp_are_not_checked(writable_db, tmp_path):
    old = data.parameters_editor(writable_db, SERVICE)
    first = old.rows.assign(mean_los_days=30.0)
    assert save_parameters(writable_db, tmp_path, first, BEN, None).import_id
    second = old.rows.assign(mean_los_days=21.0)
    assert save_parameters(writable_db, tmp_path, second, ANN, None).import_id
    assert set(data.parameters_of(writable_db, SERVICE)["mean_los_days"]) == {21.0}


def test_an_undo_since_the_editor_opened_is_named(writable_db, tmp_path):
    opened = data.parameters_editor(writable_db, SERVICE)
    ben = save_parameters(
        writable_db, tmp_path, opened.rows.assign(mean_los_days=30.0), BEN, opened.stamp
    )
    ann = data.parameters_editor(writable_db, SERVICE)  # Ann opens after Ben's save
    data.undo_last_import(writable_db, user=BEN)
    with pytest.raises(data.EditConflict, match=rf"Ben Brook undid import {ben.import_id}"):
        save_parameters(writable_db, tmp_path, ann.rows.assign(mean_los_days=25.0), ANN, ann.stamp)


# -- a service ----------------------------------------------------------------------------


def form(**change) -> data.ServiceForm:
    fields = {
        "service_id": SERVICE,
        "name": "Havering reablement",
        "provider": "Essex Cares Limited",
        "service_type": "reablement_home",
        "contract": "block",
        "places": {HAVERING: None},
        "source_note": "test",
    }
    return data.ServiceForm(**(fields | change))


def save_service(path, tmp_path, service_form, user, based_on, adding=False):
    rows = data.service_file_rows(path, service_form, adding=adding)
    return data.save_edited(
        path, rows, "services", "service.csv", workdir=tmp_path, user=user, based_on=based_on
    )


def test_a_service_retired_over_someone_elses_edit_is_refused(writable_db, tmp_path):
    ann = data.service_stamp(writable_db, SERVICE)
    ben = data.service_stamp(writable_db, SERVICE)
    assert save_service(writable_db, tmp_path, form(provider="New provider"), BEN, ben).import_id
    before = snapshot(writable_db)
    with pytest.raises(
        data.EditConflict,
        match=r"The service Havering reablement \(hav_reablement\) changed.*Ben Brook",
    ):
        save_service(writable_db, tmp_path, form(retired_from="2026-01"), ANN, ann)
    assert_unchanged(before, snapshot(writable_db))
    fresh = data.service_stamp(writable_db, SERVICE)
    assert save_service(writable_db, tmp_path, form(retired_from="2026-01"), ANN, fresh).import_id
    assert (
        data.services_catalogue(writable_db).set_index("service_id").loc[SERVICE, "retired_from"]
        == "2026-01"
    )
    assert save_service(writable_db, tmp_path, form(), ANN, None).import_id


def test_two_people_adding_a_service_with_one_id_the_second_is_refused(writable_db, tmp_path):
    new = form(service_id="hav_night_sitting", name="Havering night sitting")
    first = save_service(
        writable_db, tmp_path, new, BEN, data.new_service_stamp("hav_night_sitting"), adding=True
    )
    assert first.import_id
    before = snapshot(writable_db)
    # Ann's form checked the id was free before Ben saved; her save checks it again.
    rows = data.service_file_rows(writable_db, new, adding=False).assign(provider="Other")
    with pytest.raises(data.EditConflict, match="Ben Brook"):
        data.save_edited(
            writable_db,
            rows,
            "services",
            "service.csv",
            workdir=tmp_path,
            user=ANN,
            based_on=data.new_service_stamp("hav_night_sitting"),
        )
    assert_unchanged(before, snapshot(writable_db))


# -- demand settings ----------------------------------------------------------------------


def setting(window: int, rate: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "place_code": None,
                "service_type": "reablement_home",
                "window_years": window,
                "growth_method": "flat",
                "growth_rate": rate,
                "demand_source": None,
            }
        ]
    )


def test_demand_settings_a_later_save_is_refused(writable_db):
    ann = data.demand_settings_editor(writable_db)
    ben = data.demand_settings_editor(writable_db)
    assert data.save_demand_settings(writable_db, setting(2, 3.0), user=BEN, based_on=ben.stamp)
    before = snapshot(writable_db)
    with pytest.raises(data.EditConflict) as refused:
        data.save_demand_settings(writable_db, setting(1, 5.0), user=ANN, based_on=ann.stamp)
    said = str(refused.value)
    assert said.startswith("The demand settings changed after you opened the editor: Ben Brook")
    assert_unchanged(before, snapshot(writable_db))
    stored = data.demand_settings(writable_db)
    assert list(stored["window_years"]) == [2] and list(stored["growth_rate"]) == [3.0]
    fresh = data.demand_settings_editor(writable_db).stamp
    assert data.save_demand_settings(writable_db, setting(1, 5.0), user=ANN, based_on=fresh) == 1
    assert data.save_demand_settings(writable_db, setting(3, 0.0), user=ANN) == 1
    assert list(data.demand_settings(writable_db)["window_years"]) == [3]


# -- trust shares -------------------------------------------------------------------------


def shares(share: float) -> pd.DataFrame:
    return pd.DataFrame(
        [{"trust_code": "RF4", "place_code": HAVERING, "share": share, "source_note": "test"}]
    )


def save_shares(path, tmp_path, frame, user, based_on):
    return data.save_edited(
        path,
        frame,
        "shares",
        "trust shares edited in the app.csv",
        workdir=tmp_path,
        user=user,
        whole_table=True,
        based_on=based_on,
    )


def test_trust_shares_a_later_save_is_refused(writable_db, tmp_path):
    ann = data.trust_shares_editor(writable_db)
    ben = data.trust_shares_editor(writable_db)
    assert ann.stamp.digest == edit_stamps.NOTHING  # the demo has no shares
    assert save_shares(writable_db, tmp_path, shares(0.4), BEN, ben.stamp).import_id
    before = snapshot(writable_db)
    with pytest.raises(data.EditConflict, match="trust-to-place shares changed.*Ben Brook"):
        save_shares(writable_db, tmp_path, shares(0.6), ANN, ann.stamp)
    assert_unchanged(before, snapshot(writable_db))
    fresh = data.trust_shares_editor(writable_db).stamp
    assert save_shares(writable_db, tmp_path, shares(0.6), ANN, fresh).import_id
    assert list(data.trust_shares(writable_db)["share"]) == [0.6]
    assert save_shares(writable_db, tmp_path, shares(0.5), BEN, None).import_id


# -- SitRep destinations ------------------------------------------------------------------


def mapping(rows: pd.DataFrame, destination: str, service_type: str | None) -> pd.DataFrame:
    out = rows.drop(columns="mapped_by").assign(source_note="edited")
    out.loc[out["destination"] == destination, "service_type"] = service_type
    return out


P3 = "P3 - Care Home (new admission, likely permanent)"
P2_HOSPICE = "P2 - Hospice (short term 24hr support)"


def save_mapping(path, tmp_path, frame, user, based_on):
    return data.save_edited(
        path, frame, "destinations", "map.csv", workdir=tmp_path, user=user, based_on=based_on
    )


def test_destinations_a_later_save_is_refused(writable_db, tmp_path):
    ann = data.destinations_editor(writable_db, HAVERING)
    ben = data.destinations_editor(writable_db, HAVERING)
    ben_map = mapping(ben.rows, P3, None)
    assert save_mapping(writable_db, tmp_path, ben_map, BEN, ben.stamp).import_id
    before = snapshot(writable_db)
    ann_map = mapping(ann.rows, P2_HOSPICE, "rehab_bed")
    with pytest.raises(
        data.EditConflict,
        match=f"SitRep destination mapping of Havering \\({HAVERING}\\) changed.*Ben Brook",
    ):
        save_mapping(writable_db, tmp_path, ann_map, ANN, ann.stamp)
    assert_unchanged(before, snapshot(writable_db))
    # Another place's mapping is not Ann's Havering one: Thurrock's stamp is unmoved.
    fresh = data.destinations_editor(writable_db, HAVERING)
    assert fresh.rows.set_index("destination").loc[P3, "service_type"] is None
    both = mapping(fresh.rows, P2_HOSPICE, "rehab_bed")
    assert save_mapping(writable_db, tmp_path, both, ANN, fresh.stamp).import_id
    final = data.destination_mapping(writable_db, HAVERING).set_index("destination")
    assert final.loc[P3, "service_type"] is None  # Ben's change kept
    assert final.loc[P2_HOSPICE, "service_type"] == "rehab_bed"  # and Ann's


# -- workforce assumptions ----------------------------------------------------------------


def save_hours(path, hours: float, user: User, based_on):
    return wv.save_assumption(
        path,
        place=HAVERING,
        hours_per_week=hours,
        productive_share=0.75,
        source_note="rota",
        user=user,
        based_on=based_on,
    )


def test_workforce_a_later_save_is_refused(writable_db):
    ann = wv.assumptions_stamp(writable_db)
    ben = wv.assumptions_stamp(writable_db)
    save_hours(writable_db, 36.0, BEN, ben)
    before = snapshot(writable_db)
    with pytest.raises(wv.EditConflict, match=f"Ben Brook .* the assumption for {HAVERING} at"):
        save_hours(writable_db, 39.0, ANN, ann)
    assert_unchanged(before, snapshot(writable_db))
    assert wv.load_assumptions(writable_db).for_place(HAVERING).hours_per_week == 36.0
    assert (
        save_hours(writable_db, 39.0, ANN, wv.assumptions_stamp(writable_db)).hours_per_week == 39
    )
    assert save_hours(writable_db, 40.0, BEN, None).hours_per_week == 40.0


def test_a_stamp_of_one_editor_cannot_check_another_kind_of_save(writable_db, tmp_path):
    stamp = data.parameters_editor(writable_db, SERVICE).stamp
    with pytest.raises(ValueError, match="a stamp of the parameters editor cannot check a shares"):
        save_shares(writable_db, tmp_path, shares(0.4), BEN, stamp)
    assert data.trust_shares(writable_db).empty
