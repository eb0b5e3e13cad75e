"""The meeting pack's content, independent of the file it is written to.

A :class:`Pack` is what a pack says: its title page (place or system, planning
year, scenario and version, data version, when and by which version of the
product it was made) and its sections in order. A :class:`PackSection` holds
sentences, tables whose cells are already display strings, and chart images
as PNG bytes. The PDF (:mod:`capacity.export.pack_pdf`) and the PowerPoint
(:mod:`capacity.export.pack_pptx`) are two drawings of the same content, so a
pack circulated before a meeting and the one projected in it say the same.

Every text here is plain text: the renderers escape it for their own format,
so a name or a decision such as ``<script>`` or ``=HYPERLINK("x")`` comes out
as typed and is never read as markup or a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

PACK_FORMATS = {
    "pdf": "a PDF to circulate (A4 landscape)",
    "pptx": "a PowerPoint to present (16:9)",
}
PACK_MIME_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

Progress = Callable[[float, str], None]
"""Told how far a pack has got (0–1) and what it is doing, in words."""


def no_progress(fraction: float, text: str) -> None:
    """A progress callback that says nothing (the default)."""


@dataclass(frozen=True)
class PackTable:
    """A table for the pack: a caption and a frame of display strings (columns as headers)."""

    caption: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class PackFigure:
    """A chart drawn as PNG, with the title a slide shows over it."""

    title: str
    png: bytes


@dataclass(frozen=True)
class PackSection:
    """One part of the pack: a heading, sentences, tables and charts, in that order.

    ``new_page`` starts the section on a new page of the PDF (every section
    starts a new slide). ``group`` names the member place a system's pack
    section is about ('' for the pack's own place or system).
    """

    title: str
    sentences: tuple[str, ...] = ()
    tables: tuple[PackTable, ...] = ()
    figures: tuple[PackFigure, ...] = ()
    new_page: bool = True
    group: str = ""


@dataclass(frozen=True)
class Pack:
    """A meeting pack: what its title page says, and its sections in order."""

    title: str
    subtitle: str
    scenario_label: str
    data_label: str
    made_at: datetime
    version: str
    sections: tuple[PackSection, ...] = field(default_factory=tuple)

    @property
    def title_lines(self) -> list[str]:
        """The lines under the title on its page or slide."""
        return [
            self.subtitle,
            f"Scenario: {self.scenario_label}",
            f"Data: {self.data_label}",
            f"Made {self.made_at:%-d %B %Y %H:%M} with version {self.version} of the product",
        ]

    @property
    def footer(self) -> str:
        """What every page's foot says, so a page torn from the pack still says what it is."""
        return f"{self.title} · {self.subtitle} · {self.scenario_label}"


def table_of(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame``'s columns picked and renamed for a pack table, every cell a string ('' if
    missing)."""
    shown = frame[list(columns)].rename(columns=columns)
    return shown.astype(object).where(shown.notna(), "").astype(str).reset_index(drop=True)


def row_chunks(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """A table's rows in runs of at most ``size`` (one run for an empty table)."""
    if size < 1:
        raise ValueError(f"a run of rows has at least one row (got {size})")
    if frame.empty:
        yield frame
        return
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def pack_file_name(place_name: str, year_label: str, fmt: str) -> str:
    """'havering-2025-26-meeting-pack.pdf': letters, digits and hyphens only."""
    slug = "".join(c if c.isalnum() else "-" for c in place_name.lower())
    slug = "-".join(part for part in slug.split("-") if part) or "pack"
    return f"{slug[:60]}-{year_label}-meeting-pack.{fmt}"
