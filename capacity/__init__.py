"""Demand and capacity for intermediate care: the domain package.

Nothing here imports streamlit; the app and the CLI are thin layers over it.
The public formulas analysts call from notebooks are re-exported here.
"""

from capacity.formulas import (
    InvalidInput,
    capacity_from_caseload,
    capacity_from_throughput,
    caseload_from_hours,
)

__version__ = "0.1.0"

__all__ = [
    "InvalidInput",
    "__version__",
    "capacity_from_caseload",
    "capacity_from_throughput",
    "caseload_from_hours",
]
