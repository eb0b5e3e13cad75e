"""England as reference data: every authority, every ICB, acute trusts and their catchments.

``data/reference/`` ships public figures for every upper-tier authority in
England (April 2023 boundaries; see its README for publishers and licence):

- ``hwb_places.csv``: each authority's code, name, type, ONS region, Health and
  Wellbeing Board group (City of London with Hackney, Isles of Scilly with
  Cornwall) and the integrated care board holding most of its people;
- ``hwb_icb_split.csv``: for authorities split across ICBs, each ICB's share;
- ``acute_trusts.csv``: acute trusts with ODS codes and successor codes;
- ``trust_catchment_pooled_2022release.csv``: OHID's share of each trust's
  catchment population living in each authority, the default trust-to-place
  shares (a lead's own shares for a trust replace them);
- ``population.csv``: ONS mid-2023 estimates (levels) and 2018-based
  projections (growth ratios only).

Every database holds them: :func:`england_tables` reads and checks the files,
:func:`place_rows` merges England's places with those a database already has
(keeping a place's membership of a local partnership such as BHR), and
:func:`refresh` loads a newer release into an existing database in one
transaction. ICBs become systems (``system_type`` 'icb') whose members are the
places naming them in ``icb_code``; local partnerships stay systems whose
members name them in ``parent_system`` (:func:`capacity.model.system_members`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from capacity import config
from capacity.reference import POPULATION_FILE as REFERENCE_POPULATION
from capacity.reference import read_tables
from capacity.store import Store, _Session
from capacity.validation import Column, Problem, ValidationError, coerce, row_number

ESTIMATE_YEAR = 2023
POPULATION_SOURCE = "ONS mid-2023 population estimate"
ICB_SOURCE = "ONS LSOA 2021 to ICB lookup (April 2024)"
CATCHMENT_SOURCE = "OHID NHS acute trust catchment populations, October 2022 release, pooled years"
# OHID publishes shares to six decimals, so a trust's shares add up to 1 within this.
CATCHMENT_TOLERANCE = 1e-5

HWB_PLACES = [
    Column("code"),
    Column("name"),
    Column("la_type"),
    Column("ons_region_code"),
    Column("ons_region_name"),
    Column("hwb_group_code"),
    Column("hwb_group_name"),
    Column("icb_code"),
    Column("icb_ods_code"),
    Column("icb_name"),
    Column("icb_pop_share", "float", minimum=0, maximum=1, above=True),
    Column("icb_split", choices=("Y", "N")),
    Column("nhs_region_code"),
    Column("nhs_region_ods_code"),
    Column("nhs_region_name"),
]
ICB_SPLIT = [
    Column("code"),
    Column("name"),
    Column("icb_code"),
    Column("icb_ods_code"),
    Column("icb_name"),
    Column("lsoa21_count", "int", minimum=0),
    Column("census21_pop", "int", minimum=0),
    Column("pop_share", "float", minimum=0, maximum=1),
    Column("census21_pop65", "int", minimum=0),
    Column("pop65_share", "float", minimum=0, maximum=1),
    Column("nhs_region_code"),
    Column("nhs_region_name"),
]
ACUTE_TRUSTS = [
    Column("trust_code"),
    Column("trust_name"),
    Column("ods_status_apr2022"),
    Column("cqc_primary_category_jan2022", required=False),
    Column("nhs_region_ods_code", required=False),
    Column("nhs_region_name", required=False),
    Column("in_catchment_2019", choices=("Y", "N")),
    Column("in_catchment_pooled_2022release", choices=("Y", "N")),
    Column("ods_successor_codes", required=False),
]
CATCHMENT = [
    Column("trust_code"),
    Column("trust_name"),
    Column("la_code"),
    Column("la_name"),
    Column("share", "float", minimum=0, maximum=1),
    Column("year"),
    Column("source"),
]
FILES = {
    "hwb_places": HWB_PLACES,
    "hwb_icb_split": ICB_SPLIT,
    "acute_trusts": ACUTE_TRUSTS,
    "trust_catchment_pooled_2022release": CATCHMENT,
}
POPULATION_FILE = "population"

PLACE_COLUMNS = [
    "place_code",
    "name",
    "kind",
    "parent_system",
    "population_65plus",
    "source_note",
    "system_type",
    "ods_code",
    "la_type",
    "region_code",
    "region_name",
    "hwb_group_code",
    "icb_code",
    "icb_pop_share",
]


def short_icb_name(full_name: str) -> str:
    """'NHS North East London Integrated Care Board' -> 'North East London ICB'."""
    name = full_name.removeprefix("NHS ").removesuffix(" Integrated Care Board")
    return f"{name} ICB"


def _read(read_csv: Callable[[Path], pd.DataFrame], folder: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, columns in FILES.items():
        path = folder / f"{name}.csv"
        if not path.exists():
            raise ValidationError(str(path), [Problem(0, "file", str(path), "is missing")])
        tables[name] = coerce(read_csv(path), columns, f"reference/{path.name}")
    return tables


def _check(tables: dict[str, pd.DataFrame], population: pd.DataFrame) -> None:
    """Codes line up across the files; a trust's catchment shares add up to one."""
    problems: list[Problem] = []
    authorities = tables["hwb_places"]
    codes = set(authorities["code"])
    for i, code in enumerate(authorities["code"]):
        if authorities["hwb_group_code"].iat[i] not in codes:
            problems.append(
                Problem(row_number(i), "hwb_group_code", code, "is not an authority in this file")
            )
    catchment = tables["trust_catchment_pooled_2022release"]
    trusts = set(tables["acute_trusts"]["trust_code"])
    what = "reference/trust_catchment_pooled_2022release.csv"
    for i, (trust, place) in enumerate(
        zip(catchment["trust_code"], catchment["la_code"], strict=True)
    ):
        if place not in codes:
            problems.append(Problem(row_number(i), "la_code", place, "is not an authority", what))
        if trust not in trusts:
            problems.append(Problem(row_number(i), "trust_code", trust, "is not a trust", what))
    totals = catchment.groupby("trust_code")["share"].sum()
    for trust, total in totals.items():
        if abs(total - 1) > CATCHMENT_TOLERANCE:
            problems.append(Problem(0, "share", f"{total:g}", f"{trust}'s shares do not add to 1"))
    with_65 = set(population.loc[_estimate_65(population), "code"])
    for code in sorted(codes - with_65):
        problems.append(Problem(0, "code", code, "has no mid-2023 estimate of people aged 65+"))
    if problems:
        raise ValidationError("reference/hwb_places.csv", problems)


