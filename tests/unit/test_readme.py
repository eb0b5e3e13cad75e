"""The README's commands are the ones that work: CI runs exactly its test command."""

from __future__ import annotations

import re

from capacity import config

README = (config.PROJECT_ROOT / "README.md").read_text("utf-8")


def notebook_examples() -> list[str]:
    section = README[README.index("### From a notebook"):]
    section = section[: section.index("\n## ")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def fenced_commands() -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", README, re.S)]


def test_readme_starts_with_the_two_set_up_commands():
    first, second = fenced_commands()[:2]
    assert "streamlit run app.py" in first and "requirements.txt" in first
    assert "pytest" in second and "requirements-dev.txt" in second
    assert README.index(first) < README.index("## ")


def test_ci_runs_exactly_the_readme_test_command():
    ci = (config.PROJECT_ROOT / ".ci" / "run").read_text("utf-8")
    test_command = fenced_commands()[1]
    assert test_command in ci.splitlines()


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (config.PROJECT_ROOT / name).read_text("utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r")):
                assert "==" in line, f"{name}: {line} is not pinned"


def test_the_notebook_examples_run_on_a_fresh_clone(tmp_path, monkeypatch):
    # No database yet, and CAPACITY_DB pointing somewhere new: the example must build it there.
    database = tmp_path / "notebook.duckdb"
    monkeypatch.setenv(config.DB_ENV, str(database))
    names: dict = {}
    for block in notebook_examples():
        exec(block, names)  # the README's own example code, as an analyst would paste it
    assert database.exists()
    frame = names["frame"]
    assert set(frame["place"]) == {"Havering"}
    assert set(frame["month"]) == {f"2025-{m:02d}" for m in range(4, 13)} | {
        f"2026-{m:02d}" for m in (1, 2, 3)
    }
