"""Winter scenarios: named sets of changes to the baseline, applied by one pure function.

The rooms:

- :mod:`~capacity.scenarios.model`: :class:`Change`, :class:`Scenario`,
  :class:`ScenarioError`, the levers and the baseline;
- :mod:`~capacity.scenarios.parsing`: a scenario from a dictionary or a JSON file;
- :mod:`~capacity.scenarios.checks`: every reason a scenario cannot be saved
  (:func:`problems`, :func:`check`, against a :class:`Context`);
- :mod:`~capacity.scenarios.presets`: the ready-made scenarios of the reference data;
- :mod:`~capacity.scenarios.applying`: :func:`apply`, the levers in their fixed order;
- :mod:`~capacity.scenarios.sensitivity_analysis`: :func:`sensitivity`, the shortfall's
  swing when one assumption moves.

The names callers use are re-exported here, so ``from capacity.scenarios import
Scenario, apply`` keeps working.
"""

from capacity.model import BASELINE_LABEL
from capacity.scenarios.applying import apply, ordered
from capacity.scenarios.checks import (
    MAX_PCT,
    MAX_PLANNING_YEARS,
    SOURCE_NAMES,
    Context,
    check,
    problems,
)
from capacity.scenarios.model import (
    BASELINE,
    BASELINE_SCENARIO,
    DEMAND_LEVERS,
    LEVERS,
    ORDER,
    PRESET_PREFIX,
    SOURCES,
    Change,
    Scenario,
    ScenarioError,
    cannot_apply,
)
from capacity.scenarios.parsing import change_from_dict, scenario_from_dict, scenario_from_json
from capacity.scenarios.presets import PRESETS_FILE, Preset, load_presets
from capacity.scenarios.sensitivity_analysis import SENSITIVITY, WINTER, sensitivity

__all__ = [
    "BASELINE",
    "BASELINE_LABEL",
    "BASELINE_SCENARIO",
    "DEMAND_LEVERS",
    "LEVERS",
    "MAX_PCT",
    "MAX_PLANNING_YEARS",
    "ORDER",
    "PRESETS_FILE",
    "PRESET_PREFIX",
    "SENSITIVITY",
    "SOURCES",
    "SOURCE_NAMES",
    "WINTER",
    "Change",
    "Context",
    "Preset",
    "Scenario",
    "ScenarioError",
    "apply",
    "cannot_apply",
    "change_from_dict",
    "check",
    "load_presets",
    "ordered",
    "problems",
    "scenario_from_dict",
    "scenario_from_json",
    "sensitivity",
]