def _estimate_65(population: pd.DataFrame) -> pd.Series:
    return (
        (population["measure"] == "estimate")
        & (population["year"] == ESTIMATE_YEAR)
        & (population["age_band"] == "65+")
    )


def england_tables(
    read_csv: Callable[[Path], pd.DataFrame],
    population: pd.DataFrame,
    folder: Path = config.REFERENCE_DIR,
) -> dict[str, pd.DataFrame]:
    """England's places (authorities and ICBs), ICB splits, trusts and catchment shares.

    ``population`` is the typed ``population.csv`` (read with the rest of the
    reference data); each authority's population aged 65+ is its mid-2023
    estimate. Raises :class:`ValidationError` naming the file, row and reason.
    """
    raw = _read(read_csv, folder)
    _check(raw, population)
    places = _authorities(raw["hwb_places"], population) + _icbs(raw["hwb_places"])
    return {
        "places": pd.DataFrame(places, columns=PLACE_COLUMNS),
        "icb_splits": _splits(raw["hwb_icb_split"]),
        "trusts": _trusts(raw["acute_trusts"]),
        "trust_catchment": _catchment(raw["trust_catchment_pooled_2022release"]),
    }


def _authorities(authorities: pd.DataFrame, population: pd.DataFrame) -> list[dict]:
    aged_65 = population.loc[_estimate_65(population)].set_index("code")["population"]
    rows = []
    for row in authorities.to_dict("records"):
        grouped = row["hwb_group_code"] != row["code"]
        note = f"{POPULATION_SOURCE} (65+); {ICB_SOURCE}"
        if grouped:
            note += f"; one Health and Wellbeing Board with {row['hwb_group_name']}"
        if row["icb_split"] == "Y":
            note += f"; {row['icb_pop_share']:.1%} of its people live in its main ICB"
        rows.append(
            {
                "place_code": row["code"],
                "name": row["name"],
                "kind": "sub_area" if grouped else "hwb",
                "parent_system": None,
                "population_65plus": int(round(float(aged_65[row["code"]]))),
                "source_note": note,
                "system_type": None,
                "ods_code": None,
                "la_type": row["la_type"],
                "region_code": row["ons_region_code"],
                "region_name": row["ons_region_name"],
                "hwb_group_code": row["hwb_group_code"],
                "icb_code": row["icb_code"],
                "icb_pop_share": row["icb_pop_share"],
            }
        )
    return rows


