"""The Flow page: who waits for the BHR D2A beds this winter, and what more beds would do."""

from __future__ import annotations

from datetime import date

import pytest

from capacity import config
from capacity.flow.queueing import servers_for_wait_probability
from capacity.plan import plan_for
from capacity.store import Store
from pages import page_path
from tests.app.conftest import figures, no_errors, trace


@pytest.fixture(autouse=True)
def today_after_the_year(monkeypatch):
    """Today is after 2025-26, so the page opens that year on 1 April unless told."""
    monkeypatch.setattr(config, "today", lambda: date(2026, 11, 24))


def open_flow(app, **params: str):
    """The Flow page at the BHR system in 2025-26, then a link with ``params`` followed."""
    app.query_params["place"] = "BHR"
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("flow")).run()
    for name, value in params.items():
        app.query_params[name] = value
    return app.run()


@pytest.fixture
def d2a(app):
    """The Flow page at the BHR system, 2025-26, opened on the D2A nursing beds by a link."""
    return open_flow(app, service="bhr_d2a_nursing")


def metric(app, label: str):
    return next(m for m in app.metric if m.label.startswith(label))


def number(text: str) -> float:
    return float(text.split()[0].replace(",", "").rstrip("%"))


def test_a_lead_sees_who_waits_in_winter_and_the_beds_that_would_do(d2a, demo_db):
    no_errors(d2a)
    assert d2a.title[0].value == "Flow · Barking & Dagenham, Havering and Redbridge · 2025-26"
    assert d2a.selectbox(key="flow_service").value == "bhr_d2a_nursing"
    assert metric(d2a, "Places planned in winter").value == "20 places"
    assert number(metric(d2a, "Waiting, on average, on a winter day").value) > 0
    assert number(metric(d2a, "Mean wait of a winter arrival").value) > 0
    # The busiest winter month's demand from the plan, as a steady load on 42-day stays.
    with Store.open(demo_db, read_only=True) as store:
        plan = plan_for(store, "BHR", 2025)
    d2a_rows = plan[plan["service_id"] == "bhr_d2a_nursing"].set_index("month")
    winter = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    days = {"2025-11": 30, "2025-12": 31, "2026-01": 31, "2026-02": 28, "2026-03": 31}
    needed = max(
        servers_for_wait_probability(d2a_rows.loc[m, "demand"] / days[m] * 42, 0.05) for m in winter
    )
    assert number(metric(d2a, "Places needed, 5% target").value) == needed > 20
    assert "In winter (November to March), with 20 places" in d2a.markdown[0].value


def test_the_charts_show_occupancy_the_queue_and_waits(d2a):
    occupancy, queue, waits = figures(d2a)[:3]
    places = trace(occupancy, "Places in force")["y"]
    assert len(places) == 365 and set(places) == {20.0}
    assert max(trace(occupancy, "Expected occupancy")["y"]) <= 20
    assert len(trace(queue, "Expected number waiting")["y"]) == 365
    assert len(trace(waits, "Mean wait (days)")["y"]) == 12


def test_more_beds_shorten_the_wait_and_the_link_keeps_the_setting(d2a):
    before = number(metric(d2a, "Waiting, on average, on a winter day").value)
    d2a.slider(key="flow_extra").set_value(10).run()
    no_errors(d2a)
    after = metric(d2a, "Waiting, on average, on a winter day")
    assert number(after.value) < before and after.delta.startswith("-")
    assert metric(d2a, "Places planned in winter").value == "30 places"
    assert d2a.query_params["extra"] == "10"
    assert "less than the baseline" in d2a.markdown[1].value + d2a.markdown[2].value


