"""An England-scale synthetic data set for the benchmark, the same every time for a seed.

152 places (Health and Wellbeing Boards) in 42 systems, every service type,
three planning years of referral history (April 2022 to March 2025), and
effective-dated service parameters: winter flex beds each November to March,
extra reablement hours from October 2024. Places, services and parameters are
written as the CSV files the demo database is built from (so they pass the same
checks); the referral records as one extract in the import format, for the
benchmark to import.

Nothing here is real: codes are E99…, names "Place 001", "System 01". Referral
volumes follow each place's population aged 65+, with a winter peak in January
and 3% growth a year.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb  # the benchmark writes its data file directly; the product never does
import numpy as np
import pandas as pd

from capacity import config, england
from capacity.demo import build_demo_database

PLACES, SYSTEMS = 152, 42
FIRST_MONTH, MONTHS = pd.Timestamp("2022-04-01"), 36
EXTRACT_DAY = pd.Timestamp("2025-03-31")
PLAN_YEAR = 2025
NOTE = "Synthetic England-scale benchmark data (bench/england.py); not real figures"

# Service type: (setting of the service: place or system, method, mean stay in days,
# share of all referrals, hospital share of its referrals).
SERVICE_MIX = {
    "social_support": ("place", "throughput", 10, 0.16, 0.7),
    "ucr": ("place", "throughput", 2, 0.17, 0.0),
    "reablement_home": ("place", "hours", 28, 0.18, 0.75),
    "rehab_home": ("place", "caseload", 35, 0.12, 0.6),
    "short_term_domcare": ("place", "hours", 21, 0.08, 1.0),
    "other_short_term_social_care": ("place", "throughput", 14, 0.06, 0.0),
    "reablement_bed": ("place", "caseload", 21, 0.05, 0.8),
    "rehab_bed": ("system", "caseload", 28, 0.08, 0.95),
    "other_short_term_bedded": ("system", "caseload", 21, 0.05, 1.0),
    "p3_short_term_care_home": ("system", "caseload", 42, 0.05, 1.0),
}
WINTER_FLEX = {"rehab_bed": 0.15, "p3_short_term_care_home": 0.10}
PATHWAYS = {
    "social_support": "P0",
    "reablement_home": "P1",
    "rehab_home": "P1",
    "short_term_domcare": "P1",
    "reablement_bed": "P2",
    "rehab_bed": "P2",
    "other_short_term_bedded": "P2",
    "p3_short_term_care_home": "P3",
}
PARAMETER_COLUMNS = [
    "service_id",
    "place_code",
    "method",
    "caseload",
    "mean_los_days",
    "hours_per_month",
    "hours_per_package_per_month",
    "throughput",
    "throughput_unit",
    "hospital_share",
    "contract_share",
    "target_occupancy",
    "spot_ceiling_per_month",
    "valid_from",
    "valid_to",
    "source_note",
]
HOURS_PER_PACKAGE = 40.0


@dataclass(frozen=True)
class Dataset:
    """Where the generated files are, and how big the data set is."""

    reference_dir: Path
    demo_dir: Path
    referrals_csv: Path
    places: int
    systems: int
    services: int
    parameter_rows: int
    referrals: int


def _places(rng: np.random.Generator) -> pd.DataFrame:
    sizes = np.full(SYSTEMS, PLACES // SYSTEMS)
    sizes[rng.choice(SYSTEMS, PLACES - sizes.sum(), replace=False)] += 1
    systems = [
        {
            "place_code": f"E99S{s + 1:05d}",
            "name": f"System {s + 1:02d}",
            "kind": "system",
            "parent_system": None,
            "population_65plus": None,
            "source_note": NOTE,
        }
        for s in range(SYSTEMS)
    ]
    places, number = [], 0
    for system, size in enumerate(sizes):
        for _ in range(size):
            number += 1
            places.append(
                {
                    "place_code": f"E99{number:06d}",
                    "name": f"Place {number:03d}",
                    "kind": "hwb",
                    "parent_system": systems[system]["place_code"],
                    "population_65plus": int(rng.integers(20_000, 160_000)),
                    "source_note": NOTE,
                }
            )
    return pd.DataFrame(systems + places)


def _services(places: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    hwbs = places[places["kind"] == "hwb"]
    services, links = [], []
    for service_type, (level, *_rest) in SERVICE_MIX.items():
        owners = hwbs if level == "place" else places[places["kind"] == "system"]
        for owner in owners.itertuples():
            service_id = f"{owner.place_code}_{service_type}"
            services.append(
                {
                    "service_id": service_id,
                    "name": f"{owner.name} {service_type}",
                    "provider": "Synthetic provider",
                    "service_type": service_type,
                    "contract": "block",
                    "source_note": NOTE,
                }
            )
            members = (
                [owner.place_code]
                if level == "place"
                else list(hwbs.loc[hwbs["parent_system"] == owner.place_code, "place_code"])
            )
            links += [
                {
                    "service_id": service_id,
                    "place_code": code,
                    "place_share": None,
                    "source_note": NOTE,
                }
                for code in members
            ]
    return pd.DataFrame(services), pd.DataFrame(links)


def _cells(
    places: pd.DataFrame, links: pd.DataFrame, services: pd.DataFrame, rows: int
) -> pd.DataFrame:
    """Expected referrals per place, service, source and month, scaled to ``rows`` in all."""
    hwbs = places[places["kind"] == "hwb"].set_index("place_code")
    kinds = services.set_index("service_id")["service_type"]
    base = []
    for link in links.itertuples():
        service_type = kinds[link.service_id]
        _, _, los, share, hospital = SERVICE_MIX[service_type]
        weight = hwbs.loc[link.place_code, "population_65plus"] * share
        for source, part in (("hospital", hospital), ("community", 1 - hospital)):
            if part > 0:
                base.append(
                    (link.place_code, service_type, link.service_id, source, weight * part, los)
                )
    frame = pd.DataFrame(
        base, columns=["place_code", "service_type", "service_id", "source", "weight", "los"]
    )
    months = pd.date_range(FIRST_MONTH, periods=MONTHS, freq="MS")
    season = 1 + 0.12 * np.cos(2 * np.pi * (months.month - 1) / 12)
    growth = 1.03 ** (np.arange(MONTHS) / 12)
    expected = np.outer(frame["weight"], season * growth)
    expected *= rows / expected.sum()
    counts = np.floor(expected).astype(np.int64)
    # Largest remainders, so the extract has exactly ``rows`` records.
    short = rows - counts.sum()
    order = np.argsort(-(expected - counts), axis=None, kind="stable")[:short]
    counts.flat[order] += 1
    cells = frame.loc[frame.index.repeat(MONTHS)].reset_index(drop=True)
    cells["month"] = np.tile(months, len(frame))
    cells["days"] = cells["month"].dt.days_in_month
    cells["count"] = counts.ravel()
    cells["pathway"] = [
        PATHWAYS.get(t) if s == "hospital" else None
        for t, s in zip(cells["service_type"], cells["source"], strict=True)
    ]
    return cells


def _parameters(
    services: pd.DataFrame, cells: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Parameters sized near each service's mean demand, some above it and some below."""
    monthly = cells.groupby("service_id")["count"].sum() / MONTHS
    rows = []
    for service in services.itertuples():
        _, method, los, _, hospital = SERVICE_MIX[service.service_type]
        demand = float(monthly.get(service.service_id, 0.0))
        level = demand * float(rng.uniform(0.8, 1.2))
        common = {
            "service_id": service.service_id,
            "method": method,
            "source_note": NOTE,
            "hospital_share": hospital if hospital in (0.0, 1.0) else None,
        }
        if method == "throughput":
            rows.append(
                common
                | {
                    "throughput": round(level, 1),
                    "throughput_unit": "month",
                    "valid_from": "2022-04-01",
                }
            )
        elif method == "hours":
            hours = round(level * los / 30.4 * HOURS_PER_PACKAGE)
            common |= {"mean_los_days": los, "hours_per_package_per_month": HOURS_PER_PACKAGE}
            rows.append(
                common
                | {"hours_per_month": hours, "valid_from": "2022-04-01", "valid_to": "2024-09-30"}
            )
            rows.append(
                common | {"hours_per_month": round(hours * 1.1), "valid_from": "2024-10-01"}
            )
        else:
            rows += _caseload_rows(common, service.service_type, level, los)
    return pd.DataFrame(rows, columns=PARAMETER_COLUMNS)


