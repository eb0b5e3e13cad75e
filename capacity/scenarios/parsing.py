"""Reading scenarios: a change or a scenario from a JSON-like dictionary or a JSON file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from capacity.scenarios.model import Change, Scenario, ScenarioError


def text_list(value: object, field_name: str, where: str) -> tuple[str, ...]:
    """Names or codes from a list, or from text separated by commas or bars (empty: none)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in re.split(r"[,|]", value) if v.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ScenarioError([f"{where}: {field_name} must be a list of names or codes"])


def change_from_dict(data: dict, where: str = "change") -> Change:
    """A change from a JSON-like dictionary, with a clear error for a malformed one."""
    if not isinstance(data, dict):
        raise ScenarioError([f"{where} must be an object"])
    unknown = set(data) - {f for f in Change.__dataclass_fields__}
    if unknown:
        raise ScenarioError([f"{where}: unknown field(s) {', '.join(sorted(unknown))}"])
    missing = [k for k in ("lever", "value", "first_month", "last_month") if k not in data]
    if missing:
        raise ScenarioError([f"{where}: missing {', '.join(missing)}"])
    try:
        value = float(data["value"])
    except (TypeError, ValueError):
        raise ScenarioError([f"{where}: value must be a number"]) from None
    all_services = data.get("all_services", False)
    if not isinstance(all_services, bool):
        raise ScenarioError([f"{where}: all_services must be true or false"])
    return Change(
        lever=str(data["lever"]),
        value=value,
        first_month=str(data["first_month"]),
        last_month=str(data["last_month"]),
        places=text_list(data.get("places"), "places", where),
        service_types=text_list(data.get("service_types"), "service_types", where),
        services=text_list(data.get("services"), "services", where),
        to_service_type=data.get("to_service_type") or None,
        source=data.get("source") or None,
        all_services=all_services,
    )


def scenario_from_dict(data: dict) -> Scenario:
    """A scenario from a JSON-like dictionary."""
    if not isinstance(data, dict):
        raise ScenarioError(["a scenario must be a JSON object"])
    unknown = set(data) - {"name", "description", "author", "changes"}
    if unknown:
        raise ScenarioError([f"unknown field(s) {', '.join(sorted(unknown))}"])
    changes = data.get("changes", [])
    if not isinstance(changes, list):
        raise ScenarioError(["changes must be a list"])
    return Scenario(
        name=str(data.get("name", "")).strip(),
        description=str(data.get("description", "") or ""),
        author=str(data.get("author", "") or ""),
        changes=tuple(change_from_dict(c, f"change {i + 1}") for i, c in enumerate(changes)),
    )


def scenario_from_json(path: Path) -> Scenario:
    """Read a scenario from a JSON file, with a clear error for an unreadable one."""
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"cannot read {path}: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}"]) from None
    return scenario_from_dict(data)
