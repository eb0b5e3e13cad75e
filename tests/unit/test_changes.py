"""What changed between two snapshots: a constructed history on a copy of the demo store.

Snapshot A of Havering 2025-26 under scenario "Winter" version 1; then Havering
reablement's hours raised from 6,000 to 6,500 a month from October 2025 (one
parameters import), BHR Home, Settle & Support retired from January 2026 (one
services import) and "Winter" saved as version 2; snapshot B. "What changed" must
name exactly those input changes and the plan's change they cause, worked by hand
from the formulas in DOMAIN.md §5.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from capacity import changes as change_words
from capacity.access import local_user
from capacity.cli import main
from capacity.ingest import load, stage_file
from capacity.scenarios.model import Change, Scenario
from capacity.store import Store
from capacity.views import data
from capacity.views.changes import changes_between, changes_in, default_pair
from capacity.views.scenario_choices import save_scenario
from capacity.views.snapshots import (
    SnapshotError,
    find_snapshot,
    snapshot_list,
    snapshot_rows,
    take_snapshot,
)

HAVERING = "E09000016"
YEAR = 2025
MONTHS = [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
DAYS = dict(zip(MONTHS, [30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31], strict=True))
PARAMETERS = """service_id,method,mean_los_days,hours_per_month,hours_per_package_per_month,\
valid_from,valid_to,source_note
hav_reablement,hours,28,5000,40,2022-04-01,2023-09-30,Assumption
hav_reablement,hours,28,6000,40,2023-10-01,2025-09-30,Assumption
hav_reablement,hours,28,6500,40,2025-10-01,,New contract from October 2025
"""


def winter(pct: float) -> Scenario:
    """More D2A (P3) demand in Havering over the winter."""
    return Scenario(
        "Winter",
        (
            Change(
                "demand_pct",
                pct,
                "2025-12",
                "2026-03",
                places=(HAVERING,),
                service_types=("p3_short_term_care_home",),
            ),
        ),
        author="test",
    )


def load_kind(store: Store, path: Path, kind: str) -> int:
    work = path.parent / "work"
    work.mkdir(exist_ok=True)
    result = load(store, stage_file(path, kind, workdir=work))
    assert result.import_id is not None, result.message
    return result.import_id


@pytest.fixture(scope="module")
def history(tmp_path_factory, demo_db) -> Path:
    """The demo store with the constructed history between snapshots A and B."""
    folder = tmp_path_factory.mktemp("changes")
    path = folder / "history.duckdb"
    path.write_bytes(demo_db.read_bytes())
    with Store.open(path) as store:
        first = save_scenario(store, winter(10), user=local_user("test"))
        take_snapshot(
            store, name="A", place_code=HAVERING, year=YEAR, scenario=first, user=local_user("test")
        )
        (folder / "hours.csv").write_text(PARAMETERS, encoding="utf-8")
        load_kind(store, folder / "hours.csv", "parameters")
        retired = data.service_rows(store, "bhr_hsss").assign(retired_from="2026-01")
        retired.to_csv(folder / "retire.csv", index=False)
        load_kind(store, folder / "retire.csv", "services")
        second = save_scenario(store, winter(20), "Winter", user=local_user("test"))
        assert second.version == 2
        take_snapshot(
            store,
            name="B",
            place_code=HAVERING,
            year=YEAR,
            scenario=second,
            user=local_user("test"),
        )
    return path


@pytest.fixture(scope="module")
def found(history):
    return changes_between(history, HAVERING)


def test_the_default_pair_is_the_last_two_snapshots(found):
    assert (found.earlier.name, found.later.name) == ("A", "B")


def test_it_names_the_two_imports_loaded_between_and_nothing_else(found):
    loaded = found.of_kind("data")
    assert len(loaded) == 2
    assert "parameters import" in loaded[0].sentence and "hours.csv" in loaded[0].sentence
    assert "services import" in loaded[1].sentence and "retire.csv" in loaded[1].sentence


def test_it_names_the_hours_raised_with_the_day_they_were_loaded(found):
    (item,) = found.of_kind("parameters")
    assert item.place == "Havering" and item.first_month == "2025-10"
    assert "hours a month raised from 6,000 to 6,500" in item.sentence
    assert f"on {date.today():%-d %b %Y}" in item.sentence
    assert "from Oct 2025" in item.sentence


def test_it_names_the_retired_service(found):
    (item,) = found.of_kind("services")
    assert item.sentence.startswith("BHR Home, Settle & Support (Havering): retired")
    assert item.first_month == "2026-01"


def test_it_names_the_scenario_versions_and_what_their_changes_were(found):
    (item,) = found.of_kind("scenario")
    assert "Winter (version 1) then, Winter (version 2) now" in item.sentence
    assert "now with 20% more demand" in item.sentence
    assert "no longer with 10% more demand" in item.sentence


def test_no_demand_basis_changed_and_every_plan_change_is_explained(found):
    assert found.of_kind("demand basis") == []
    assert found.unexplained == []
    kinds = [item.kind for item in found.items]
    assert kinds == ["data", "data", "scenario", "parameters", "services", "plan", "plan", "plan"]


def by_type(found, service_type: str) -> pd.DataFrame:
    table = found.plan
    mine = table[(table["place_code"] == HAVERING) & (table["service_type"] == service_type)]
    return mine.set_index("month").reindex(MONTHS)


def test_reablement_capacity_rises_by_the_extra_packages_from_october(found):
    # caseload = hours ÷ hours per package; capacity = caseload × days ÷ LoS (28 days).
    # 500 more hours ÷ 40 = 12.5 more packages → 12.5 × days ÷ 28 more people a month.
    table = by_type(found, "reablement_home")
    expected = [0.0] * 6 + [12.5 * DAYS[m] / 28 for m in MONTHS[6:]]
    assert table["capacity_change"].tolist() == pytest.approx(expected, abs=1e-9)
    assert table["gap_change"].tolist() == pytest.approx(expected, abs=1e-9)
    assert table["demand_change"].tolist() == pytest.approx([0.0] * 12, abs=1e-9)
    (item,) = [i for i in found.of_kind("plan") if i.service_type == "Reablement at home"]
    # 12.5 × 28 ÷ 28 = 12.5 (February) up to 12.5 × 31 ÷ 28 = 13.84: "+13 to +14".
    assert item.sentence.startswith("Havering reablement at home: capacity +13 to +14 a month")
    assert "hours a month raised from 6,000 to 6,500" in item.sentence


def test_social_support_loses_the_82_a_month_from_january(found):
    # BHR HSSS states 82 referrals a month for Havering, all hospital discharge.
    table = by_type(found, "social_support")
    expected = [0.0] * 9 + [-82.0] * 3
    assert table["capacity_change"].tolist() == pytest.approx(expected, abs=1e-9)
    assert table["demand_change"].tolist() == pytest.approx([0.0] * 12, abs=1e-9)
    (item,) = [i for i in found.of_kind("plan") if i.service_type_code == "social_support"]
    assert "capacity −82 a month from Jan 2026" in item.sentence
    assert "retired" in item.sentence


def test_d2a_demand_moves_from_ten_to_twenty_percent_more_over_winter(found):
    # Demand under v1 is baseline × 1.10, under v2 baseline × 1.20 (Dec–Mar only).
    table = by_type(found, "p3_short_term_care_home")
    winter_months = MONTHS[8:]
    baseline = table.loc[winter_months, "demand_before"] / 1.10
    assert table.loc[winter_months, "demand_change"].tolist() == pytest.approx(
        (baseline * 0.10).tolist(), rel=1e-9
    )
    assert table.loc[MONTHS[:8], "demand_change"].tolist() == pytest.approx([0.0] * 8)
    assert table["capacity_change"].tolist() == pytest.approx([0.0] * 12, abs=1e-9)
    (item,) = [i for i in found.of_kind("plan") if i.service_type_code == "p3_short_term_care_home"]
    low, high = (f"{v:.1f}" for v in (min(baseline * 0.10), max(baseline * 0.10)))
    assert f"demand +{low} to +{high} a month from Dec 2025" in item.sentence
    assert "scenario Winter (version 2): now 20% more demand" in item.sentence
    # The scenario's own item names the change whole; the plan's says what moved this row.
    cause = item.sentence.split(" — ")[1]
    assert "now 20% more demand, Dec 2025–Mar 2026" in cause and " in Havering" not in cause


def test_other_service_types_do_not_move(found):
    moved = found.plan[
        (found.plan["capacity_change"].abs() > 1e-9) | (found.plan["demand_change"].abs() > 1e-9)
    ]
    assert set(moved["service_type"]) == {
        "reablement_home",
        "social_support",
        "p3_short_term_care_home",
    }


def test_a_plan_change_with_no_input_behind_it_is_flagged_unexplained(history):
    with Store.open(history, read_only=True) as store:
        a, b = find_snapshot(store, "A", HAVERING), find_snapshot(store, "B", HAVERING)
        rows = snapshot_rows(store, a.snapshot_id)
    nudged = rows.assign(
        capacity=rows["capacity"].where(
            rows["service_id"] != "bhr_rehab_beds", rows["capacity"] + 1
        )
    )
    empty = pd.DataFrame(columns=["import_id", "kind", "file_name", "loaded_by", "loaded_at"])
    result = change_words.compare(a, a, rows, nudged, empty, empty, {})
    assert [i.kind for i in result.items] == ["plan"]
    (item,) = result.items
    assert not item.explained and item.sentence.endswith("(unexplained).")
    # Hospital and community rows each gained 1: +2 a month in every month.
    assert "capacity +2 a month from Apr 2025" in item.sentence
    del b


def test_fewer_than_two_snapshots_is_a_clear_error(history):
    with pytest.raises(SnapshotError, match="Rutland has no snapshots; what changed compares two"):
        changes_between(history, "E06000017")
    with pytest.raises(SnapshotError, match="only one snapshot"):
        default_pair([find_snapshot(history, "A", HAVERING)], "Havering")


def test_unknown_names_same_snapshot_and_naming_one_side(history):
    with pytest.raises(SnapshotError, match="no snapshot called 'C'"):
        changes_between(history, HAVERING, from_name="C")
    with pytest.raises(SnapshotError, match="two different snapshots"):
        changes_between(history, HAVERING, from_name="A", to_name="a")
    # --to alone compares with the snapshot before it; --from alone with the newest.
    assert changes_between(history, HAVERING, to_name="B").earlier.name == "A"
    assert changes_between(history, HAVERING, from_name="A").later.name == "B"
    with pytest.raises(SnapshotError, match="no snapshot of Havering taken before 'A'"):
        changes_between(history, HAVERING, to_name="A")


def test_the_pack_can_call_it_with_an_open_store(history):
    with Store.open(history, read_only=True) as store:
        listed = snapshot_list(store, HAVERING)
        assert list(listed["name"]) == ["B", "A"]
        a, b = find_snapshot(store, "A", HAVERING), find_snapshot(store, "B", HAVERING)
        assert [i.sentence for i in changes_in(store, a, b).items] == [
            i.sentence for i in changes_between(history, HAVERING).items
        ]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_the_command_prints_the_changes_and_exits_0(history):
    code, out, err = run("--db", str(history), "changes", "--place", "Havering")
    assert code == 0, err
    assert "What changed in Havering from 'A'" in out
    assert "[parameters] Havering reablement (Havering): hours a month raised" in out
    assert "Reablement at home Oct 2025" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--place", "Rutland"], "Rutland has no snapshots"),
        (["--place", "Havering", "--from", "nope"], "no snapshot called 'nope'"),
        (["--place", "Nowhere"], "Nowhere"),
    ],
)
def test_the_command_reports_errors_on_stderr_with_status_1(history, argv, message):
    code, out, err = run("--db", str(history), "changes", *argv)
    assert code == 1
    assert message in err and err.startswith("error:")
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [([], "--place"), (["--place", "Havering", "--since", "A"], "unrecognized arguments")],
)
def test_a_malformed_command_line_exits_2(history, argv, message, capsys):
    with pytest.raises(SystemExit) as caught:
        run("--db", str(history), "changes", *argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err
