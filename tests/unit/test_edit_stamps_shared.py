"""Two app servers on one PostgreSQL: a person on one server holding parameters opened before
someone on the other saved them is refused, even after their server has taken the change
(PostgreSQL's row check alone would no longer see it). Skips only where PostgreSQL's programs
or psycopg are absent (see tests/postgres.py)."""

from __future__ import annotations

import pytest

from capacity.views import data
from tests.postgres import postgres_cluster  # noqa: F401 - the session fixture
from tests.unit.test_edit_stamps import ANN, BEN, SERVICE, save_parameters
from tests.unit.test_shared_state import servers, state_url  # noqa: F401 - fixtures


def test_parameters_opened_on_one_server_and_saved_on_the_other(servers, tmp_path):  # noqa: F811
    one, two = servers
    ann = data.parameters_editor(one, SERVICE)  # Ann, on server 1, opens the editor
    ben = data.parameters_editor(two, SERVICE)
    # Ben, on server 2, raises the later row's hours from 6000 to 6500 and saves.
    ben_rows = ben.rows.copy()
    ben_rows.loc[1, "hours_per_month"] = 6500.0
    saved = save_parameters(two, tmp_path, ben_rows, BEN, ben.stamp)
    assert saved.import_id is not None
    # Server 1 takes the change (as any page's next read would) ...
    assert one.refresh() is True
    assert list(data.parameters_of(one, SERVICE)["hours_per_month"]) == [5000.0, 6500.0]
    before = one.query("import_log")
    # ... so Ann's save, made on the rows she opened, is refused by the stamp with Ben named.
    ann_rows = ann.rows.copy()
    ann_rows.loc[0, "hours_per_month"] = 4500.0
    with pytest.raises(data.EditConflict, match=f"Ben Brook.*import {saved.import_id}"):
        save_parameters(one, tmp_path, ann_rows, ANN, ann.stamp)
    # Nothing lost: Ben's 6500 stands on both servers, and no import was logged for Ann.
    two.refresh()
    for store in (one, two):
        assert list(data.parameters_of(store, SERVICE)["hours_per_month"]) == [5000.0, 6500.0]
    assert len(one.query("import_log")) == len(before)
    # Reloaded, Ann's change saves on top of Ben's and reaches server 2.
    fresh = data.parameters_editor(one, SERVICE)
    fresh_rows = fresh.rows.copy()
    fresh_rows.loc[0, "hours_per_month"] = 4500.0
    assert save_parameters(one, tmp_path, fresh_rows, ANN, fresh.stamp).import_id
    assert two.refresh() is True
    assert list(data.parameters_of(two, SERVICE)["hours_per_month"]) == [4500.0, 6500.0]
