"""The house rules that keep the maths independent of the screen and the database."""

from __future__ import annotations

import ast
from pathlib import Path

from capacity import config

PACKAGE = config.PROJECT_ROOT / "capacity"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_nothing_in_capacity_imports_streamlit():
    offenders = [p.name for p in PACKAGE.rglob("*.py") if "streamlit" in imported_modules(p)]
    assert offenders == []


def test_only_the_store_imports_duckdb():
    users = sorted(p.name for p in PACKAGE.rglob("*.py") if "duckdb" in imported_modules(p))
    assert users == ["store.py"]


def test_every_module_and_public_function_has_a_docstring():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        if not ast.get_docstring(tree):
            missing.append(path.name)
        for node in tree.body:
            public = isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name[0] != "_"
            if public and not ast.get_docstring(node):
                missing.append(f"{path.name}:{node.name}")
    assert missing == []