def test_a_link_opens_the_what_if_it_names(app):
    open_flow(
        app,
        service="bhr_d2a_nursing",
        extra="4",
        to="2026-03",
        los="-10",
        target="10",
        **{"from": "2025-11"},
    )
    no_errors(app)
    assert app.slider(key="flow_extra").value == 4
    assert app.slider(key="flow_los").value == -10
    assert app.selectbox(key="flow_from").value == "2025-11"
    assert metric(app, "Places needed, 10% target")
    assert metric(app, "Places planned in winter").value == "24 places"


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("service", "teleportation", "service 'teleportation' is not recognised"),
        ("extra", "999", "extra '999' is not recognised"),
        ("target", "50", "target '50' is not recognised"),
        ("from", "1999-01", "from '1999-01' is not recognised"),
    ],
)
def test_unknown_link_values_fall_back_with_a_notice(app, name, value, shown):
    open_flow(app, **{name: value})
    no_errors(app)
    assert any(shown in w.value for w in app.warning)


def test_the_sidebar_scenario_applies_and_is_costed_against_the_baseline(d2a):
    d2a.sidebar.selectbox(key="scenario").select("preset:winter_flex_beds").run()
    no_errors(d2a)
    # Open winter flex beds: 10% more beds November to April, so 22 in winter.
    assert metric(d2a, "Places planned in winter").value == "22 places"
    assert metric(d2a, "Waiting, on average, on a winter day").delta.startswith("-")


def test_a_starting_queue_is_shown_draining(d2a):
    d2a.number_input(key="flow_waiting").set_value(15).run()
    no_errors(d2a)
    text = " ".join(m.value for m in d2a.markdown)
    assert "Starting on 1 Apr 2025 with 20 in the service and 15 waiting." in text
    assert d2a.query_params["waiting"] == "15"


def test_a_wait_that_never_ends_is_shown_as_a_lower_bound(d2a):
    # Taking all 20 beds away: nobody is admitted all year, nor after it.
    d2a.slider(key="flow_extra").set_value(-20).run()
    no_errors(d2a)
    assert metric(d2a, "Places planned in winter").value == "0 places"
    assert metric(d2a, "Mean wait of a winter arrival").value.startswith("over ")
    headline = d2a.markdown[0].value
    assert "an arrival waits more than" in headline
    assert "still waiting when the run stops, 365 days after the year ends" in headline


def test_starting_numbers_are_limited_in_the_link_and_the_boxes(app):
    open_flow(app, service="bhr_d2a_nursing", waiting="100000", in_service="100000")
    no_errors(app)
    notices = " ".join(w.value for w in app.warning)
    assert "waiting '100000' is not recognised (must be between 0 and 5,000)" in notices
    assert "in_service '100000' is not recognised (must be between 0 and 5,000)" in notices
    boxes = {box.label: box for box in app.number_input}
    assert boxes["Waiting on 1 Apr"].value == 0
    assert boxes["Waiting on 1 Apr"].max == boxes["In the service on 1 Apr"].max == 5_000
    assert "waiting" not in app.query_params


def test_changing_the_sidebar_place_falls_back_to_a_service_modelled_there(d2a):
    # Thurrock has no BHR D2A beds: the page shows one of Thurrock's own services and says so.
    d2a.sidebar.selectbox(key="place").set_value("E06000034").run()
    no_errors(d2a)
    assert d2a.title[0].value.startswith("Flow · Thurrock")
    assert d2a.selectbox(key="flow_service").value.startswith("thu_")
    assert any(
        "BHR discharge-to-assess nursing beds is not modelled at Thurrock" in i.value
        for i in d2a.info
    )
    # The link no longer names the BHR beds (the first service is the default, left out).
    assert (
        d2a.query_params.get("service", d2a.selectbox(key="flow_service").value)
        == d2a.selectbox(key="flow_service").value
    )
    d2a.run()  # and it stays working
    no_errors(d2a)
    d2a.sidebar.selectbox(key="place").set_value("BHR").run()
    no_errors(d2a)
    assert d2a.title[0].value.startswith("Flow · Barking & Dagenham, Havering and Redbridge")


