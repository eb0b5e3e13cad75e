"""Ready-made scenarios from the reference data, given by calendar month for any planning year."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from capacity import config
from capacity.scenarios.model import PRESET_PREFIX, Change, Scenario
from capacity.scenarios.parsing import text_list

PRESETS_FILE = config.REFERENCE_DIR / "scenario_presets.csv"


@dataclass(frozen=True)
class Preset:
    """A ready-made scenario whose months are given as calendar months (1–12)."""

    preset_id: str
    name: str
    description: str
    changes: tuple[dict, ...]

    @property
    def key(self) -> str:
        """'preset:winter_surge'."""
        return PRESET_PREFIX + self.preset_id

    def for_year(self, year: int) -> Scenario:
        """The preset as a scenario for planning year ``year`` (April ``year`` to March)."""
        changes = []
        for row in self.changes:
            from_month, to_month = int(row["from_month"]), int(row["to_month"])
            ranges = [_months_for_year(from_month, to_month, year)]
            if ranges[0][1] > f"{year + 1:04d}-03":
                # A range that runs past March (November to April) ends in the next planning
                # year, so this year's own April to that month is the tail of last winter's.
                ranges.insert(0, (f"{year:04d}-04", f"{year:04d}-{to_month:02d}"))
            changes += [
                Change(
                    lever=row["lever"],
                    value=float(row["value"]),
                    first_month=first,
                    last_month=last,
                    service_types=text_list(row.get("service_types"), "", ""),
                    to_service_type=row.get("to_service_type") or None,
                    source=row.get("source") or None,
                    all_services=row.get("all_services") == "yes",
                )
                for first, last in ranges
            ]
        return Scenario(f"{self.name} (preset)", tuple(changes), self.description, "preset")


def _months_for_year(from_month: int, to_month: int, year: int) -> tuple[str, str]:
    first_year = year if from_month >= 4 else year + 1
    last_year = first_year if to_month >= from_month else first_year + 1
    return f"{first_year:04d}-{from_month:02d}", f"{last_year:04d}-{to_month:02d}"


def load_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """The presets of the reference data, by key ('preset:<id>')."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "all_services" in frame:
        odd = sorted(set(frame["all_services"]) - {"", "yes"})
        if odd:
            raise ValueError(
                f"{path.name}: all_services must be 'yes' or blank (got "
                f"{', '.join(map(repr, odd))})"
            )
    presets = {}
    for preset_id, rows in frame.groupby("preset_id", sort=False):
        first = rows.iloc[0]
        presets[PRESET_PREFIX + preset_id] = Preset(
            preset_id,
            first["name"],
            first["description"],
            tuple(rows.drop(columns=["preset_id", "name", "description"]).to_dict("records")),
        )
    return presets
