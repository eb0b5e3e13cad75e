"""What an export is of: its scope, scenario and the wording it needs, for the download button
and the ``export`` command alike."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from capacity import __version__, export
from capacity.export import (
    FORMATS,
    IMAGE_FORMATS,
    MIME_TYPES,
    ExportError,
    ExportInfo,
    chart_service_types,
    chart_title,
    file_name,
    gap_figure,
    name_scenario,
    preview,
    scope_for,
)
from capacity.scenarios.model import Scenario
from capacity.workforce import Assumptions

__all__ = [
    "FORMATS",
    "IMAGE_FORMATS",
    "MIME_TYPES",
    "ExportError",
    "ExportInfo",
    "chart_service_types",
    "chart_title",
    "export_bytes",
    "export_info",
    "file_name",
    "gap_figure",
    "name_scenario",
    "preview",
    "scope_for",
]


def export_info(
    types: pd.DataFrame,
    labels: pd.DataFrame,
    year: int,
    scenario: Scenario | None,
    made_at: datetime,
    workforce: Assumptions | None = None,
) -> ExportInfo:
    """How an export describes itself: year, scenario, when, this version, and the service
    types' names and BCF wording (see places.service_types and service_type_labels); the
    workforce assumptions in force (:func:`capacity.views.workforce.load_assumptions`) for
    the CSV's workforce columns."""
    return ExportInfo(
        year=year,
        scenario=scenario,
        made_at=made_at,
        version=__version__,
        service_types=types,
        labels=labels,
        workforce=workforce,
    )


def export_bytes(fmt: str, frame: pd.DataFrame, scope, info: ExportInfo, **options) -> bytes:
    """The file of one export format (see :func:`capacity.export.export_bytes`).

    Looked up when called, so the download button and the command line make the
    file with the one export function, whatever replaces it in a test.
    """
    return export.export_bytes(fmt, frame, scope, info, **options)
