"""The queue order the flow simulation builds: each person's arrival row, worked by hand."""

from __future__ import annotations

import numpy as np

from capacity.flow.simulation import _arrival_rows


def test_rows_follow_the_counts_first_come_first_served() -> None:
    # Replication 0: 2 waiting at the start (row 0), none on day 0, 1 on day 1 (row 2),
    # none on day 2. Replication 1: 3 arrivals on day 0 (row 1).
    counts = np.array([[2, 0, 1, 0], [0, 3, 0, 0]])
    rows = _arrival_rows(counts, counts.sum(axis=1), width=3)
    assert rows.tolist() == [[0, 0, 2], [1, 1, 1]]
    assert rows.dtype == np.int32


def test_places_past_the_last_person_hold_minus_one() -> None:
    # Replication 0: 1 waiting, 1 on day 0, none after (a row begins at the width itself);
    # replication 1: no one at all; replication 2: one arrival on the last day.
    counts = np.array([[1, 1, 0], [0, 0, 0], [0, 0, 1]])
    rows = _arrival_rows(counts, counts.sum(axis=1), width=2)
    assert rows.tolist() == [[0, 1], [-1, -1], [2, -1]]
