"""``python -m capacity decision add|list|set``: recording, listing open actions, closing them,
and each error with its exit status."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from capacity.cli import main
from capacity.commands import user


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def with_snapshot(demo_db, tmp_path_factory) -> Path:
    """The demo with a snapshot of BHR called 'DIWG 12 November' (taken once)."""
    path = tmp_path_factory.mktemp("decisions") / "snapshot.duckdb"
    shutil.copyfile(demo_db, path)
    code, _, err = run(
        "snapshot", "save", "DIWG 12 November", "--place", "BHR", "--year", "2025",
        "--db", str(path),
    )  # fmt: skip
    assert code == 0, err
    return path


@pytest.fixture
def db(with_snapshot, tmp_path) -> str:
    """A private copy of the demo with its snapshot, for a test to change."""
    copy = tmp_path / "decisions.duckdb"
    shutil.copyfile(with_snapshot, copy)
    return str(copy)


def test_add_list_and_close_an_action(db):
    code, out, err = run(
        "decision", "add", "--snapshot", "diwg 12 november", "--place", "Havering",
        "--text", '=HYPERLINK("x")', "--owner", "Ann Lead", "--due", "2026-01-31", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert out == "Recorded decision 1 for Havering, against snapshot 'DIWG 12 November'.\n"
    code, out, _ = run(
        "decision", "add", "--snapshot", "DIWG 12 November", "--text",
        "<script>alert(1)</script>", "--db", db,
    )  # fmt: skip
    assert code == 0 and "for Barking & Dagenham, Havering and Redbridge" in out

    code, out, _ = run("decision", "list", "--place", "Havering", "--db", db)
    assert code == 0
    # Each text as typed, on its own indented line; the newest first.
    assert "\n    <script>alert(1)</script>\n" in out
    assert '\n    =HYPERLINK("x")\n' in out
    assert out.index("<script>") < out.index("=HYPERLINK")
    assert "#1 open · Havering · owner Ann Lead · due 2026-01-31" in out
    assert f"made by {user().label} on " in out

    # Open actions: the decision with an owner and a date; the other has neither.
    _, out, _ = run("decision", "list", "--place", "E09000016", "--open", "--db", db)
    assert "#1 open" in out and "#2" not in out

    code, out, _ = run("decision", "set", "1", "--status", "done", "--db", db)
    assert (code, out) == (0, "Decision 1 is now done.\n")
    _, out, _ = run("decision", "list", "--open", "--db", db)
    assert out == "No open actions.\n"
    _, out, _ = run("decision", "list", "--db", db)
    assert "#1 done · Havering" in out and f"; done by {user().label} on " in out


def test_decisions_as_csv_keep_a_formula_like_text_as_text(db):
    """In the CSV a spreadsheet opens, '=HYPERLINK(...)' starts with an apostrophe (it
    reads as the text typed, never runs); other texts are as typed."""
    import csv

    run(
        "decision", "add", "--snapshot", "DIWG 12 November", "--place", "Havering",
        "--text", '=HYPERLINK("x")', "--owner", "Ann Lead", "--db", db,
    )  # fmt: skip
    run(
        "decision", "add", "--snapshot", "DIWG 12 November", "--place", "Havering",
        "--text", "<script>alert(1)</script>", "--db", db,
    )  # fmt: skip
    code, out, _ = run("decision", "list", "--place", "Havering", "--format", "csv", "--db", db)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["text"] for r in rows] == ["<script>alert(1)</script>", '\'=HYPERLINK("x")']
    assert rows[1]["owner"] == "Ann Lead" and rows[1]["status"] == "open"


def test_a_decision_against_a_saved_scenario_version(db, tmp_path):
    scenario = tmp_path / "winter.json"
    scenario.write_text(
        '{"name": "Winter", "description": "", "changes": [{"lever": "demand_pct", '
        '"value": 10, "first_month": "2025-12", "last_month": "2026-03", "places": ["BHR"]}]}'
    )
    assert run("scenario", "save", str(scenario), "--db", db)[0] == 0
    code, out, err = run(
        "decision", "add", "--scenario", "Winter", "--version", "1", "--place", "BHR",
        "--text", "Pursue it", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert "against scenario 'Winter' version 1" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--snapshot", "DIWG 12 November", "--text", " "], "needs its text"),
        (["--snapshot", "DIWG 12 November", "--text", "x", "--due", "2026-02-30"],
         "'2026-02-30' is not a real date"),
        (["--snapshot", "DIWG 12 November", "--text", "x", "--due", "2101-01-01"],
         "outside the years 2000 to 2100"),
        (["--snapshot", "DIWG 12 November", "--text", "x", "--owner", "o" * 201],
         "at most 200 characters"),
        (["--snapshot", "DIWG 1 December", "--text", "x"],
         "no snapshot called 'DIWG 1 December'"),
        (["--snapshot", "DIWG 12 November", "--place", "Thurrock", "--text", "x"],
         "no snapshot called 'DIWG 12 November' of this place"),
        (["--scenario", "Winter", "--text", "x"], "needs --place"),
        (["--scenario", "Winter", "--place", "BHR", "--text", "x"],
         "no saved scenario called 'Winter'"),
        (["--snapshot", "DIWG 12 November", "--version", "2", "--text", "x"],
         "--version goes with --scenario"),
    ],
)  # fmt: skip
def test_a_refused_decision_exits_1_with_the_reason_and_stores_nothing(db, argv, message):
    code, out, err = run("decision", "add", *argv, "--db", db)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err
    assert run("decision", "list", "--db", db)[1] == "No decisions yet.\n"


def test_errors_of_set(writable_db):
    code, _, err = run("decision", "set", "7", "--status", "done", "--db", str(writable_db))
    assert code == 1 and "no decision number 7" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["add", "--text", "x"],  # against nothing
        ["add", "--snapshot", "A", "--scenario", "B", "--text", "x"],
        ["add", "--snapshot", "A"],  # no text
        ["set", "1", "--status", "finished"],
        ["set", "one", "--status", "done"],
        ["add", "--scenario", "A", "--version", "0", "--text", "x"],
    ],
)
def test_a_malformed_command_line_exits_2(tmp_path, argv, capsys):
    with pytest.raises(SystemExit) as caught:
        run("decision", *argv, "--db", str(tmp_path / "none.duckdb"))
    assert caught.value.code == 2
