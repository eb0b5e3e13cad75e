"""The README's commands are the ones that work: CI runs exactly its test command, the examples
in docs/ run, every relative link in the README and docs/ leads somewhere, and run.py does what
the README says."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from capacity import config

ROOT = config.PROJECT_ROOT
README = (ROOT / "README.md").read_text("utf-8")
FORMULAS = (ROOT / "docs" / "formulas.md").read_text("utf-8")


def load_run_py():
    """run.py is a script, not a package module: load it by path."""
    spec = importlib.util.spec_from_file_location("run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebook_examples() -> list[str]:
    section = FORMULAS[FORMULAS.index("## From a notebook") :]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def two_commands() -> list[tuple[str, str]]:
    """The README's table of commands: (Linux and macOS form, Windows form), in order."""
    return re.findall(
        r"^\|[^|\n]*\| `(python3 run\.py [^`]+)` \| `(py run\.py [^`]+)` \|$", README, re.M
    )


def test_readme_starts_with_the_two_commands_and_their_windows_form():
    assert two_commands() == [
        ("python3 run.py app", "py run.py app"),
        ("python3 run.py test", "py run.py test"),
    ]
    first_section = README.index("\n## ")
    assert README.index("python3 run.py app") < README.index("\n## ", first_section + 1)
    assert "`.venv`" in README


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    test_command = two_commands()[1][0]
    assert test_command in ci.splitlines()
    assert "set -euo pipefail" in ci.splitlines()


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-spark.txt"):
        for line in (ROOT / name).read_text("utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r")):
                assert "==" in line, f"{name}: {line} is not pinned"


def test_the_notebook_examples_run_on_a_fresh_clone(tmp_path, monkeypatch):
    # No database yet, and CAPACITY_DB pointing somewhere new: the example must build it there.
    database = tmp_path / "notebook.duckdb"
    monkeypatch.setenv(config.DB_ENV, str(database))
    names: dict = {}
    examples = notebook_examples()
    assert len(examples) == 2
    for block in examples:
        exec(block, names)  # the documentation's own example code, as an analyst would paste it
    assert database.exists()
    frame = names["frame"]
    assert set(frame["place"]) == {"Havering"}
    assert set(frame["month"]) == {f"2025-{m:02d}" for m in range(4, 13)} | {
        f"2026-{m:02d}" for m in (1, 2, 3)
    }


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text("utf-8"), flags=re.S)
    return {github_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize(
    "page", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_every_relative_link_leads_to_a_file_and_heading(page):
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        name, _, anchor = target.partition("#")
        linked = (page.parent / name).resolve() if name else page
        assert linked.exists(), f"{page.name}: {target} leads nowhere"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page.name}: no heading for {target}"


def test_the_bench_table_lives_in_the_benchmark_page():
    page = (ROOT / "docs" / "benchmark.md").read_text("utf-8")
    assert "<!-- bench:start -->" in page and "<!-- bench:end -->" in page
    assert "<!-- bench:start -->" not in README


def test_run_py_refuses_an_unknown_command_with_its_usage(capsys):
    run = load_run_py()
    assert run.main(["serve"]) == 2
    error = capsys.readouterr().err
    assert "unknown command 'serve'" in error and "run.py app" in error and "run.py test" in error
    assert run.main([]) == 2


def test_run_py_hashes_a_requirements_file_with_the_files_it_includes(tmp_path, monkeypatch):
    run = load_run_py()
    monkeypatch.setattr(run, "ROOT", tmp_path)
    (tmp_path / "base.txt").write_text("streamlit==1.0\n", "utf-8")
    (tmp_path / "dev.txt").write_text("-r base.txt  # the runtime\npytest==9.0\n", "utf-8")
    assert [p.name for p in run.requirement_files("dev.txt")] == ["dev.txt", "base.txt"]
    before = run.requirements_hash("dev.txt")
    (tmp_path / "base.txt").write_text("streamlit==1.1\n", "utf-8")
    assert run.requirements_hash("dev.txt") != before


def test_run_py_puts_the_virtual_environment_first_on_the_path():
    run = load_run_py()
    env = run.venv_environment()
    assert env["VIRTUAL_ENV"] == str(run.VENV)
    assert env["PATH"].split(run.os.pathsep)[0] == str(run.venv_scripts())


def test_run_py_workspace_makes_an_empty_database_once_and_opens_the_app_on_it(
    tmp_path, monkeypatch
):
    run = load_run_py()
    monkeypatch.setattr(run, "ROOT", tmp_path)
    steps: list[list[str]] = []
    served: list[tuple[list[str], str]] = []

    def step(label, arguments, env):
        steps.append(arguments)
        Path(arguments[-1]).parent.mkdir(parents=True, exist_ok=True)
        Path(arguments[-1]).write_bytes(b"made")  # as init --empty would
        return 0

    monkeypatch.setattr(run, "run_step", step)
    monkeypatch.setattr(
        run, "run_app", lambda extra, env: served.append((extra, env["CAPACITY_DB"]))
    )
    run.run_workspace(["--server.port", "8600"], {})
    made = tmp_path / "data" / "workspace.duckdb"
    assert steps == [["-m", "capacity", "init", "--empty", "--db", str(made)]]
    assert served == [(["--server.port", "8600"], str(made))]
    run.run_workspace([str(tmp_path / "leeds.duckdb")], {})
    run.run_workspace([str(tmp_path / "leeds.duckdb")], {})  # there now: opened, not made again
    assert len(steps) == 2 and served[-1] == ([], str(tmp_path / "leeds.duckdb"))
