"""Several app servers, one shared state: two DuckDB files sharing one PostgreSQL.

Each test makes two stores, as two servers would have, on two copies of the demo
database, and one fresh PostgreSQL database (CAPACITY_STATE). Skips only where
PostgreSQL's programs or psycopg are absent (see tests/postgres.py).
"""

from __future__ import annotations

import shutil
import threading
import uuid

import pytest

from capacity import scenario_store
from capacity.access import local_user
from capacity.scenarios.model import Change, Scenario, ScenarioError
from capacity.shared_state import STATE_ENV, SharedStateConflict, SharedStateError
from capacity.store import Store, StoreError
from capacity.views import scenario_choices
from tests.postgres import postgres_cluster  # noqa: F401 - the session fixture

ANN = local_user("Ann Lee")
BOB = local_user("Bob Shah")
THURROCK = "E06000034"


def winter(name: str = "Winter BHR", pct: float = 10) -> Scenario:
    return Scenario(
        name,
        (Change("demand_pct", pct, "2025-12", "2026-03", places=("BHR",)),),
        "Demand up over winter",
        "A lead",
    )


@pytest.fixture
def state_url(postgres_cluster, monkeypatch):  # noqa: F811
    url = postgres_cluster.new_database("s" + uuid.uuid4().hex[:12])
    monkeypatch.setenv(STATE_ENV, url)
    return url


@pytest.fixture
def servers(demo_db, tmp_path, state_url):
    """Two servers' stores: the first seeds the empty PostgreSQL, the second takes from it."""
    paths = [tmp_path / "server_a.duckdb", tmp_path / "server_b.duckdb"]
    for path in paths:
        shutil.copyfile(demo_db, path)
    first = Store.open(paths[0])
    second = Store.open(paths[1])
    yield first, second
    first.close()
    second.close()


def names(store: Store) -> set[str]:
    return set(scenario_store.list_saved(store)["name"])


def audit_log(store: Store):
    return store._con.execute("SELECT user_name, subject FROM audit_log").df()


def test_a_scenario_saved_through_one_server_appears_in_the_other(servers):
    a, b = servers
    assert a.state_shared and b.state_shared
    stamps_before = b.versions()
    scenario_choices.save_scenario(a, winter(), user=ANN)
    assert "Winter BHR" not in names(b)  # b has not looked since
    assert b.refresh() is True
    assert "Winter BHR" in names(b)
    loaded = scenario_store.load(b, "Winter BHR")
    assert loaded.changes == winter().changes and loaded.version == 1
    # The scenarios stamp the app's caches key on moved with it.
    assert b.versions()[1] != stamps_before[1]
    # Nothing more to take: a second refresh takes nothing.
    assert b.refresh() is False


def test_reads_through_the_views_take_other_servers_changes(servers):
    a, b = servers
    scenario_choices.save_scenario(a, winter(), user=ANN)
    # versions() (what every page run asks first) takes the change without being told.
    b.versions()
    assert "Winter BHR" in names(b)


def test_different_scenarios_saved_at_once_on_both_servers_all_arrive(servers):
    a, b = servers
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def save(store: Store, name: str, user) -> None:
        try:
            start.wait()
            scenario_choices.save_scenario(store, winter(name), user=user)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=save, args=(store, f"{who} {n}", user))
        for store, who, user in ((a, "Ann", ANN), (b, "Bob", BOB))
        for n in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    expected = {f"{who} {n}" for who in ("Ann", "Bob") for n in range(3)}
    a.refresh()
    b.refresh()
    assert expected <= names(a) and names(a) == names(b)
    # Six different scenarios: six different ids, none overwritten.
    ids = scenario_store.list_saved(a)
    assert ids["scenario_id"].is_unique
    # The audit trail on both holds all six saves, each by its own user.
    for store in (a, b):
        log = audit_log(store)
        saves = log[log["subject"].isin(expected)]
        assert sorted(saves["subject"]) == sorted(expected)
        assert set(saves.loc[saves["subject"].str.startswith("Bob"), "user_name"]) == {"Bob Shah"}


def test_saving_the_same_scenario_on_both_refuses_the_later_with_who_and_when(servers):
    a, b = servers
    scenario_choices.save_scenario(a, winter(), user=ANN)
    b.refresh()
    # Both servers have version 1; Ann saves version 2 through a, then Bob, whose server
    # has not read since, saves his own version 2 through b.
    scenario_choices.save_scenario(a, winter(pct=20), "Winter BHR", user=ANN)
    with pytest.raises(SharedStateConflict) as refused:
        scenario_choices.save_scenario(b, winter(pct=30), "Winter BHR", user=BOB)
    message = str(refused.value)
    assert "Winter BHR" in message and "another server" in message and "\n" not in message
    assert "reload" in message.lower()
    # Nothing of Bob's was kept, here or there; Ann's version stands on both after a read.
    b.refresh()
    for store in (a, b):
        latest = scenario_store.load(store, "Winter BHR")
        assert latest.version == 2 and latest.changes[0].value == 20
        assert sorted(scenario_store.history(store, "Winter BHR")["version"]) == [1, 2]
    # Having read Ann's version, Bob can save his on top of it.
    scenario_choices.save_scenario(b, winter(pct=30), "Winter BHR", user=BOB)
    a.refresh()
    assert scenario_store.load(a, "Winter BHR").version == 3


def _thurrock_parameter(store: Store) -> int:
    found = store._con.execute(
        "SELECT min(p.param_id) FROM service_parameters p "
        "JOIN service_places s USING (service_id) WHERE s.place_code = $p",
        {"p": THURROCK},
    ).fetchone()[0]
    assert found is not None, "the demo has parameters for Thurrock's services"
    return int(found)