def _caseload_rows(common: dict, service_type: str, level: float, los: float) -> list[dict]:
    caseload = max(1.0, round(level * los / 30.4))
    common = common | {"mean_los_days": los}
    if service_type == "reablement_bed":
        common["target_occupancy"] = 0.9
    flex = WINTER_FLEX.get(service_type)
    if flex is None:
        return [common | {"caseload": caseload, "valid_from": "2022-04-01"}]
    winter = caseload + max(1.0, round(caseload * flex))
    rows = []
    for year in range(2022, 2026):
        rows.append(
            common
            | {"caseload": caseload, "valid_from": f"{year}-04-01", "valid_to": f"{year}-10-31"}
        )
        rows.append(
            common
            | {"caseload": winter, "valid_from": f"{year}-11-01", "valid_to": f"{year + 1}-03-31"}
        )
    rows.append(common | {"caseload": caseload, "valid_from": "2026-04-01"})
    return rows


def _write_referrals(cells: pd.DataFrame, path: Path, rng: np.random.Generator) -> int:
    """The referral extract: one row per record, dates drawn within each cell's month."""
    count = cells["count"].to_numpy()
    cell = np.repeat(np.arange(len(cells), dtype=np.int32), count)
    days = cells["days"].to_numpy()[cell]
    los = cells["los"].to_numpy()[cell]
    draws = pd.DataFrame(
        {
            "cell": cell,
            "day": np.floor(rng.random(len(cell)) * days).astype(np.int16),
            "wait": rng.integers(0, 3, len(cell), dtype=np.int16),
            "stay": np.maximum(1, np.rint(rng.gamma(3.0, los / 3.0))).astype(np.int32),
        }
    )
    cell_table = cells[
        ["place_code", "service_type", "service_id", "source", "pathway", "month"]
    ].assign(cell=np.arange(len(cells), dtype=np.int32))
    con = duckdb.connect()
    try:
        con.register("draws", draws)
        con.register("cells", cell_table)
        con.sql(
            """
            WITH r AS (
                SELECT row_number() OVER () AS n, c.place_code, c.service_type,
                       c.service_id, c.source, c.pathway,
                       CAST(c.month AS DATE) + d.day AS referral_date,
                       CAST(c.month AS DATE) + d.day + d.wait AS start_date,
                       CAST(c.month AS DATE) + d.day + d.wait + d.stay AS end_date
                FROM draws d JOIN cells c USING (cell)
            )
            SELECT 'E' || lpad(CAST(n AS VARCHAR), 8, '0') AS referral_id, place_code,
                   service_type, service_id, source, coalesce(pathway, '') AS pathway,
                   strftime(referral_date, '%Y-%m-%d') AS referral_date,
                   CASE WHEN start_date > $cutoff THEN ''
                        ELSE strftime(start_date, '%Y-%m-%d') END AS start_date,
                   CASE WHEN end_date > $cutoff THEN ''
                        ELSE strftime(end_date, '%Y-%m-%d') END AS end_date,
                   '' AS referring_trust
            FROM r ORDER BY n
        """,
            params={"cutoff": EXTRACT_DAY.date()},
        ).write_csv(str(path), header=True)
    finally:
        con.close()
    return len(cell)


