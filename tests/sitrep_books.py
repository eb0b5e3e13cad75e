"""Small NHS England discharge SitReps in the published layout, made by tests.

The layout follows the real monthly workbooks (``../shared/data/nhse-acute-discharge-sitrep``):
a Table 4 sheet among others, a title and a long note above the header, destination
headings broken over lines, an England row and region rows, then an ICB block and a trust
block each under its own "Region / Code / Name" header, and "-" for suppressed cells.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

# The twelve destinations of Table 4, as headed in the workbooks (line breaks and all).
DESTINATIONS = [
    "P0 - Domestic home \nwithout reablement support",
    "P0 - Other without\nreablement support",
    "P1 - Domestic home with\nreablement support",
    "P1 - Other with reablement support",
    "P1 - Hotel with\nreablement support",
    "P2 - Care Home\n(short term 24hr support)",
    "P2 - Designated Setting (isolation before moving to care home)",
    "P2 - Hospice\n(short term 24hr support)",
    "P2 - Community Rehab Setting\n(short term 24hr support)",
    "P3 - Care Home\n(new admission, likely permanent)",
    "P3b - Care Home\n(existing resident discharged back)",
    "P3 - Designated Setting (isolation before moving to care home as new admission)",
]
# Short names tests use for the columns, in the same order.
SHORT = ["p0", "p0_other", "p1", "p1_other", "p1_hotel", "p2_home", "p2_designated",
         "p2_hospice", "p2_rehab", "p3", "p3b", "p3_designated"]  # fmt: skip


def write_sitrep(path: Path, month_title: str, trusts: dict[str, dict[str, float | str]]) -> Path:
    """A workbook for one month ("June 2023"): ``trusts`` maps a trust code to its counts
    by short destination name (missing ones are 0; "-" is a suppressed cell). The ICB and
    region rows are the trusts' sums (one ICB, one region), as in the real workbooks."""
    book = openpyxl.Workbook()
    book.active.title = "Cover Sheet"
    book.create_sheet("Contents")
    sheet = book.create_sheet("Table 4")
    book.create_sheet("Table 5")
    rows = {code: [counts.get(short, 0) for short in SHORT] for code, counts in trusts.items()}
    columns = zip(*rows.values(), strict=True)
    totals = [sum(v for v in column if isinstance(v, int | float)) for column in columns]
    sheet["B2"] = "Table 4: Month total number of patients discharged by their intended destination"
    sheet["B3"] = "Contents"
    sheet["B5"] = "Notes: \n1. Due to disclosure risks, trust-level data exclude hospices."
    sheet["E4"] = f"{month_title} - Total number of patients discharged"
    sheet.append([None, None, None, None, *DESTINATIONS])  # row 6
    sheet.append([None, None, None, "ENGLAND (Type 1 Trusts)", *totals])
    sheet.append([None, None, None, "LONDON", *totals])
    sheet.append([])
    sheet.append([None, "Region", "ICB Code", "ICB Name"])
    sheet.append([None, "LONDON", "QMF", "NHS NORTH EAST LONDON INTEGRATED CARE BOARD", *totals])
    sheet.append([])
    sheet.append([None, "Region", "Org Code", "Org Name"])
    for code, values in rows.items():
        sheet.append([None, "LONDON", code, f"TRUST {code}", *values])
    sheet.append([None, "Source: Acute Discharge Situation Report, NHS England"])
    book.save(path)
    return path
