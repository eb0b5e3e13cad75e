"""Exports of the plan frame as bytes: the BCF capacity & demand workbook, CSV and chart images.

Every export takes a plan frame (from :mod:`capacity.plan`) and what the
export says about itself (:class:`ExportInfo`: planning year, scenario, when
it was made, product version, the service types and their labels), and
returns bytes. The app's download buttons and the command line call the same
function, :func:`export_bytes`, so a file made from either holds the same
numbers.

Where things live:

* :mod:`~capacity.export.scope` — what an export covers (places, their total)
  and says about itself; the export error.
* :mod:`~capacity.export.tables` — the BCF capacity & demand tables: template
  rows from the reference data, rounded sections, a system's total, assumptions.
* :mod:`~capacity.export.sheets` — the xlsx workbook's sheets and layout, and
  the zip of one workbook per place.
* :mod:`~capacity.export.csv_files` — CSV bytes, safe to open in a spreadsheet.
* :mod:`~capacity.export.images` — chart images drawn with kaleido and Chromium.
* :mod:`~capacity.export.naming` — file names that say what is inside.
* :mod:`~capacity.export.formats` — the formats offered, their MIME types, and
  :func:`export_bytes`, which makes any of them.
"""

from capacity.export.csv_files import csv_bytes, plan_csv
from capacity.export.formats import FORMATS, MIME_TYPES, export_bytes
from capacity.export.images import (
    IMAGE_FORMATS,
    chart_image,
    chart_service_types,
    chart_title,
    gap_figure,
    name_scenario,
    stop_renderer,
)
from capacity.export.naming import file_name
from capacity.export.scope import ExportError, ExportInfo, Scope, scope_for
from capacity.export.sheets import workbook
from capacity.export.tables import preview

__all__ = [
    "FORMATS",
    "IMAGE_FORMATS",
    "MIME_TYPES",
    "ExportError",
    "ExportInfo",
    "Scope",
    "chart_image",
    "chart_service_types",
    "chart_title",
    "csv_bytes",
    "export_bytes",
    "file_name",
    "gap_figure",
    "name_scenario",
    "plan_csv",
    "preview",
    "scope_for",
    "stop_renderer",
    "workbook",
]