def _set_caseload(store: Store, param_id: int, caseload: float, who: str) -> None:
    with store.transaction() as tx:
        # A parameter edit as the importer makes it: the row changes and the audit says who.
        tx._cur.execute(
            "UPDATE service_parameters SET caseload = $c WHERE param_id = $i",
            {"c": caseload, "i": param_id},
        )
        tx._cur.execute(
            "INSERT INTO audit_log (changed_at, user_name, action, place_code, subject) "
            "VALUES (now(), $w, 'parameters', $p, 'caseload')",
            {"w": who, "p": THURROCK},
        )


def test_changing_the_same_parameters_on_both_refuses_the_later(servers):
    a, b = servers
    param_id = _thurrock_parameter(a)
    _set_caseload(a, param_id, 41.0, "Ann Lee")
    with pytest.raises(SharedStateConflict) as refused:
        _set_caseload(b, param_id, 57.0, "Bob Shah")
    message = str(refused.value)
    assert message.startswith("Thurrock's parameters") and "by Ann Lee at" in message
    b.refresh()
    for store in (a, b):
        caseload = store.query("all_parameters").set_index("param_id").loc[param_id, "caseload"]
        assert caseload == 41.0
    # The audit trail on both has Ann's change and not Bob's refused one.
    for store in (a, b):
        log = audit_log(store)
        assert "Ann Lee" in set(log["user_name"]) and "Bob Shah" not in set(log["user_name"])


def test_a_server_starting_later_takes_the_shared_state_over_its_own_file(
    servers, demo_db, tmp_path
):
    a, _ = servers
    scenario_choices.save_scenario(a, winter(), user=ANN)
    late = tmp_path / "server_c.duckdb"
    shutil.copyfile(demo_db, late)
    with Store.open(late) as c:
        assert "Winter BHR" in names(c)
        # A scenario saved next numbers after every id already used on another server.
        saved = scenario_choices.save_scenario(c, winter("Spring"), user=BOB)
        assert saved.name == "Spring"
    a.refresh()
    assert scenario_store.list_saved(a)["scenario_id"].is_unique


def test_without_the_setting_nothing_is_shared(writable_db, monkeypatch):
    monkeypatch.delenv(STATE_ENV, raising=False)
    with Store.open(writable_db) as store:
        assert not store.state_shared and store.refresh() is False


@pytest.mark.parametrize(
    "value", ["localhost:5432", "sqlite:///tmp/x.db", "http://example.org/db", "postgresql://"]
)
def test_a_setting_that_is_not_a_postgresql_address_is_refused_in_one_line(
    value, writable_db, monkeypatch
):
    monkeypatch.setenv(STATE_ENV, value)
    with pytest.raises(SharedStateError) as refused:
        Store.open(writable_db)
    assert STATE_ENV in str(refused.value) and "\n" not in str(refused.value)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_server_is_one_clear_line(writable_db, monkeypatch):
    monkeypatch.setenv(STATE_ENV, f"postgresql://u:secret@127.0.0.1:{_closed_port()}/x")
    with pytest.raises(StoreError) as refused:
        Store.open(writable_db)
    message = str(refused.value)
    assert message.startswith("Could not connect to the shared state at 127.0.0.1:")
    assert "\n" not in message and "secret" not in message


def test_a_wrong_password_is_one_clear_line(postgres_cluster, writable_db, monkeypatch):  # noqa: F811
    monkeypatch.setenv(STATE_ENV, postgres_cluster.url(password="not-the-password"))
    with pytest.raises(StoreError) as refused:
        Store.open(writable_db)
    message = str(refused.value)
    assert "user name or password was refused" in message
    assert "\n" not in message and "not-the-password" not in message


def test_a_shared_state_made_by_a_newer_version_is_refused(state_url, writable_db, tmp_path):
    import psycopg

    with Store.open(writable_db):
        pass  # makes the schema
    with psycopg.connect(state_url, autocommit=True) as con:
        con.execute("INSERT INTO schema_version (version, name) VALUES (999, 'future')")
    other = tmp_path / "other.duckdb"
    shutil.copyfile(writable_db, other)
    with pytest.raises(StoreError) as refused:
        Store.open(other)
    message = str(refused.value)
    assert "newer version" in message and "schema 999" in message and "\n" not in message


def test_the_command_line_says_a_bad_setting_in_one_line(writable_db, monkeypatch, capsys):
    from capacity.cli import main

    monkeypatch.setenv(STATE_ENV, "not a url")
    code = main(["--db", str(writable_db), "places"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and STATE_ENV in err and len(err.splitlines()) == 1


def test_a_save_built_on_a_version_another_server_replaced_is_refused_after_a_read(servers):
    a, b = servers
    scenario_choices.save_scenario(a, winter(), user=ANN)
    b.refresh()
    # Bob opens version 1 on server b; Ann saves version 2 on server a; b then reads (any
    # page run does), so its copy is current, but Bob's edit still starts from version 1.
    scenario_choices.save_scenario(a, winter(pct=20), "Winter BHR", user=ANN, based_on=1)
    b.refresh()
    with pytest.raises(ScenarioError) as refused:
        scenario_choices.save_scenario(b, winter(pct=30), "Winter BHR", user=BOB, based_on=1)
    assert "since you opened version 1: version 2" in refused.value.problems[0]
    assert scenario_store.load(b, "Winter BHR").changes[0].value == 20
