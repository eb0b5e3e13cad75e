"""The Export page offers the meeting pack of the sidebar's place: format, snapshot, build,
download."""

from __future__ import annotations

from pages import page_path
from tests.app.conftest import no_errors
from tests.browser import needs_chromium


def open_export(app, place: str):
    app.query_params["year"] = "2025"
    app.query_params["place"] = place
    app.run()
    app.switch_page(page_path("export")).run()
    no_errors(app)
    return app


def test_the_export_page_offers_the_meeting_pack(app):
    open_export(app, "E06000034")
    assert "Meeting pack" in [h.value for h in app.subheader]
    assert app.radio(key="pack_format").options == ["PDF, to circulate", "PowerPoint, to present"]
    assert app.selectbox(key="pack_snapshot").options == ["Today's plan (Baseline (no changes))"]
    assert app.button(key="pack_build").label == "Build the pack"
    assert all(b.label.find("meeting-pack") < 0 for b in app.get("download_button"))


@needs_chromium("the meeting pack's chart images")
def test_building_the_pack_offers_it_for_download(app):
    open_export(app, "E06000034")
    app.radio(key="pack_format").set_value("pptx").run()
    app.button(key="pack_build").click().run()
    no_errors(app)
    labels = [b.label for b in app.get("download_button")]
    assert "Download thurrock-2025-26-meeting-pack.pptx" in labels
    # Changing what the pack is of takes the old file away rather than offer the wrong one.
    app.radio(key="pack_format").set_value("pdf").run()
    assert not any("meeting-pack" in b.label for b in app.get("download_button"))