def _icbs(authorities: pd.DataFrame) -> list[dict]:
    icbs = authorities.drop_duplicates("icb_code").sort_values("icb_name")
    return [
        {
            "place_code": row["icb_code"],
            "name": short_icb_name(row["icb_name"]),
            "kind": "system",
            "parent_system": None,
            "population_65plus": None,
            "source_note": f"{row['icb_name']} (ODS {row['icb_ods_code']}); {ICB_SOURCE}",
            "system_type": "icb",
            "ods_code": row["icb_ods_code"],
            "la_type": None,
            "region_code": row["nhs_region_code"],
            "region_name": row["nhs_region_name"],
            "hwb_group_code": None,
            "icb_code": None,
            "icb_pop_share": None,
        }
        for row in icbs.to_dict("records")
    ]


def _splits(splits: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_code": splits["code"],
            "icb_code": splits["icb_code"],
            "pop_share": splits["pop_share"],
            "pop65_share": splits["pop65_share"],
            "source_note": "ONS Census 2021 population by LSOA, summed to ICBs (April 2024)",
        }
    )


def _trusts(trusts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trust_code": trusts["trust_code"],
            "name": trusts["trust_name"],
            "status": trusts["ods_status_apr2022"],
            "nhs_region": trusts["nhs_region_name"],
            "successor_codes": trusts["ods_successor_codes"],
        }
    )


def _catchment(catchment: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trust_code": catchment["trust_code"],
            "place_code": catchment["la_code"],
            "share": catchment["share"],
            "source_note": CATCHMENT_SOURCE,
        }
    )


def place_rows(england: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """England's places merged with a database's own: its local systems and memberships kept.

    A place England knows takes England's figures and names, and keeps the
    local partnership it belongs to; places and systems England does not know
    (a lead's own partnership, a sub-area) stay as they are.
    """
    existing = existing.reindex(columns=PLACE_COLUMNS)
    memberships = existing.set_index("place_code")["parent_system"].dropna()
    merged = england.assign(parent_system=england["place_code"].map(memberships))
    own = existing[~existing["place_code"].isin(england["place_code"])]
    own = own[~own["name"].isin(merged["name"])]
    system_type = own["system_type"].astype(object)
    is_local_system = (own["kind"] == "system") & system_type.isna()
    own = own.assign(system_type=system_type.where(~is_local_system, "local"))
    frames = [f for f in (merged, own) if not f.empty]
    rows = pd.concat(frames, ignore_index=True)[PLACE_COLUMNS]
    text = [c for c in PLACE_COLUMNS if c not in ("population_65plus", "icb_pop_share")]
    rows[text] = rows[text].astype(object).where(rows[text].notna(), None)
    rows["population_65plus"] = rows["population_65plus"].astype("Int64")
    return rows


def checksum(folder: Path = config.REFERENCE_DIR) -> str:
    """One checksum over the England files and the population file, to spot a new release."""
    digest = hashlib.sha256()
    for name in (*FILES, POPULATION_FILE):
        digest.update((folder / f"{name}.csv").read_bytes())
    return digest.hexdigest()


def write(
    session: _Session,
    tables: dict[str, pd.DataFrame],
    population: pd.DataFrame,
    stamp: str,
    own: pd.DataFrame | None = None,
) -> None:
    """Replace a database's England reference rows, inside the caller's transaction.

    The database's own places and local systems (or ``own``, for a new database)
    are kept (:func:`place_rows`), and so are trusts England does not list.
    """
    existing = session.query("places_all_columns") if own is None else own
    places = place_rows(tables["places"], existing)
    old_trusts = session.query("trusts")
    extra = old_trusts[~old_trusts["trust_code"].isin(tables["trusts"]["trust_code"])]
    session.execute("clear_england_reference")
    session.insert_frame("places", places)
    session.insert_frame("icb_splits", tables["icb_splits"])
    session.insert_frame("trusts", pd.concat([tables["trusts"], extra], ignore_index=True))
    session.insert_frame("trust_catchment", tables["trust_catchment"])
    session.insert_frame("population", population)
    session.execute(
        "record_reference_load",
        name="england",
        checksum=stamp,
        loaded_at=datetime.now().replace(microsecond=0),
    )


def is_loaded(store: Store, folder: Path = config.REFERENCE_DIR) -> bool:
    """Whether ``store`` holds this release of England's reference data."""
    return checksum(folder) in set(store.query("reference_loads")["checksum"])


def refresh(store: Store, folder: Path = config.REFERENCE_DIR) -> bool:
    """Load England's reference data into ``store`` unless it holds this release already.

    True when it loaded. All or nothing: a damaged file changes nothing.
    """
    if is_loaded(store, folder):
        return False
    stamp = checksum(folder)
    population = read_tables(store.read_csv, folder, REFERENCE_POPULATION)["population"]
    tables = england_tables(store.read_csv, population, folder)
    with store.transaction() as tx:
        write(tx, tables, population, stamp)
    return True
