"""The meeting pack as a PDF to circulate: A4 landscape, drawn with reportlab.

reportlab's platypus lays the pack out as a flow: a long table carries on to
the next page with its header row repeated, long text wraps inside its cell,
and it needs no system libraries (WeasyPrint needs Pango and Cairo). Every text
goes in through :func:`escape` before it becomes a Paragraph, since a
Paragraph reads its text as reportlab's XML-like markup: ``<script>`` and
``=HYPERLINK("x")`` are printed as typed.

Text is set in DejaVu Sans where the system has it (it covers arrows and most
European letters) and otherwise in Bitstream Vera, which ships with reportlab.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pandas as pd
import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from capacity.export.pack import Pack, PackSection, PackTable

PAGE = landscape(A4)
MARGIN = 14 * mm
NHS_BLUE = colors.HexColor("#005EB8")
MIN_COLUMN_WIDTH = 16 * mm
HEADER_FILL = colors.HexColor("#E8EDEE")
FONT_NAMES = ("PackSans", "PackSans-Bold")
# The first pair of files found is used.
FONT_FILES = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
     Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
     Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
)  # fmt: skip


@cache
def _fonts() -> tuple[str, str]:
    """Register the pack's regular and bold faces once; their names."""
    regular, bold = FONT_NAMES
    for plain_file, bold_file in FONT_FILES:
        if plain_file.is_file() and bold_file.is_file():
            pdfmetrics.registerFont(TTFont(regular, str(plain_file)))
            pdfmetrics.registerFont(TTFont(bold, str(bold_file)))
            return regular, bold
    return "Helvetica", "Helvetica-Bold"  # reportlab's own, should both files be missing


def escape(text: object) -> str:
    """Plain text made safe for a Paragraph: markup characters escaped, line breaks kept."""
    return xml_escape(str(text)).replace("\n", "<br/>")


@cache
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=26, leading=32, textColor=NHS_BLUE
        ),
        "subtitle": ParagraphStyle("subtitle", fontName=regular, fontSize=14, leading=20),
        "h1": ParagraphStyle(
            "h1", fontName=bold, fontSize=16, leading=20, textColor=NHS_BLUE, spaceAfter=6
        ),
        "group": ParagraphStyle("group", fontName=regular, fontSize=9, textColor=colors.grey),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=13, spaceAfter=4),
        "caption": ParagraphStyle(
            "caption", fontName=bold, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7.5, leading=9),
        "foot": ParagraphStyle("foot", fontName=regular, fontSize=7, textColor=colors.grey),
    }


def _width() -> float:
    return PAGE[0] - 2 * MARGIN


def _table(table: PackTable) -> list[Flowable]:
    """A caption and the table, its header repeated on each page it runs on to."""
    styles = _styles()
    frame = table.frame
    caption = Paragraph(escape(table.caption), styles["caption"])
    if frame.empty or not len(frame.columns):
        return [caption, Paragraph("None.", styles["body"])]
    header = [Paragraph(escape(c), styles["head"]) for c in frame.columns]
    body = [[Paragraph(escape(v), styles["cell"]) for v in row] for row in frame.itertuples(False)]
    drawn = Table(
        [header, *body],
        colWidths=_column_widths(frame),
        repeatRows=1,
        hAlign="LEFT",
    )
    drawn.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    # The caption stays with the table's first rows.
    return [CondPageBreak(40 * mm), caption, drawn]


def _column_widths(frame: pd.DataFrame) -> list[float]:
    """Widths in proportion to each column's longest text (header or cell), over a floor that
    leaves room for a short word, so a column of notes gets room and one of numbers fits."""
    lengths = [
        min(max(len(str(c)), *(len(str(v)) for v in frame[c]), 1), 150) for c in frame.columns
    ]
    floor = min(MIN_COLUMN_WIDTH, _width() / len(lengths))
    spare = _width() - floor * len(lengths)
    return [floor + spare * n / sum(lengths) for n in lengths]


def _figure(png: bytes) -> Image:
    """A chart as wide as the page allows, keeping its shape, and short enough to fit."""
    reader = ImageReader(io.BytesIO(png))
    width, height = reader.getSize()
    scale = min(_width() / width, (PAGE[1] - 2 * MARGIN - 25 * mm) / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale)


def _section(section: PackSection, first: bool) -> list[Flowable]:
    styles = _styles()
    flow: list[Flowable] = []
    if section.new_page and not first:
        flow.append(PageBreak())
    heading: list[Flowable] = []
    if section.group:
        heading.append(Paragraph(escape(section.group), styles["group"]))
    heading.append(Paragraph(escape(section.title), styles["h1"]))
    sentences = [Paragraph(escape(s), styles["body"]) for s in section.sentences]
    flow.append(KeepTogether([*heading, *sentences[:1]]))
    flow.extend(sentences[1:])
    for table in section.tables:
        flow.extend(_table(table))
    for figure in section.figures:
        flow.append(KeepTogether([Paragraph(escape(figure.title), styles["caption"]),
                                  _figure(figure.png)]))  # fmt: skip
    flow.append(Spacer(1, 4 * mm))
    return flow


def _title_page(pack: Pack) -> list[Flowable]:
    styles = _styles()
    return [
        Spacer(1, 40 * mm),
        Paragraph(escape(pack.title), styles["title"]),
        Spacer(1, 6 * mm),
        *[Paragraph(escape(line), styles["subtitle"]) for line in pack.title_lines],
    ]


def pack_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes: a title page, then each section."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=pack.title,
        subject=pack.subtitle,
        creator=f"Intermediate-care demand and capacity {pack.version}",
    )
    flow = _title_page(pack)
    for section in pack.sections:
        flow.extend(_section(section, first=False))
    footer = escape(pack.footer)

    def foot(canvas, doc) -> None:
        canvas.saveState()
        text = Paragraph(f"{footer} · page {doc.page}", _styles()["foot"])
        _, height = text.wrap(_width(), MARGIN)
        text.drawOn(canvas, MARGIN, MARGIN / 2 - height / 2)
        canvas.restoreState()

    document.build(flow, onFirstPage=foot, onLaterPages=foot)
    return buffer.getvalue()
