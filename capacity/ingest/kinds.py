"""The kinds of file an import takes, and the columns each has.

Six kinds come in as CSV or Excel (.xlsx): referral records, service
parameters, monthly demand counts, trust-to-place shares, the services
catalogue (services and the places they serve) and a place's SitRep
destination mapping; a discharge SitRep workbook is a seventh kind with a
reader of its own. Each has required
and optional columns and the other names people give them; the typed columns
of parameters and shares live with the reference data
(:mod:`capacity.reference`), those of counts and services here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from capacity.reference import MAX_PEOPLE_PER_MONTH, PARAMETERS
from capacity.validation import Column

# Kinds whose file replaces what it names (a service's parameters, a trust's shares,
# a service and its places):
# loading an earlier file again is how an analyst goes back to it, so only a file the
# same as the latest load of its kind is refused as already loaded.
REPLACING = ("parameters", "shares", "services", "destinations")


@dataclass(frozen=True)
class KindSpec:
    """The columns one kind of file has, and the other names people give them."""

    label: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column this kind knows, required first."""
        return self.required + self.optional


KINDS = {
    "referrals": KindSpec(
        "referral records",
        ("referral_id", "place_code", "service_type", "source", "referral_date"),
        ("service_id", "pathway", "start_date", "end_date", "referring_trust"),
        {
            "id": "referral_id",
            "referral": "referral_id",
            "referral_number": "referral_id",
            "place": "place_code",
            "place_name": "place_code",
            "hwb": "place_code",
            "hwb_code": "place_code",
            "local_authority": "place_code",
            "la_code": "place_code",
            "type": "service_type",
            "service_type_code": "service_type",
            "service": "service_id",
            "service_name": "service_id",
            "referral_source": "source",
            "date_of_referral": "referral_date",
            "referral_received": "referral_date",
            "received_date": "referral_date",
            "start": "start_date",
            "service_start": "start_date",
            "end": "end_date",
            "service_end": "end_date",
            "trust": "referring_trust",
            "trust_code": "referring_trust",
            "referring_organisation": "referring_trust",
        },
    ),
    "parameters": KindSpec(
        "service parameters",
        ("service_id", "method", "valid_from", "source_note"),
        tuple(
            c.name
            for c in PARAMETERS
            if c.name not in ("service_id", "method", "valid_from", "source_note")
        ),
        {
            "service": "service_id",
            "place": "place_code",
            "los": "mean_los_days",
            "mean_los": "mean_los_days",
            "length_of_stay": "mean_los_days",
            "from": "valid_from",
            "to": "valid_to",
            "note": "source_note",
            "source": "source_note",
        },
    ),
    "counts": KindSpec(
        "monthly demand counts",
        ("place_code", "service_type", "source", "month", "referrals"),
        ("service_id", "source_note"),
        {
            "place": "place_code",
            "type": "service_type",
            "service": "service_id",
            "count": "referrals",
            "referral_count": "referrals",
            "demand": "referrals",
            "note": "source_note",
        },
    ),
    "shares": KindSpec(
        "trust-to-place shares",
        ("trust_code", "place_code", "share"),
        ("source_note",),
        {"trust": "trust_code", "place": "place_code", "note": "source_note"},
    ),
    "services": KindSpec(
        "services and their places",
        ("service_id", "name", "service_type", "contract", "place_code", "source_note"),
        ("provider", "place_share", "retired_from"),
        {
            "id": "service_id",
            "service": "service_id",
            "service_name": "name",
            "type": "service_type",
            "service_type_code": "service_type",
            "contract_type": "contract",
            "place": "place_code",
            "place_name": "place_code",
            "hwb": "place_code",
            "share": "place_share",
            "note": "source_note",
            "source": "source_note",
            "retired": "retired_from",
            "retired_from_month": "retired_from",
        },
    ),
    # A place's own reading of SitRep destinations: blank service_type means "not demand here".
    "destinations": KindSpec(
        "SitRep destination mapping",
        ("place_code", "destination", "service_type"),
        ("source_note",),
        {"place": "place_code", "type": "service_type", "note": "source_note"},
    ),
}
IMPORT_KINDS = (*KINDS, "sitrep")

# The typed columns of a counts file, checked once DuckDB has read it as text.
COUNTS = [
    Column("place_code"),
    Column("service_type"),
    Column("service_id", required=False),
    Column("source", choices=("hospital", "community")),
    Column("month"),
    Column("referrals", "float", minimum=0, maximum=MAX_PEOPLE_PER_MONTH),
    Column("source_note", required=False),
]

# The typed columns of a services file: one row per service and place it serves.
# A service's own columns repeat on each of its rows and must agree.
SERVICES_FILE = [
    Column("service_id"),
    Column("name"),
    Column("provider", required=False),
    Column("service_type"),
    Column("contract", choices=("block", "spot")),
    Column("place_code"),
    Column("place_share", "float", required=False, minimum=0, maximum=1),
    Column("retired_from", required=False),
    Column("source_note"),
]