def test_changing_the_planning_year_keeps_the_service_and_the_what_if_months(app):
    open_flow(app, service="bhr_d2a_nursing", extra="4", **{"from": "2025-11", "to": "2026-02"})
    assert metric(app, "Places planned in winter").value == "20–24 places"
    app.sidebar.selectbox(key="year").set_value(2026).run()
    no_errors(app)
    assert app.title[0].value.endswith("2026-27")
    assert app.selectbox(key="flow_service").value == "bhr_d2a_nursing"
    assert app.selectbox(key="flow_from").value == "2026-11"
    assert app.selectbox(key="flow_to").value == "2027-02"
    assert (app.query_params["from"], app.query_params["to"]) == ("2026-11", "2027-02")
    assert metric(app, "Places planned in winter").value == "20–24 places"
    # 1 April 2025 is not in 2026-27; today (24 November 2026) is, so the run starts today.
    assert app.date_input(key="flow_start").value == date(2026, 11, 24)
    assert "start" not in app.query_params


def test_taking_away_more_places_than_there_are_shows_and_links_what_is_used(app):
    open_flow(app, service="bhr_d2a_nursing", extra="-40")
    no_errors(app)
    assert any("showing -20" in w.value for w in app.warning)
    assert app.slider(key="flow_extra").value == -20
    assert app.query_params["extra"] == "-20"


def test_a_link_to_a_service_that_cannot_be_modelled_says_why(app):
    open_flow(app, service="bhr_hsss")
    no_errors(app)
    notices = " ".join(w.value for w in app.warning)
    assert (
        "BHR Home, Settle & Support cannot be modelled: it is planned by a stated "
        "throughput" in notices
    )
    assert "not a known service" not in notices


def in_service_box(app):
    return next(box for box in app.number_input if box.label.startswith("In the service on"))


def page_text(app) -> str:
    return " ".join(m.value for m in app.markdown)


def test_places_taken_away_lower_the_default_number_in_the_service(app):
    # 15 of the 20 beds taken away: the box is left empty and the run starts with the 5 left.
    open_flow(app, service="bhr_d2a_nursing", extra="-15")
    no_errors(app)
    box = in_service_box(app)
    assert box.value is None and box.proto.placeholder == "5 (default)"
    assert "Starting on 1 Apr 2025 with 5 in the service and 0 waiting." in page_text(app)
    occupancy = figures(app)[0]
    assert max(trace(occupancy, "Occupancy, 5th–95th percentile")["y"]) <= 5
    assert "in_service" not in app.query_params
    app.slider(key="flow_extra").set_value(0).run()
    assert in_service_box(app).proto.placeholder == "20 (default)"


def test_more_in_the_service_than_its_places_shows_a_warning(d2a):
    in_service_box(d2a).set_value(200).run()
    no_errors(d2a)
    assert any(
        w.value.startswith(
            "200 people are in the service on 1 Apr 2025, 180 more than its 20 places."
        )
        for w in d2a.warning
    )
    assert d2a.query_params["in_service"] == "200"
    in_service_box(d2a).set_value(20).run()
    assert not any("more than its" in w.value for w in d2a.warning)


def test_the_run_starts_today_when_today_is_in_the_year(app, monkeypatch):
    monkeypatch.setattr(config, "today", lambda: date(2025, 11, 24))
    open_flow(app, service="bhr_d2a_nursing")
    no_errors(app)
    assert app.date_input(key="flow_start").value == date(2025, 11, 24)
    assert "start" not in app.query_params  # today is the default
    assert "from 24 Nov 2025 (days before it are not simulated)" in app.caption[0].value
    assert in_service_box(app).label == "In the service on 24 Nov"
    occupancy, _, waits = figures(app)[:3]
    days = trace(occupancy, "Places in force")["x"]
    assert (days[0], days[-1], len(days)) == ("2025-11-24", "2026-03-31", 128)
    assert trace(waits, "Mean wait (days)")["x"][0] == "24–30 Nov 2025"
    assert app.markdown[0].value.startswith(
        "**In the rest of winter, from 24 Nov 2025, with 20 places"
    )


def test_a_start_day_can_be_chosen_and_linked(d2a):
    d2a.date_input(key="flow_start").set_value(date(2026, 1, 5)).run()
    no_errors(d2a)
    assert d2a.query_params["start"] == "2026-01-05"
    assert len(trace(figures(d2a)[0], "Places in force")["x"]) == 86  # 5 Jan to 31 Mar 2026
    assert "Starting on 5 Jan 2026 with" in page_text(d2a)


