"""Reference and service tables are validated on load: each problem names file, row and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from capacity import config
from capacity.demo import load_demo
from capacity.store import Store
from capacity.validation import ValidationError


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    """Editable copies of the reference and demo folders."""
    reference = tmp_path / "reference"
    demo = tmp_path / "demo"
    shutil.copytree(config.REFERENCE_DIR, reference)
    shutil.copytree(config.DEMO_DIR, demo)
    return reference, demo


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def problems_of(reference: Path, demo: Path) -> str:
    store = Store.open(None)
    with pytest.raises(ValidationError) as caught:
        load_demo(store, reference_dir=reference, demo_dir=demo)
    assert store.table_counts()["services"] == 0  # nothing half-loaded
    return str(caught.value)


def test_the_shipped_data_load_cleanly():
    counts = load_demo(Store.open(None))
    # England's 153 authorities and 42 ICBs, and the demo's BHR partnership.
    assert (
        counts["places"] == 153 + 42 + 1
        and counts["services"] == 19
        and counts["referrals"] > 50_000
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "demo/services.csv",
            'bhr_hsss,"BHR Home, Settle & Support",British Red Cross,social_support',
            'bhr_hsss,"BHR Home, Settle & Support",British Red Cross,social_suport',
            "services.csv row 2, service_type 'social_suport': is not a known service type",
        ),
        (
            "demo/service_places.csv",
            "hav_reablement,E09000016",
            "hav_reablement,E09999999",
            "row 11, place_code 'E09999999': is not a known place",
        ),
        (
            "demo/service_parameters.csv",
            "bd_home_first,,throughput,,,,,2,weekday",
            "bd_home_first,,throughput,,,,,2,fortnight",
            "throughput_unit 'fortnight': must be one of month, week, weekday",
        ),
        (
            "demo/service_parameters.csv",
            "red_step_down,,caseload,7,14",
            "red_step_down,,caseload,7,0",
            "mean_los_days '0': must be at least 0.1",
        ),
        (
            "demo/service_parameters.csv",
            "red_step_down,,caseload,7,14",
            "red_step_down,,caseload,-7,14",
            "caseload '-7': must be at least 0",
        ),
        (
            "demo/service_parameters.csv",
            "red_step_down,,caseload,7,14",
            "red_step_down,,caseload,,14",
            "caseload: is required for the caseload method",
        ),
        (
            "demo/service_parameters.csv",
            "thu_ucrt,,equal_to_demand,,",
            "thu_ucrt,,equal_to_demand,5,",
            "caseload '5.0': must be blank when capacity is equal to demand",
        ),
        (
            "demo/service_parameters.csv",
            "red_step_down,,caseload,7,14,,,,,1",
            "red_step_down,,caseload,7,14,,,,,1.5",
            "hospital_share '1.5': must be at most 1",
        ),
        (
            "demo/service_parameters.csv",
            "bhr_d2a_nursing,,caseload,20,42,,,,,1",
            "bhr_d2a_nursing,,caseload,20,42,,,,,0.5",
            "p3_short_term_care_home takes hospital referrals only",
        ),
        (
            "demo/service_parameters.csv",
            "2022-04-01,2022-10-31",
            "2022-04-01,2022-11-30",
            "overlaps an earlier period of bhr_rehab_beds",
        ),
        (
            "demo/service_parameters.csv",
            "2022-04-01,2022-10-31",
            "2022-04-01,2021-10-31",
            "is before valid_from",
        ),
        (
            "demo/service_parameters.csv",
            "2022-04-01,2022-10-31",
            "2022-04-31,2022-10-31",
            "valid_from '2022-04-31': is not a date",
        ),
        (
            "demo/places.csv",
            "E09000016,Havering,hwb,BHR",
            "E09000016,Havering,hwb,XYZ",
            "parent_system 'XYZ': is not a system in places",
        ),
        (
            "reference/service_type_labels.csv",
            "ucr,community,2024-25,Urgent community response\n",
            "",
            "'ucr/community': has no label for planning year 2024-25",
        ),
        (
            "demo/service_places.csv",
            "service_id,place_code,place_share",
            "service_id,place_cod,place_share",
            "place_cod: unknown column",
        ),
    ],
)
def test_each_problem_is_reported_with_its_row_and_reason(folders, file, old, new, expected):
    reference, demo = folders
    folder = reference if file.startswith("reference/") else demo
    edit(folder / file.split("/")[1], old, new)
    assert expected in problems_of(reference, demo)


def test_place_shares_must_be_all_or_none_and_add_up(folders):
    reference, demo = folders
    edit(demo / "service_places.csv", "bhr_rehab_beds,E09000002,,", "bhr_rehab_beds,E09000002,0.5,")
    assert "give a share for every place or for none" in problems_of(reference, demo)
    edit(demo / "service_places.csv", "bhr_rehab_beds,E09000016,,", "bhr_rehab_beds,E09000016,0.3,")
    edit(demo / "service_places.csv", "bhr_rehab_beds,E09000026,,", "bhr_rehab_beds,E09000026,0.3,")
    assert "place shares must add up to 1" in problems_of(reference, demo)


def test_every_problem_is_listed_not_just_the_first(folders):
    reference, demo = folders
    edit(
        demo / "service_parameters.csv",
        "red_step_down,,caseload,7,14",
        "red_step_down,,caseload,x,14",
    )
    edit(
        demo / "service_parameters.csv",
        "bd_home_first,,throughput,,,,,2,weekday",
        "bd_home_first,,throughput,,,,,two,weekday",
    )
    report = problems_of(reference, demo)
    assert "2 problem(s)" in report
    assert "caseload 'x': is not a number" in report and "throughput 'two'" in report