def generate(folder: Path, *, rows: int = 10_000_000, seed: int = 20251) -> Dataset:
    """Write the data set's CSV files under ``folder``; the same files for the same seed."""
    rng = np.random.default_rng(seed)
    reference, demo = folder / "reference", folder / "demo"
    reference.mkdir(parents=True, exist_ok=True)
    demo.mkdir(parents=True, exist_ok=True)
    # England's reference files come along (every database holds them); the synthetic places
    # join them as a lead's own places would.
    for name in ("service_types", "service_type_labels", *england.FILES, england.POPULATION_FILE):
        shutil.copyfile(config.REFERENCE_DIR / f"{name}.csv", reference / f"{name}.csv")
    places = _places(rng)
    services, links = _services(places)
    cells = _cells(places, links, services, rows)
    parameters = _parameters(services, cells, rng)
    places.to_csv(demo / "places.csv", index=False)
    services.to_csv(demo / "services.csv", index=False)
    links.to_csv(demo / "service_places.csv", index=False)
    parameters.to_csv(demo / "service_parameters.csv", index=False)
    for name in ("referral_levels", "trust_mix"):
        shutil.copyfile(config.DEMO_DIR / f"{name}.csv", demo / f"{name}.csv")
        header = (demo / f"{name}.csv").read_text("utf-8").splitlines()[0]
        (demo / f"{name}.csv").write_text(header + "\n", "utf-8")
    extract = folder / "referrals.csv"
    written = _write_referrals(cells, extract, rng)
    return Dataset(
        reference,
        demo,
        extract,
        places=int((places["kind"] == "hwb").sum()),
        systems=SYSTEMS,
        services=len(services),
        parameter_rows=len(parameters),
        referrals=written,
    )


def build_base(dataset: Dataset, path: Path) -> None:
    """A database with the data set's places, services and parameters, and no referrals."""
    build_demo_database(path, reference_dir=dataset.reference_dir, demo_dir=dataset.demo_dir)
