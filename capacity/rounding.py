"""Whole numbers for exports that still add up: largest remainder, and tables with totals.

Leads check the sums in an exported workbook, so rounding each figure on its
own is not good enough: 3 × 0.4 shows as 0 + 0 + 0 under a total of 1.

* :func:`largest_remainder` rounds a list of parts so that they add up to
  the rounded total: every part goes down to its whole number, then the parts
  with the largest fractions go up by one until the total is reached.
* :func:`round_table` rounds a table (rows × columns) so that every row adds
  up to its row total, every column to its column total, and both sets of
  totals to the grand total. Every cell and every total ends on one of the two
  whole numbers either side of its value (a whole number stays as it is), and
  the grand total is the nearest whole number to the true one.

The table method is *controlled rounding* (Cox and Ernst, 1982). Put the cells,
the negated row totals, the negated column totals and the grand total in one
bordered table: each of its rows and columns then adds up to zero. While any
entry is not whole, the entries that are not whole hold a cycle (a row or
column cannot have just one, or it could not add up to zero). Moving the
cycle's entries alternately up and down by the same amount keeps every sum,
and moving them until the first one lands on a whole number makes progress.
Each step is done in exact fractions, so no float error can break a sum.

That finds *a* rounding that adds up; the first one found can send 0.9 down
when 0.1 elsewhere could have gone up instead. So the result is then moved,
one whole unit around a cycle at a time, while that brings it closer to the
true figures (the least total distance, the same as the least sum of squared
distances when every entry is on its floor or ceiling). Most cells then show
their usual rounding; the few that do not are the fewest and nearest there can
be while every sum holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


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


@dataclass(frozen=True)
class RoundedTable:
    """A table of whole numbers with totals that add up.

    ``cells[i][j]`` is row i, column j; ``row_totals[i]`` is the sum of row i,
    ``column_totals[j]`` the sum of column j, and ``grand_total`` the sum of
    either set of totals.
    """

    cells: list[list[int]]
    row_totals: list[int]
    column_totals: list[int]
    grand_total: int


def round_table(rows: Sequence[Sequence[float]], columns: int | None = None) -> RoundedTable:
    """Round a table so that its rows, its columns and its grand total all add up.

    ``columns`` gives the width of a table with no rows. Each cell, row total
    and column total becomes the floor or the ceiling of its true value (a
    whole number is kept); the grand total becomes the nearest whole number to
    the true grand total. Raises ValueError for ragged rows or a value that is
    not finite.
    """
    width = len(rows[0]) if rows else (columns or 0)
    if any(len(row) != width for row in rows):
        raise ValueError("every row of the table must have the same number of columns")
    grid = [[Fraction(v) for v in _finite(row)] for row in rows]
    exact = _bordered(grid, width)
    bordered = [list(row) for row in exact]
    target = _nearest(exact[-1][-1])
    while True:
        cycle = _fractional_cycle(bordered)
        if cycle is None:
            break
        _shift(bordered, cycle, target)
    whole = [[int(v) for v in row] for row in bordered]
    _closest(whole, exact)
    return RoundedTable(
        cells=[row[:-1] for row in whole[:-1]],
        row_totals=[-row[-1] for row in whole[:-1]],
        column_totals=[-v for v in whole[-1][:-1]],
        grand_total=whole[-1][-1],
    )


def _bordered(grid: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """The cells with negated row and column totals around them and the grand total in the corner.

    Every row and every column of the result adds up to zero.
    """
    out = [[*row, -sum(row, Fraction(0))] for row in grid]
    column_sums = [sum((row[j] for row in grid), Fraction(0)) for j in range(width)]
    grand = sum(column_sums, Fraction(0))
    out.append([*(-s for s in column_sums), grand])
    return out


def _fractional_cycle(table: list[list[Fraction]]) -> list[tuple[int, int]] | None:
    """A cycle of entries that are not whole, alternating between rows and columns, or None.

    Entries are edges between their row and their column. Because every row
    and column adds up to a whole number, a row or column with one entry that
    is not whole has another, so a walk that never turns straight back must
    close a cycle.
    """
    start = next(((i, j) for i, row in enumerate(table) for j, v in enumerate(row)
                  if v.denominator != 1), None)
    if start is None:
        return None
    path = [start]
    seen = {("row", start[0]): 0}
    at, came_by = ("column", start[1]), start
    while at not in seen:
        seen[at] = len(path)
        edge = _next_edge(table, at, came_by)
        path.append(edge)
        at = ("row", edge[0]) if at[0] == "column" else ("column", edge[1])
        came_by = edge
    return path[seen[at]:]


def _next_edge(table: list[list[Fraction]], at: tuple[str, int], came_by: tuple[int, int]
               ) -> tuple[int, int]:
    kind, index = at
    if kind == "row":
        candidates = [(index, j) for j, v in enumerate(table[index]) if v.denominator != 1]
    else:
        candidates = [(i, index) for i, row in enumerate(table) if row[index].denominator != 1]
    return next(edge for edge in candidates if edge != came_by)


def _shift(table: list[list[Fraction]], cycle: list[tuple[int, int]], target: int) -> None:
    """Move the cycle's entries alternately up and down until one of them is whole.

    The direction is the one needing the smaller move, except that the grand
    total (the bottom-right corner) only ever moves towards ``target``.
    """
    corner = (len(table) - 1, len(table[0]) - 1)
    signs = [1 if k % 2 == 0 else -1 for k in range(len(cycle))]
    step = {d: min(_room(table[i][j], d * s) for (i, j), s in zip(cycle, signs, strict=True))
            for d in (1, -1)}
    direction = 1 if step[1] <= step[-1] else -1
    if corner in cycle:
        toward = 1 if target > table[corner[0]][corner[1]] else -1
        direction = toward * signs[cycle.index(corner)]
    for (i, j), sign in zip(cycle, signs, strict=True):
        table[i][j] += direction * sign * step[direction]


def _closest(whole: list[list[int]], exact: list[list[Fraction]]) -> None:
    """Move the rounded table, keeping every sum, until no change brings it closer to the truth.

    A change adds one to some entries and takes one from others around a
    cycle, each entry staying on the floor or ceiling of its true value and
    the grand total staying put. The cost is the sum over all entries of the
    distance from the true value; changes are made while a cycle of negative
    cost exists (found by Bellman–Ford), which leaves the least cost there is.
    """
    while (cycle := _negative_cycle(_moves(whole, exact))) is not None:
        for kind, i, j in cycle:
            whole[i][j] += 1 if kind == "up" else -1


def _moves(whole: list[list[int]], exact: list[list[Fraction]]) -> list[tuple]:
    """Each entry's possible move as a graph edge: up is row → column, down is column → row."""
    corner = (len(whole) - 1, len(whole[0]) - 1)
    edges = []
    for i, row in enumerate(exact):
        for j, value in enumerate(row):
            if value.denominator == 1 or (i, j) == corner:
                continue
            fraction = float(value - math.floor(value))
            if whole[i][j] == math.floor(value):
                edges.append((("row", i), ("column", j), 1 - 2 * fraction, ("up", i, j)))
            else:
                edges.append((("column", j), ("row", i), 2 * fraction - 1, ("down", i, j)))
    return edges


def _negative_cycle(edges: list[tuple]) -> list[tuple] | None:
    """The moves around a cycle of negative total cost, or None (Bellman–Ford)."""
    nodes = {node for edge in edges for node in edge[:2]}
    distance = dict.fromkeys(nodes, 0.0)
    before: dict = {}
    changed = None
    for _ in range(len(nodes)):
        changed = None
        for start, end, cost, move in edges:
            if distance[start] + cost < distance[end] - 1e-9:
                distance[end] = distance[start] + cost
                before[end] = (start, move)
                changed = end
        if changed is None:
            return None
    if changed is None:
        return None
    # Still improving after |nodes| rounds: walking back that far lands inside a cycle.
    node = changed
    for _ in range(len(nodes)):
        node = before[node][0]
    cycle, at = [], node
    while True:
        at, move = before[at]
        cycle.append(move)
        if at == node:
            return cycle


def _room(value: Fraction, direction: int) -> Fraction:
    """How far ``value`` can move in ``direction`` before it reaches a whole number."""
    if direction > 0:
        return math.floor(value) + 1 - value
    return value - math.ceil(value) + 1
