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


# -- the application layer -------------------------------------------------------

ROOT = config.PROJECT_ROOT
VIEWS = PACKAGE / "views"
APP_EDGE = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]

# What the pages and app.py may import from capacity besides capacity.views and capacity.charts,
# each a presentation helper that reads nothing and composes nothing (None: any name).
PRESENTATION = {
    "capacity": {"config", "access"},  # settings such as today and upload limits; the user
    "capacity.access": None,  # the signed-in user, roles and the refusal a page reports
    "capacity.config": None,  # settings: the database path, today, upload limits, content files
    "capacity.periods": None,  # month and planning-year labels and month lists
    "capacity.summary": None,  # reshapes a plan frame already built into display tables
    "capacity.flow.report": None,  # words and tables of a flow result already run
    "capacity.display": None,  # column labels, value labels and rounding for the screen
    "capacity.formulas": {"InvalidInput"},  # the error class a page reports
    "capacity.plan": {"PlanError"},  # the error class a page reports
    "capacity.timing_log": None,  # the timing log's writer, which app.py's hook times runs with
}


def imports_from(path: Path) -> list[tuple[str, set[str]]]:
    """Each absolute import in a file: the module and the names taken from it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, {alias.name for alias in node.names}))
    return found


def test_pages_and_the_app_import_no_store_and_no_duckdb():
    offenders = [
        f"{path.name}: {module} {sorted(names)}"
        for path in APP_EDGE
        for module, names in imports_from(path)
        if module.split(".")[0] == "duckdb"
        or module == "capacity.store"
        or "Store" in names
        or "store" in names
    ]
    assert offenders == []


def test_pages_and_the_app_reach_the_domain_only_through_the_application_layer():
    offenders = []
    for path in APP_EDGE:
        for module, names in imports_from(path):
            if module.split(".")[0] != "capacity":
                continue
            if module in ("capacity.charts", "capacity.views") or module.startswith(
                "capacity.views."
            ):
                continue
            allowed = PRESENTATION.get(module, set())
            if module == "capacity" and not names:
                offenders.append(f"{path.name}: import capacity")
            elif allowed is not None and not names <= allowed:
                offenders.append(f"{path.name}: {module} {sorted(names - allowed)}")
    assert offenders == []


def test_streamlit_caching_lives_only_at_the_app_edge():
    users = [
        p.name
        for p in PACKAGE.rglob("*.py")
        if "cache_data" in p.read_text("utf-8") or "cache_resource" in p.read_text("utf-8")
    ]
    assert users == []


def _capacity_module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_domain_never_imports_the_application_layer_or_the_command_line():
    """Imports run one way: the domain below, then capacity.views, then the CLI (capacity.cli
    and its sub-command modules in capacity.commands) and pages."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        name = _capacity_module(path)
        if name.startswith(("capacity.views", "capacity.commands")) or name in (
            "capacity.cli",
            "capacity.__main__",
        ):
            continue
        for module, _names in imports_from(path):
            if (
                module.startswith(("capacity.views", "capacity.commands"))
                or module == "capacity.cli"
            ):
                offenders.append(f"{name} imports {module}")
    assert offenders == []


def test_the_application_layer_never_imports_the_command_line_or_the_pages():
    offenders = [
        f"{_capacity_module(p)} imports {module}"
        for p in VIEWS.rglob("*.py")
        for module, _ in imports_from(p)
        if module == "capacity.cli"
        or module.startswith("capacity.commands")
        or module.split(".")[0] in ("pages", "streamlit")
    ]
    assert offenders == []


def test_the_capacity_package_has_no_import_cycles():
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        # Only imports at module level make a cycle at import time.
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        targets = set()
        for node in top:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        graph[_capacity_module(path)] = {t for t in targets if t.startswith("capacity")}
    modules = set(graph)
    edges = {m: {t for t in ts if t in modules and t != "capacity"} for m, ts in graph.items()}
    seen: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> list[str]:
        seen[node] = 1
        for nxt in sorted(edges[node]):
            if seen.get(nxt) == 1:
                return [*trail, node, nxt]
            if nxt not in seen and (cycle := visit(nxt, [*trail, node])):
                return cycle
        seen[node] = 2
        return []

    cycles = [c for m in sorted(modules) if m not in seen and (c := visit(m, []))]
    assert cycles == []
