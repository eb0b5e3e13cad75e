"""Time a slider move on the Flow page in a real browser, from key press to the new figure.

    python3 bench/flow_slider_browser.py [--moves N]

Builds a demo database in a temporary folder, starts the app on it, opens the
Flow page for the BHR D2A nursing beds in headless Chromium (Playwright with
Debian's /usr/bin/chromium), then moves the *places added* slider one step at
a time with the keyboard and times each move until the occupancy chart has been
redrawn with the new number of places and the app has finished running.
Stops the server it started.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from browser import CHROMIUM, CHROMIUM_ARGS, IDLE, serve_app  # noqa: E402

from capacity.demo import build_demo_database  # noqa: E402

# The occupancy chart's "Places in force" line as Plotly has drawn it (its encoded data).
DRAWN_PLACES = (
    "() => { const g = document.querySelector('.js-plotly-plot');"
    " if (!g || !g.data) return null;"
    " const t = g.data.find(t => t.name === 'Places in force');"
    " return t ? JSON.stringify(t.y) : null; }"
)
REDRAWN = "([before]) => { const now = (" + DRAWN_PLACES + ")(); return now && now !== before; }"


def slider_moves(url: str, moves: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.goto(f"{url}/flow?place=BHR&year=2025&service=bhr_d2a_nursing", timeout=120_000)
        page.wait_for_selector("text=Places needed, 5% target", timeout=120_000)
        page.wait_for_function(IDLE, timeout=60_000)
        page.wait_for_function(DRAWN_PLACES, timeout=60_000)
        slider = page.get_by_role("slider").first
        times = []
        for _ in range(moves):
            places = page.evaluate(DRAWN_PLACES)
            slider.focus()
            start = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(REDRAWN, arg=[places], timeout=30_000)
            page.wait_for_function(IDLE, timeout=30_000)
            times.append((time.perf_counter() - start) * 1000)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo_database(db)
        with serve_app(db) as (url, _pid):
            times = slider_moves(url, args.moves)
    print(
        f"Flow page, slider moved (key press to new figure, headless Chromium): median "
        f"{statistics.median(times):.0f} ms, range {min(times):.0f}–{max(times):.0f} ms "
        f"over {len(times)} moves"
    )


if __name__ == "__main__":
    main()
