"""File names that say what an export holds: 'havering-2025-26-capacity-demand.xlsx'."""

from __future__ import annotations

import re

from capacity.export.images import IMAGE_FORMATS
from capacity.export.scope import Scope
from capacity.periods import planning_year_label


def slug(text: str) -> str:
    """Lower case, letters and digits, words joined by hyphens ('Barking & Dagenham' → ...)."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("&", " and "))
    return "-".join(words)[:60].strip("-") or "export"


def file_name(scope: Scope, year: int, fmt: str, service_type: str | None = None) -> str:
    """A file name that says what is inside: 'havering-2025-26-capacity-demand.xlsx'."""
    name = scope.total[0] if scope.total and scope.total[0] else scope.name
    what = (
        f"gap-{slug(service_type)}"
        if fmt in IMAGE_FORMATS and service_type
        else ("plan" if fmt == "csv" else "capacity-demand")
    )
    return f"{slug(name)}-{planning_year_label(year)}-{what}.{fmt}"
