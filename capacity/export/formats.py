"""The export formats, and the one entry point that makes any of them as bytes.

The app's download buttons and the command line both call
:func:`export_bytes`, so a file made from either holds the same numbers.
"""

from __future__ import annotations

import pandas as pd

from capacity.export.csv_files import plan_csv
from capacity.export.images import (
    chart_image,
    chart_service_types,
    chart_title,
    gap_figure,
    name_scenario,
)
from capacity.export.scope import ExportError, ExportInfo, Scope
from capacity.export.sheets import workbook, workbooks_zip

FORMATS = {
    "xlsx": "the BCF capacity & demand workbook",
    "csv": "the plan frame, unrounded, as CSV",
    "png": "a gap chart as a PNG image",
    "svg": "a gap chart as an SVG image",
    "zip": "one workbook per place, in a zip file",
}
MIME_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "png": "image/png",
    "svg": "image/svg+xml",
    "zip": "application/zip",
}


def export_bytes(
    fmt: str,
    frame: pd.DataFrame,
    scope: Scope,
    info: ExportInfo,
    *,
    service_type: str | None = None,
    source: str = "both",
) -> bytes:
    """Any export as bytes, by format: xlsx, csv, png, svg or zip.

    ``frame`` holds the plan rows of the scope's places (other rows are
    ignored). Charts are of ``service_type`` (default: the first in plan
    order with figures) and ``source``, summed over the scope's places.
    """
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    rows = frame[frame["place_code"].isin(scope.codes)]
    if fmt == "xlsx":
        return workbook(rows, scope, info)
    if fmt == "zip":
        return workbooks_zip(rows, scope, info)
    if fmt == "csv":
        return plan_csv(rows, info.workforce)
    chosen = service_type or next(iter(chart_service_types(rows, info.service_types)), None)
    if chosen is None:
        raise ExportError(f"{scope.name} has no figures to chart.")
    names = dict(zip(info.service_types["service_type"], info.service_types["name"], strict=True))
    title = chart_title(scope.name, names.get(chosen, chosen), source, info.year)
    return chart_image(name_scenario(gap_figure(rows, chosen, source, title), info.scenario), fmt)
