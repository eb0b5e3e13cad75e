"""The demo database: reference data, the source documents' services, and synthetic referrals.

``data/demo/`` holds small CSVs drawn from the five Better Care Fund documents
(every row carries a source note), including ``referral_levels.csv``: the
monthly referral level of each place, service and source. The referral
records themselves are generated here from those levels with a fixed seed, so
every build is identical and no generated data is committed. Records follow
the levels with a winter peak (highest in January), a yearly trend, fewer
discharges at weekends, and start and end dates drawn around each service's
length of stay.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from capacity import config, england
from capacity.periods import Month
from capacity.reference import (
    LOCAL_PLACES_FILE,
    SERVICE_FILES,
    SOURCES,
    check_all,
    read_tables,
)
from capacity.store import Store, StoreError, migrations
from capacity.validation import Column, Problem, ValidationError, coerce, row_number
from capacity.workspace import build_database, log_file, read_reference, write_reference

LEVELS = [
    Column("place_code"),
    Column("service_id", required=False),
    Column("service_type"),
    Column("source", choices=SOURCES),
    Column("referrals_per_month", "float", minimum=0),
    Column("annual_growth", "float", minimum=-0.5, maximum=1),
    Column("winter_peak", "float", minimum=0, maximum=0.9),
    Column("mean_los_days", "float", required=False, minimum=0, above=True),
    Column("source_note"),
]
TRUST_MIX = [
    Column("place_code"),
    Column("trust_code"),
    Column("share", "float", minimum=0, maximum=1),
    Column("source_note"),
]
WEEKEND_WEIGHT = {"hospital": 0.4, "community": 0.7}
REFERRAL_COLUMNS = [
    "place_code",
    "service_type",
    "service_id",
    "source",
    "pathway",
    "referral_date",
    "referring_trust",
    "start_date",
    "end_date",
]


def monthly_profile(month: int, winter_peak: float) -> float:
    """Seasonal multiplier, highest in January and averaging 1 over a year."""
    return 1.0 + winter_peak * float(np.cos(2 * np.pi * (month - 1) / 12))


def _months(first_day: date, last_day: date) -> list[Month]:
    months, current = [], Month(first_day.year, first_day.month)
    while current.first_day <= last_day:
        months.append(current)
        nxt = current.end_exclusive
        current = Month(nxt.year, nxt.month)
    return months


def _day_weights(month: Month, source: str) -> np.ndarray:
    days = np.arange(month.days)
    weekday = np.array([(month.first_day + timedelta(days=int(d))).weekday() for d in days])
    weights = np.where(weekday >= 5, WEEKEND_WEIGHT[source], 1.0)
    return weights / weights.sum()


def synthetic_referrals(
    levels: pd.DataFrame,
    trust_mix: pd.DataFrame,
    pathways: dict[str, str | None],
    first_day: date,
    last_day: date,
    seed: int,
) -> pd.DataFrame:
    """Referral records that follow ``levels`` month by month, reproducibly from ``seed``."""
    rng = np.random.default_rng(seed)
    months = _months(first_day, last_day)
    frames = [
        _records_for_level(rng, level, months, trust_mix, pathways)
        for level in levels.to_dict("records")
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        # No levels (a data set whose referrals are imported instead): no records.
        return pd.DataFrame(columns=["referral_id", *REFERRAL_COLUMNS])
    records = pd.concat(frames, ignore_index=True)
    records = _close_at(records, last_day)
    records = records.sort_values(["referral_date", "place_code", "service_type"], kind="stable")
    records.insert(0, "referral_id", [f"DEMO-{n:07d}" for n in range(1, len(records) + 1)])
    return records.reset_index(drop=True)


def _referral_days(rng, level: dict, months: list[Month]) -> np.ndarray:
    """Referral dates for one level row over all months (datetime64[D])."""
    days = []
    for index, month in enumerate(months):
        expected = (
            level["referrals_per_month"]
            * (1 + level["annual_growth"]) ** (index / 12)
            * monthly_profile(month.month, level["winter_peak"])
        )
        count = int(rng.poisson(expected))
        offsets = rng.choice(month.days, size=count, p=_day_weights(month, level["source"]))
        days.append(np.datetime64(month.first_day, "D") + offsets)
    return np.concatenate(days) if days else np.array([], dtype="datetime64[D]")


def _records_for_level(rng, level, months, trust_mix, pathways) -> pd.DataFrame:
    source = level["source"]
    referral = _referral_days(rng, level, months)
    count = len(referral)
    frame = pd.DataFrame(
        {
            "place_code": np.full(count, level["place_code"], dtype=object),
            "service_type": np.full(count, level["service_type"], dtype=object),
            "service_id": np.full(count, level["service_id"], dtype=object),
            "source": np.full(count, source, dtype=object),
            "pathway": np.full(
                count,
                pathways[level["service_type"]] if source == "hospital" else None,
                dtype=object,
            ),
            "referral_date": referral,
            "referring_trust": _trusts(rng, level["place_code"], source, count, trust_mix),
        }
    )
    los = level["mean_los_days"]
    if los is None or np.isnan(los):
        frame["start_date"] = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
        frame["end_date"] = frame["start_date"]
    else:
        start = referral + rng.integers(0, 3, size=count)
        stay = np.maximum(1, np.rint(rng.gamma(3.0, los / 3.0, size=count))).astype(int)
        frame["start_date"] = start
        frame["end_date"] = start + stay
    return frame


def _trusts(rng, place_code: str, source: str, count: int, trust_mix: pd.DataFrame):
    mix = trust_mix[trust_mix["place_code"] == place_code]
    if source != "hospital" or mix.empty:
        return np.full(count, None, dtype=object)
    shares = mix["share"].to_numpy(dtype=float)
    return rng.choice(mix["trust_code"].to_numpy(dtype=object), size=count, p=shares / shares.sum())


def _close_at(records: pd.DataFrame, last_day: date) -> pd.DataFrame:
    """Episodes are only known up to the extract date: later starts and ends are blank."""
    cutoff = pd.Timestamp(last_day)
    records = records.copy()
    records.loc[records["end_date"] > cutoff, "end_date"] = pd.NaT
    records.loc[records["start_date"] > cutoff, "start_date"] = pd.NaT
    return records


def check_levels(levels: pd.DataFrame, tables: dict[str, pd.DataFrame], what: str) -> None:
    """Each level names a known place, service type, and (if given) a service serving that place."""
    places = set(tables["places"].loc[lambda p: p["kind"] != "system", "place_code"])
    types = tables["service_types"].set_index("service_type")
    services = tables["services"].set_index("service_id")
    served = set(
        zip(
            tables["service_places"]["service_id"],
            tables["service_places"]["place_code"],
            strict=True,
        )
    )
    problems = []
    for index, row in enumerate(levels.to_dict("records")):
        reason = _level_problem(row, places, types, services, served)
        if reason:
            problems.append(
                Problem(row_number(index), reason[0], str(row[reason[0]]), reason[1], what)
            )
    if problems:
        raise ValidationError(what, problems)


def _level_problem(row, places, types, services, served) -> tuple[str, str] | None:
    if row["place_code"] not in places:
        return "place_code", "is not a known place"
    if row["service_type"] not in types.index:
        return "service_type", "is not a known service type"
    if not bool(types.loc[row["service_type"], row["source"]]):
        return "source", f"{row['service_type']} does not take {row['source']} referrals"
    service = row["service_id"]
    if service is None:
        return None
    if service not in services.index:
        return "service_id", "is not a known service"
    if services.loc[service, "service_type"] != row["service_type"]:
        return "service_type", f"does not match the type of {service}"
    if (service, row["place_code"]) not in served:
        return "service_id", f"does not serve {row['place_code']}"
    return None


def load_demo(
    store: Store,
    *,
    reference_dir: Path = config.REFERENCE_DIR,
    demo_dir: Path = config.DEMO_DIR,
    seed: int = config.DEMO_SEED,
) -> dict[str, int]:
    """Validate the reference and demo CSVs, generate referrals, and load all in one transaction.

    England's reference data comes first, read and written as for every database
    (:mod:`capacity.workspace`); the demo's own places file adds its local
    partnership (BHR), then come its services, parameters and synthetic referrals.
    """
    reference = read_reference(store, reference_dir)
    local = read_tables(store.read_csv, demo_dir, LOCAL_PLACES_FILE)["places"]
    tables = dict(reference.tables)
    tables["places"] = england.place_rows(reference.england["places"], local)
    tables["places"].attrs["source"] = "reference/hwb_places.csv and demo/places.csv"
    tables |= read_tables(store.read_csv, demo_dir, SERVICE_FILES)
    check_all(tables)
    levels = coerce(
        store.read_csv(demo_dir / "referral_levels.csv"), LEVELS, "demo/referral_levels.csv"
    )
    check_levels(levels, tables, "demo/referral_levels.csv")
    trust_mix = coerce(store.read_csv(demo_dir / "trust_mix.csv"), TRUST_MIX, "demo/trust_mix.csv")
    pathways = dict(
        zip(
            tables["service_types"]["service_type"], tables["service_types"]["pathway"], strict=True
        )
    )
    referrals = synthetic_referrals(
        levels, trust_mix, pathways, config.DEMO_FIRST_DAY, config.DEMO_LAST_DAY, seed
    )
    files = [demo_dir / f"{n}.csv" for n in (*LOCAL_PLACES_FILE, *SERVICE_FILES)]
    files += [demo_dir / n for n in ("referral_levels.csv", "trust_mix.csv")]
    with store.transaction() as tx:
        write_reference(
            tx, reference, own_places=local, log_kind="demo", note="demo database build"
        )
        for name in SERVICE_FILES:
            tx.insert_frame(name, tables[name])
        for path in files:
            log_file(tx, path, "demo", "demo database build")
        import_id = tx.execute(
            "log_import",
            kind="demo referrals",
            file_name="synthetic referrals (demo)",
            checksum=f"seed:{seed}",
            rows_read=len(referrals),
            rows_loaded=len(referrals),
            rows_rejected=0,
            loaded_by=config.os_user(),
            note=f"generated from demo/referral_levels.csv, {config.DEMO_FIRST_DAY} "
            f"to {config.DEMO_LAST_DAY}",
        )[0][0]
        tx.insert_frame("referrals", referrals.assign(import_id=import_id))
    return store.table_counts()


def build_demo_database(
    path: Path,
    *,
    seed: int = config.DEMO_SEED,
    reference_dir: Path = config.REFERENCE_DIR,
    demo_dir: Path = config.DEMO_DIR,
) -> dict[str, int]:
    """Build the demo database at ``path``: into a temporary file first, then moved into place.

    A failed build leaves no file behind, and an existing file is only replaced
    once the new one is complete.
    """
    return build_database(
        path,
        lambda store: load_demo(store, seed=seed, reference_dir=reference_dir, demo_dir=demo_dir),
    )


def ensure_database(path: Path) -> bool:
    """Build the demo database at ``path`` if there is no file there; True if it built one.

    An existing file must be a database of this product: one made by an
    earlier version has its schema brought up to date here, and England's
    reference data loaded when the file holds an older release (or none), so
    that every later read-only open finds the tables and places it expects.
    """
    path = Path(path)
    if not path.exists():
        build_demo_database(path)
        return True
    if path.stat().st_size == 0:
        raise StoreError(f"The database file {path} is empty. Delete it to rebuild the demo.")
    with Store.open(path, read_only=True) as store:
        found = store.schema_version()
    if found == 0:
        raise StoreError(
            f"The file {path} is not a database of this product (it has none of its tables). "
            "Delete it to rebuild the demo, or point --db / CAPACITY_DB at another file."
        )
    with Store.open(path, read_only=True) as store:
        current = found == max(m.version for m in migrations()) and england.is_loaded(store)
    if not current:
        with Store.open(path) as store:  # opening applies the newer migrations
            england.refresh(store)
    return False
