"""Whole numbers for exports that still add up and stay within one of the truth.

Leads check the sums in an exported workbook, so rounding each figure on its
own is not good enough: 3 × 0.4 shows as 0 + 0 + 0 under a total of 1.

* :func:`largest_remainder` rounds a list of parts so that they add up to
  the rounded total: every part goes down to its whole number, then the parts
  with the largest fractions go up by one until the total is reached.
* :func:`round_sheets` rounds a set of place sheets and their total sheet
  together (*controlled rounding*). Each sheet has rows (e.g. a service
  type's demand, capacity and gap) by months; every row has a year total, and
  groups of rows (sections) have month totals and a section total. Every
  figure on every sheet ends on the whole number just below or just above its
  unrounded value (a whole number stays as it is), every row and column adds
  up, the total sheet is the sum of the place sheets, and a row defined as one
  row less another (the gap) is exactly that in whole numbers too — so a gap
  whose capacity equals its demand shows 0.

The rounding is an integer programme, solved by SciPy's ``milp`` (HiGHS).
The unknowns are the whole numbers in the cells of the place sheets' rows
that are not differences. Every figure shown — a cell of a place or of the
total sheet, a year total, a month total of a section, a section total, and
every difference row — is a fixed linear sum of those unknowns, so
``floor(v) <= sum <= ceil(v)`` is one linear constraint per figure. Within
those bounds a figure's distance from its value ``v`` is
``frac(v) + (1 - 2 frac(v)) (sum - floor(v))``, linear too; the objective is
the total distance over all figures, so the result is as close to the truth
as adding up allows.

Rounded all at once, one sheet is a small problem that HiGHS closes at once.
Several places and their total are a three-way table (places, rows, months) whose
gaps tie demand to capacity, and proving the closest rounding of that takes HiGHS
many seconds for ten places. So several places are rounded in two stages: first
demand (every figure made of demand alone, on every sheet), to the closest
rounding; then capacity with demand held, every capacity figure and every gap
within its floor and ceiling and the gaps as close as that allows. Neither stage
has a gap joining two rows, and each closes in a fraction of a second. The
result keeps every rule above; it may be a little less close than the closest
rounding of all at once, never outside floor and ceiling. Should the second
stage find nothing (the demand chosen can leave capacity no room), any rounding
that keeps every rule is taken. HiGHS stops on proof, not on the clock, so the
same figures give the same rounding every time; the time limit is only a guard.

With three or more directions of adding up (places, rows and months) such a
rounding need not exist. Then every figure may move further, at a cost far
above any distance within floor and ceiling, so as few whole units as
possible are spent beyond them; each figure that went further is reported as
a :class:`Departure`, for the workbook's cover to name.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

# SciPy's solver and sparse matrices are imported where an export rounds its sheets, not
# when this module is: every page imports the export's names, and SciPy takes about a
# third of a second and tens of megabytes to load in each app server.


def round_half_up(value: float) -> int:
    """The nearest whole number, halves away from zero (2.5 → 3, −2.5 → −3)."""
    _check_finite([value])
    # In exact arithmetic: in floats, 0.49999999999999994 + 0.5 is 1.0.
    return _nearest(Fraction(value))


def _check_finite(values: Sequence[float]) -> None:
    for value in values:
        if not math.isfinite(value):
            raise ValueError(f"cannot round a figure that is not a finite number ({value!r})")


def largest_remainder(values: Sequence[float], total: int | None = None) -> list[int]:
    """Whole numbers, each the floor or ceiling of its value, that add up to ``total``.

    ``total`` defaults to the sum of ``values`` rounded half away from zero.
    The parts with the largest fractions are rounded up; ties go to the
    earlier part. Raises ValueError for a value that is not finite, or for a
    total the parts cannot reach without moving one by a whole unit or more.
    """
    exact = [Fraction(v) for v in _finite(values)]
    floors = [math.floor(v) for v in exact]
    if total is None:
        total = _nearest(sum(exact, Fraction(0)))
    need = total - sum(floors)
    fractional = [i for i, v in enumerate(exact) if v != floors[i]]
    if not 0 <= need <= len(fractional):
        raise ValueError(f"the parts cannot add up to {total} (they sum to {float(sum(exact))})")
    order = sorted(fractional, key=lambda i: (-(exact[i] - floors[i]), i))
    rounded = list(floors)
    for index in order[:need]:
        rounded[index] += 1
    return rounded


def _finite(values: Sequence[float]) -> list[float]:
    values = [float(v) for v in values]
    _check_finite(values)
    return values


def _nearest(value: Fraction) -> int:
    """Half away from zero, in exact arithmetic."""
    whole = math.floor(abs(value) + Fraction(1, 2))
    return whole if value >= 0 else -whole


# -- sheets rounded together ------------------------------------------------------

#: Values this close to a whole number are taken as that whole number: sums of
#: floats (4.92 × 3 = 14.760000000000002) carry noise far below any real figure.
WHOLE_TOLERANCE = 1e-9

#: A guard only: how long HiGHS may search, per problem it is given. The stages finish far
#: sooner (see the module docstring); were the guard reached, the best rounding found so far
#: would be used, which meets every rule but could differ from one machine to another.
TIME_LIMIT_SECONDS = 10.0

#: Stop when the rounding found is provably within this share of the closest possible, a
#: proof that does not depend on the clock, so the same figures round the same way.
MIP_GAP = 1e-3


#: HiGHS options beyond those SciPy names, which SciPy hands to HiGHS as they are. At the
#: root of its search HiGHS tries sub-problems (RENS, RINS and reduced-cost fixing) to find
#: a good rounding; on these problems its own first roundings are already within a hair of
#: the closest, and those sub-problems took seconds where the whole solve otherwise takes
#: a tenth of one (measured on ten places: 4.3 s against 0.26 s, the same rounding).
HIGHS_OPTIONS = {
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


def _milp(cost: np.ndarray, time_limit: float, **problem):
    """SciPy's ``milp`` with this module's options; SciPy's warning that it passes
    :data:`HIGHS_OPTIONS` on to HiGHS as they are is expected, so not shown."""
    from scipy.optimize import milp

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Unrecognized options detected", category=RuntimeWarning
        )
        return milp(
            cost,
            options={"time_limit": time_limit, "mip_rel_gap": MIP_GAP, **HIGHS_OPTIONS},
            **problem,
        )


@dataclass(frozen=True)
class Difference:
    """A row that is one row less another on every sheet, e.g. the gap: capacity less demand.

    ``plus`` and ``minus`` must be rows that are not differences themselves.
    """

    row: int
    plus: int
    minus: int


@dataclass(frozen=True)
class Sheet:
    """One rounded sheet: ``cells[row, month]``, ``row_totals[row]`` (the year),
    ``column_totals[section, month]`` and ``grand_totals[section]``, all whole numbers."""

    cells: np.ndarray
    row_totals: np.ndarray
    column_totals: np.ndarray
    grand_totals: np.ndarray


@dataclass(frozen=True)
class Departure:
    """A figure that could not stay on the floor or ceiling of its value.

    ``place`` is the index of the place sheet, or None for the total sheet.
    ``kind`` is 'cell', 'row total', 'column total' or 'grand total'; ``row``
    is set for a cell or a row total, ``section`` for a column or grand total,
    ``month`` for a cell or a column total.
    """

    place: int | None
    kind: str
    row: int | None
    section: int | None
    month: int | None
    value: float
    rounded: int

    @property
    def distance(self) -> float:
        """How far the shown whole number is from the unrounded value."""
        return abs(self.rounded - self.value)


@dataclass(frozen=True)
class RoundedSheets:
    """The rounded place sheets, their total sheet, and any figure that moved beyond a whole
    number either side of its value (empty when the rounding is exact)."""

    places: tuple[Sheet, ...]
    total: Sheet
    departures: tuple[Departure, ...]


@dataclass(frozen=True)
class _Block:
    """A run of figures in the constraint matrix: which sheet, which kind, and its shape."""

    place: bool
    kind: str
    shape: tuple[int, ...]


def round_sheets(
    values: np.ndarray,
    sections: Sequence[Sequence[int]] | None = None,
    differences: Sequence[Difference] = (),
    *,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> RoundedSheets:
    """Round place sheets and their total sheet together (see the module docstring).

    ``values[place, row, month]`` are the unrounded figures; ``sections`` are
    the groups of rows that have month totals (default: one section of every
    row); ``differences`` are rows that equal one row less another, checked
    against ``values``. Raises ValueError for values that are not finite, a
    section or difference naming a row that does not exist, or a difference
    row whose values are not its plus row less its minus row.
    """
    rows = np.shape(values)[1] if np.ndim(values) == 3 else 0
    groups = [list(range(rows))] if sections is None else [list(s) for s in sections]
    array = _checked(values, groups, differences)
    return _solve_sheets(array, groups, differences, time_limit)


def _checked(
    values: np.ndarray, sections: Sequence[Sequence[int]], differences: Sequence[Difference]
) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 3:
        raise ValueError("values must be indexed (place, row, month)")
    if not np.isfinite(array).all():
        raise ValueError("cannot round a figure that is not a finite number")
    if any(not 0 <= r < array.shape[1] for group in sections for r in group):
        raise ValueError("a section names a row that does not exist")
    derived = {d.row for d in differences}
    for d in differences:
        if not all(0 <= r < array.shape[1] for r in (d.row, d.plus, d.minus)):
            raise ValueError(f"difference {d} names a row that does not exist")
        if d.plus in derived or d.minus in derived:
            raise ValueError(f"difference {d} is made from another difference")
        expected = array[:, d.plus] - array[:, d.minus]
        if not np.allclose(array[:, d.row], expected, rtol=1e-9, atol=1e-6):
            raise ValueError(f"row {d.row} is not row {d.plus} less row {d.minus}")
    return array


def _row_map(rows: int, differences: Sequence[Difference]) -> tuple[np.ndarray, list[int]]:
    """Each row as a combination of the rows that are not differences (the unknowns' rows)."""
    derived = {d.row: d for d in differences}
    base = [r for r in range(rows) if r not in derived]
    column = {r: k for k, r in enumerate(base)}
    weights = np.zeros((rows, len(base)))
    for r in range(rows):
        if r in derived:
            weights[r, column[derived[r].plus]] += 1
            weights[r, column[derived[r].minus]] -= 1
        else:
            weights[r, column[r]] = 1
    return weights, base


def _figures(
    weights: np.ndarray, groups: list[list[int]], places: int, months: int
) -> tuple[sparse.csr_matrix, list[_Block]]:
    """Every figure on every sheet as a row of coefficients on the unknowns.

    The unknowns are ordered (place, base row, month). A place's figures pick
    its own block of unknowns (identity over places); the total sheet's sum
    over places (a row of ones).
    """
    from scipy import sparse

    rows = weights.shape[0]
    membership = np.zeros((len(groups), rows))
    for s, group in enumerate(groups):
        membership[s, group] = 1
    by_section = membership @ weights
    each_month, whole_year = sparse.identity(months), sparse.csr_matrix(np.ones((1, months)))
    parts = [
        ("cell", weights, each_month, (rows, months)),
        ("row total", weights, whole_year, (rows,)),
        ("column total", by_section, each_month, (len(groups), months)),
        ("grand total", by_section, whole_year, (len(groups),)),
    ]
    matrices, blocks = [], []
    for place, over_places in (
        (True, sparse.identity(places)),
        (False, sparse.csr_matrix(np.ones((1, places)))),
    ):
        for kind, row_part, month_part, shape in parts:
            matrix = sparse.kron(over_places, sparse.kron(sparse.csr_matrix(row_part), month_part))
            matrices.append(matrix)
            blocks.append(_Block(place, kind, (places, *shape) if place else shape))
    return sparse.vstack(matrices, format="csr"), blocks


#: How much more a figure in an earlier month (and, within a month, an earlier row)
#: counts than the last one. Small enough never to outweigh a real difference in
#: distance worth showing; it only chooses among equally close roundings (thirds
#: are common in monthly figures), so that the choice is always the same one and
#: a change in winter leaves the summer's figures as they were.
TIE_BREAK = 1e-4


def _priorities(blocks: list[_Block]) -> np.ndarray:
    """Per figure, 1 plus up to TIE_BREAK: earlier months first, then earlier rows."""
    out = []
    for block in blocks:
        shape = block.shape[1:] if block.place else block.shape
        lines, months = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
        line, month = np.meshgrid(np.arange(lines), np.arange(months), indexing="ij")
        # Earlier month first; within a month, earlier row or section.
        rank = (months - 1 - month) * (lines + 1) + (lines - line)
        order = (rank / (months * (lines + 1))).reshape(-1)
        copies = block.shape[0] if block.place else 1
        out.append(np.tile(1.0 + TIE_BREAK * order, copies))
    return np.concatenate(out)


def _move_costs(blocks: list[_Block], whole: np.ndarray) -> np.ndarray:
    """Per figure, how much a unit beyond its floor or ceiling weighs, should one be needed.

    A cell weighs three times a total, since a lead reads cells and a total can be checked;
    a whole number weighs ten times a fraction, since a true 0 shown as −1 reads worse than
    0.5 shown as 2.
    """
    cells = np.concatenate([np.full(int(np.prod(b.shape)), b.kind == "cell") for b in blocks])
    return np.where(cells, 3.0, 1.0) * np.where(whole, 10.0, 1.0)


@dataclass(frozen=True)
class _Problem:
    """The figures as rows on the unknowns, their values, bounds and priorities."""

    matrix: sparse.csr_matrix
    exact: np.ndarray
    low: np.ndarray
    high: np.ndarray
    priority: np.ndarray
    move_cost: np.ndarray

    def part(self, figures: np.ndarray, unknowns: np.ndarray) -> _Problem:
        """The same problem restricted to some figures and the unknowns they add up."""
        return _Problem(
            self.matrix[figures][:, unknowns],
            self.exact[figures],
            self.low[figures],
            self.high[figures],
            self.priority[figures],
            self.move_cost[figures],
        )

    def weighing(self, which: np.ndarray) -> _Problem:
        """The same problem with only the figures picked by ``which`` counting towards the
        distance from the truth."""
        return _Problem(
            self.matrix,
            self.exact,
            self.low,
            self.high,
            np.where(which, self.priority, 0.0),
            self.move_cost,
        )

    def distance_weights(self) -> np.ndarray:
        """Per figure, what one unit above its floor adds to its distance from the value
        (1 − 2·fraction; zero for a whole number, which cannot move within its bounds),
        scaled by the figure's priority."""
        fraction = self.exact - self.low
        return np.where(self.high > self.low, 1.0 - 2.0 * fraction, 0.0) * self.priority


def _bounds(exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floor and ceiling of each figure, a value within WHOLE_TOLERANCE of a whole number
    counting as that whole number."""
    nearest = np.round(exact)
    whole = np.abs(exact - nearest) <= WHOLE_TOLERANCE * np.maximum(1.0, np.abs(exact))
    low = np.where(whole, nearest, np.floor(exact))
    high = np.where(whole, nearest, np.ceil(exact))
    return low, high


def _solve_sheets(
    values: np.ndarray,
    groups: list[list[int]],
    differences: Sequence[Difference],
    time_limit: float,
) -> RoundedSheets:
    """Build every figure as a sum of the unknowns; round each independent part.

    One sheet is rounded all at once, to the closest rounding there is (a small problem).
    Several are rounded in two stages (see :func:`_staged`); should the second stage find
    nothing, any rounding with every figure within bounds is taken; only if there is none at
    all may figures move further (:func:`_relaxed`).
    """
    places, rows, months = values.shape
    weights, base = _row_map(rows, differences)
    matrix, blocks = _figures(weights, groups, places, months)
    unknown_values = values[:, base, :].reshape(-1)
    exact = matrix @ unknown_values
    low, high = _bounds(exact)
    problem = _Problem(
        matrix, exact, low, high, _priorities(blocks), _move_costs(blocks, low == high)
    )
    first = _first_stage(base, differences, places, months)
    found = np.round(unknown_values)  # kept only where HiGHS finds nothing in time
    for figures, unknowns in _independent_parts(matrix):
        part = problem.part(figures, unknowns)
        if places == 1:
            solved = _strict(part, time_limit)
        else:
            solved = _staged(part, first[unknowns], time_limit)
            if solved is None:
                solved = _strict(part, time_limit, closest=False)
        if solved is None:
            solved = _relaxed(part, time_limit)
        if solved is not None:
            found[unknowns] = solved
    shown = np.rint(matrix @ found).astype(np.int64)
    return _assemble(shown, problem, blocks)


def _first_stage(
    base: list[int], differences: Sequence[Difference], places: int, months: int
) -> np.ndarray:
    """Per unknown, whether it is rounded in the first stage: rows that are not the ``plus``
    of a difference (demand, on the capacity & demand sheet)."""
    later = {d.plus for d in differences}
    by_row = np.array([row not in later for row in base], dtype=bool)
    return np.tile(np.repeat(by_row, months), places)


def _independent_parts(matrix: sparse.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    """Groups of figures and the unknowns they add up that share nothing with other groups,
    to be solved one at a time.

    Hospital discharge and community rows never meet in a sum, so a sheet's
    problem falls into (at least) two, each far quicker to solve than both at once.
    Figures and unknowns are the two sides of one graph, joined where a figure adds up an
    unknown; each part is a connected piece of it.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    figures, unknowns = matrix.shape
    links = matrix.tocoo()
    graph = sparse.coo_matrix(
        (np.ones(links.nnz), (links.row + unknowns, links.col)),
        shape=(figures + unknowns, figures + unknowns),
    )
    _, labels = connected_components(graph, directed=False)
    by_unknown, by_figure = labels[:unknowns], labels[unknowns:]
    return [
        (np.flatnonzero(by_figure == k), np.flatnonzero(by_unknown == k))
        for k in dict.fromkeys(by_unknown.tolist())
    ]


def _strict(
    problem: _Problem, time_limit: float, *, closest: bool = True, offset: np.ndarray | None = None
) -> np.ndarray | None:
    """The closest rounding with every figure on its floor or ceiling, or None if there is none.

    minimise  wᵀ A x  subject to  low − offset ≤ A x ≤ high − offset,  x integer,

    where ``offset`` is what unknowns fixed earlier add to each figure (none by default).
    Without ``closest``, any rounding that meets the bounds (w = 0), which HiGHS finds fast.
    """
    from scipy.optimize import LinearConstraint

    matrix = problem.matrix
    shift = np.zeros(matrix.shape[0]) if offset is None else offset
    weights = problem.distance_weights() if closest else np.zeros(matrix.shape[0])
    result = _milp(
        matrix.T @ weights,
        time_limit,
        integrality=np.ones(matrix.shape[1]),
        constraints=LinearConstraint(matrix, problem.low - shift, problem.high - shift),
    )
    return None if result.x is None else np.rint(result.x)


def _staged(problem: _Problem, first: np.ndarray, time_limit: float) -> np.ndarray | None:
    """Round in two stages; None if the second finds no rounding within bounds.

    First the first-stage unknowns (demand) alone, on the figures they make up alone, to the
    closest rounding. Then, with those held, the rest (capacity): every capacity figure
    within its floor and ceiling, and every gap (capacity less the held demand) within its
    own, the gaps as close to their values as that allows. Each stage is a rounding without
    differences, whose linear relaxation is nearly whole, so HiGHS proves the closest in a
    fraction of a second even for ten places, where rounding both at once, with the gaps
    joining them, takes it many seconds. (Weighing capacity's distance beside the gap's in
    the second stage makes HiGHS search for seconds again, for figures that would move
    within their floor and ceiling either way.)
    """
    matrix = problem.matrix
    touches_later = np.asarray(abs(matrix[:, ~first]).sum(axis=1)).ravel() > 0
    found = np.zeros(matrix.shape[1])
    if first.any():
        alone = np.flatnonzero(~touches_later)
        solved = _strict(problem.part(alone, np.flatnonzero(first)), time_limit)
        if solved is None:
            return None
        found[first] = solved
    if (~first).any():
        rest = np.flatnonzero(touches_later)
        held = matrix[rest][:, first]
        gaps = np.asarray(abs(held).sum(axis=1)).ravel() > 0
        second = problem.part(rest, np.flatnonzero(~first)).weighing(gaps)
        solved = _strict(second, time_limit, offset=held @ found[first])
        if solved is None:
            return None
        found[~first] = solved
    return found


def _relaxed(problem: _Problem, time_limit: float) -> np.ndarray | None:
    """A rounding where figures may pass their floor or ceiling, each unit beyond costing more
    than all distances within bounds could add up to.

    minimise  wᵀ A x + Σ M·k_f (above_f + below_f)
    subject to  A x − above ≤ high,  A x + below ≥ low,  above, below ≥ 0,  x integer,
    with M = twice the number of figures + 1 and k_f the figure's move cost (see
    :func:`_move_costs`).
    """
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint

    matrix = problem.matrix
    figures, unknowns = matrix.shape
    penalty = float(2 * figures + 1) * problem.move_cost
    cost = np.concatenate([matrix.T @ problem.distance_weights(), penalty, penalty])
    eye = sparse.identity(figures, format="csr")
    empty = sparse.csr_matrix((figures, figures))
    rows = sparse.vstack(
        [sparse.hstack([matrix, -eye, empty]), sparse.hstack([matrix, empty, eye])], format="csr"
    )
    infinite = np.full(figures, np.inf)
    constraints = LinearConstraint(
        rows, np.concatenate([-infinite, problem.low]), np.concatenate([problem.high, infinite])
    )
    integrality = np.concatenate([np.ones(unknowns), np.zeros(2 * figures)])
    bounds = Bounds(
        np.concatenate([np.full(unknowns, -np.inf), np.zeros(2 * figures)]),
        np.full(unknowns + 2 * figures, np.inf),
    )
    result = _milp(
        cost, time_limit, integrality=integrality, constraints=constraints, bounds=bounds
    )
    return None if result.x is None else np.rint(result.x[:unknowns])


def _assemble(shown: np.ndarray, problem: _Problem, blocks: list[_Block]) -> RoundedSheets:
    """Cut the figures back into sheets and list those outside their floor and ceiling."""
    pieces: dict[tuple[bool, str], np.ndarray] = {}
    departures: list[Departure] = []
    start = 0
    for block in blocks:
        size = int(np.prod(block.shape))
        span = slice(start, start + size)
        pieces[(block.place, block.kind)] = shown[span].reshape(block.shape)
        outside = (shown[span] < problem.low[span]) | (shown[span] > problem.high[span])
        for offset in np.flatnonzero(outside):
            departures.append(
                _departure(block, int(offset), problem.exact[start + offset], shown[start + offset])
            )
        start += size
    kinds = ("cell", "row total", "column total", "grand total")
    place_parts = [pieces[(True, kind)] for kind in kinds]
    sheets = tuple(
        Sheet(*(part[p] for part in place_parts)) for p in range(place_parts[0].shape[0])
    )
    total = Sheet(*(pieces[(False, kind)] for kind in kinds))
    return RoundedSheets(sheets, total, tuple(departures))


def _departure(block: _Block, offset: int, value: float, rounded: int) -> Departure:
    where = [int(i) for i in np.unravel_index(offset, block.shape)]
    place = where.pop(0) if block.place else None
    first = where[0] if where else None
    month = where[1] if len(where) > 1 else None
    by_row = block.kind in ("cell", "row total")
    return Departure(
        place=place,
        kind=block.kind,
        row=first if by_row else None,
        section=None if by_row else first,
        month=month,
        value=float(value),
        rounded=int(rounded),
    )
