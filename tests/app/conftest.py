"""AppTest fixtures: the app over the demo database, with helpers to read its charts."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from capacity import config

APP = str(config.PROJECT_ROOT / "app.py")


@pytest.fixture
def app(demo_db, monkeypatch):
    """A fresh AppTest session over the shared demo database."""
    monkeypatch.setenv(config.DB_ENV, str(demo_db))
    return AppTest.from_file(APP, default_timeout=90)


def figures(at) -> list[dict]:
    """The plotly figures on the page, as dicts."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def trace(figure: dict, name: str) -> dict:
    """The trace of a figure with this name, with its x and y as plain lists."""
    found = next(t for t in figure["data"] if t.get("name") == name)
    return found | {axis: decode(found.get(axis)) for axis in ("x", "y", "z") if axis in found}


def decode(values):
    """Plotly's JSON for numpy arrays ({'dtype', 'bdata'}) as a plain list."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return values


def no_errors(at) -> None:
    """The page ran without an exception or an error box."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