@pytest.mark.parametrize("value", ["2027-01-05", "tomorrow"])
def test_a_link_to_a_start_outside_the_year_falls_back_with_a_notice(app, value):
    open_flow(app, service="bhr_d2a_nursing", start=value)
    no_errors(app)
    assert any(
        f"start '{value}' is not recognised" in w.value
        and w.value.endswith("showing 1 Apr 2025 instead.")
        for w in app.warning
    )
    assert app.date_input(key="flow_start").value == date(2025, 4, 1)


def test_a_link_opens_at_the_start_day_it_names(app):
    open_flow(app, service="bhr_d2a_nursing", start="2025-12-01", waiting="6")
    no_errors(app)
    assert app.date_input(key="flow_start").value == date(2025, 12, 1)
    assert "Starting on 1 Dec 2025 with 20 in the service and 6 waiting." in page_text(app)


# -- a pathway's services pooled ---------------------------------------------------


def test_a_lead_can_choose_a_whole_pathway_after_the_services(d2a):
    box = d2a.selectbox(key="flow_service")
    assert box.options[-3:] == [
        "Pathway 1 – all 2 modelled services (pooled)",
        "Pathway 2 – all 2 modelled services (pooled)",
        "Pathway 3 – its one modelled service (pooled)",
    ]
    box.select("pathway:P2").run()
    no_errors(d2a)
    assert d2a.query_params["service"] == "pathway:P2"
    assert any(
        c.value.startswith(
            "Pooled: BHR community rehabilitation beds, Redbridge "
            "step-down beds. One queue for all their places"
        )
        for c in d2a.caption
    )
    # 61 rehab beds in winter and 7 step-down beds; the what-if adds places to the pool.
    assert metric(d2a, "Places planned in winter").value == "68 places"
    d2a.slider(key="flow_extra").set_value(5).run()
    no_errors(d2a)
    assert metric(d2a, "Places planned in winter").value == "73 places"
    # A long title breaks over lines, the first as the title and the rest as its subtitle.
    title = figures(d2a)[0]["layout"]["title"]
    assert (
        "Pathway 2 – all 2 modelled services (pooled)"
        in f"{title['text']} {title.get('subtitle', {}).get('text', '')}".replace(" <br>", " ")
    )


def test_a_link_opens_a_pathway_pool(app):
    open_flow(app, service="pathway:P2", extra="2")
    no_errors(app)
    assert app.selectbox(key="flow_service").value == "pathway:P2"
    assert metric(app, "Places planned in winter").value == "70 places"
    assert "**Pool**: P2: BHR community rehabilitation beds, Redbridge step-down beds" in page_text(
        app
    )


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        (
            {"service": "pathway:P0"},
            "service 'pathway:P0' is not recognised (only the "
            "hospital-discharge pathways P1, P2 and P3 can be pooled)",
        ),
        ({"service": "pathway:P9"}, "service 'pathway:P9' is not recognised"),
        (
            {"service": "pathway:P2", "place": "E06000017"},
            "service 'pathway:P2' is not recognised (no P2 service at Rutland has a caseload and a "
            "length of stay)",
        ),
    ],
)
def test_a_link_to_a_pathway_that_cannot_be_pooled_falls_back_with_a_notice(app, params, shown):
    open_flow(app, **params)
    no_errors(app)
    assert any(shown in w.value for w in app.warning), [w.value for w in app.warning]
    assert not app.selectbox(key="flow_service").value.startswith("pathway:")


def test_a_pathway_not_modelled_at_the_next_place_falls_back_and_says_so(app):
    open_flow(app, service="pathway:P3")
    app.sidebar.selectbox(key="place").set_value("E06000017").run()  # Rutland: no P3 service
    no_errors(app)
    assert app.selectbox(key="flow_service").value == "rut_reablement"
    assert any(
        i.value == "Pathway 3 (pooled) is not modelled at Rutland; showing Rutland "
        "Micare reablement."
        for i in app.info
    ), [i.value for i in app.info]
