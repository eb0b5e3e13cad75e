"""Small NHS England discharge SitReps in the published layout, made by tests.

The layout follows the real monthly workbooks (``../shared/data/nhse-acute-discharge-sitrep``):
a Table 4 sheet among others, a title and a long note above the header, destination
headings broken over lines, an England row and region rows, then an ICB block and a trust
block each under its own "Region / Code / Name" header, and "-" for suppressed cells.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd

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


def write_sitrep(
    path: Path,
    month_title: str,
    trusts: dict[str, dict[str, float | str]],
    trust_rows: list[tuple[str, str]] | None = None,
) -> Path:
    """A workbook for one month ("June 2023"): ``trusts`` maps a trust code to its counts
    by short destination name (missing ones are 0; "-" is a suppressed cell). The ICB and
    region rows are the trusts' sums (one ICB, one region), as in the real workbooks.
    ``trust_rows`` (code, name) writes the trust block's rows in that order instead of one
    row per trust named "TRUST <code>" (a code may come twice, a name may be hostile)."""
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
    for code, name in trust_rows or [(code, f"TRUST {code}") for code in rows]:
        sheet.append([None, "LONDON", code, name, *rows[code]])
    sheet.append([None, "Source: Acute Discharge Situation Report, NHS England"])
    book.save(path)
    return path


# A year of SitRep for Barking, Havering and Redbridge's trust (RF4), April 2024 to March
# 2025: P2 care home discharges feed reablement in a bedded setting, which Havering has no
# service of; no new P3 admissions beside 40 P3b every month (the P3 flag); and April
# 2025's P1 ten times March's (a reporting break).
RF4_YEAR = {"p0": 900, "p1": 120, "p2_home": 60, "p2_rehab": 30, "p3": 0, "p3b": 40}
YEAR_TITLES = [
    f"{month} {2024 + (month in ('January', 'February', 'March'))}"
    for month in ("April", "May", "June", "July", "August", "September", "October",
                  "November", "December", "January", "February", "March")
]  # fmt: skip


def demo_with_sitrep(demo_db: Path, folder: Path) -> Path:
    """A copy of the demo database in ``folder`` with :data:`RF4_YEAR` loaded for every month
    of 2024/25, April 2025 with a break, and Havering's social support set to be planned
    from published counts, which it has none of (so it has no demand data)."""
    from capacity.demand_settings import read_settings, settings_table
    from capacity.ingest import load, stage_file
    from capacity.store import Store

    database = folder / "sitrep.duckdb"
    shutil.copyfile(demo_db, database)
    months = {title: RF4_YEAR for title in YEAR_TITLES} | {"April 2025": RF4_YEAR | {"p1": 1500}}
    with Store.open(database) as store:
        for title, counts in months.items():
            path = write_sitrep(folder / f"{title}.xlsx", title, {"RF4": counts})
            assert load(store, stage_file(path, "sitrep", workdir=folder)).import_id
        setting = {"place_code": "E09000016", "service_type": "social_support"}
        setting |= {"window_years": 3, "growth_method": "flat", "demand_source": "counts"}
        with store.transaction() as tx:
            tx.insert_frame(
                "demand_settings", settings_table(read_settings(pd.DataFrame([setting])))
            )
    return database
