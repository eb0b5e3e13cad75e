"""The meeting pack as a PowerPoint to present: 16:9 slides drawn with python-pptx.

A title slide, then for each section a slide with its heading and sentences,
a slide per run of at most :data:`ROWS_PER_SLIDE` rows of each table (the
header repeated), and a slide per chart. Every text is set as a text run, which
PowerPoint shows as typed: nothing in it is read as markup or a formula.
"""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from capacity.export.pack import Pack, PackSection, PackTable, row_chunks

# 13.333 × 7.5 inches, exactly 16:9 in PowerPoint's units.
SLIDE_WIDTH = Emu(12_192_000)
SLIDE_HEIGHT = Emu(6_858_000)
ROWS_PER_SLIDE = 12
# A table with long text in its cells (source notes) has taller rows: fewer of them a slide.
ROWS_PER_SLIDE_OF_NOTES = 4
NOTES_LENGTH = 60
# Slide text larger than this many characters is cut at a word and ends in "…"; the PDF
# carries every word.
MAX_CELL_CHARACTERS = 160
NHS_BLUE = RGBColor(0x00, 0x5E, 0xB8)
BLANK_LAYOUT = 6
TITLE_ONLY_LAYOUT = 5
TITLE_LAYOUT = 0
LEFT = Inches(0.5)
TOP = Inches(1.35)


def _cut(text: str, limit: int = MAX_CELL_CHARACTERS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _title(slide, text: str, group: str = "") -> None:
    shape = slide.shapes.title
    shape.left, shape.top = LEFT, Inches(0.3)
    shape.width, shape.height = SLIDE_WIDTH - 2 * LEFT, Inches(0.9)
    frame = shape.text_frame
    frame.text = f"{group} · {text}" if group else text
    frame.word_wrap = True
    for paragraph in frame.paragraphs:
        paragraph.font.size = Pt(28)
        paragraph.font.bold = True
        paragraph.font.color.rgb = NHS_BLUE


def _new_slide(deck, title: str, group: str = ""):
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, title, group)
    return slide


def _sentences(slide, sentences: tuple[str, ...]) -> None:
    box = slide.shapes.add_textbox(LEFT, TOP, SLIDE_WIDTH - 2 * LEFT, SLIDE_HEIGHT - TOP - LEFT)
    frame = box.text_frame
    frame.word_wrap = True
    size = Pt(20 if sum(len(s) for s in sentences) < 600 else 14)
    for index, sentence in enumerate(sentences):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = sentence
        run.font.size = size
        paragraph.space_after = Pt(8)


def rows_per_slide(frame) -> int:
    """How many of a table's rows a slide holds: fewer when some cell is a long note."""
    longest = max((len(str(v)) for column in frame.columns for v in frame[column]), default=0)
    return ROWS_PER_SLIDE_OF_NOTES if longest > NOTES_LENGTH else ROWS_PER_SLIDE


def _table_slides(deck, section: PackSection, table: PackTable) -> None:
    frame = table.frame
    chunks = list(row_chunks(frame, rows_per_slide(frame)))
    for number, rows in enumerate(chunks, start=1):
        more = f" ({number} of {len(chunks)})" if len(chunks) > 1 else ""
        slide = _new_slide(deck, f"{section.title}{more}", section.group)
        caption = slide.shapes.add_textbox(LEFT, Inches(1.15), SLIDE_WIDTH - 2 * LEFT, Inches(0.4))
        caption.text_frame.word_wrap = True
        run = caption.text_frame.paragraphs[0].add_run()
        run.text = table.caption
        run.font.size, run.font.italic = Pt(14), True
        if rows.empty or not len(frame.columns):
            caption.text_frame.add_paragraph().add_run().text = "None."
            continue
        _draw_table(slide, rows)


def _draw_table(slide, rows) -> None:
    columns = list(rows.columns)
    width = SLIDE_WIDTH - 2 * LEFT
    height = Inches(0.3) * (len(rows) + 1)
    shape = slide.shapes.add_table(len(rows) + 1, len(columns), LEFT, Inches(1.6), width, height)
    grid = shape.table
    lengths = [min(max(len(str(c)), *(len(str(v)) for v in rows[c]), 4), 50) for c in columns]
    for index, length in enumerate(lengths):
        grid.columns[index].width = Emu(int(width * length / sum(lengths)))
    size = Pt(12 if len(columns) <= 6 else 10 if len(columns) <= 9 else 8)
    for c, name in enumerate(columns):
        _cell(grid.cell(0, c), str(name), size, bold=True)
    for r, values in enumerate(rows.itertuples(index=False), start=1):
        for c, value in enumerate(values):
            _cell(grid.cell(r, c), _cut(str(value)), size)


def _cell(cell, text: str, size, bold: bool = False) -> None:
    frame = cell.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold = size, bold
    cell.margin_left = cell.margin_right = Inches(0.05)
    cell.margin_top = cell.margin_bottom = Inches(0.02)


def _figure_slide(deck, section: PackSection, title: str, png: bytes) -> None:
    slide = _new_slide(deck, title, section.group)
    room_w, room_h = SLIDE_WIDTH - 2 * LEFT, SLIDE_HEIGHT - TOP - Inches(0.3)
    picture = slide.shapes.add_picture(io.BytesIO(png), LEFT, TOP)
    scale = min(room_w / picture.width, room_h / picture.height)
    picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
    picture.left = int((SLIDE_WIDTH - picture.width) / 2)


def _section_slides(deck, section: PackSection) -> None:
    if section.sentences or not (section.tables or section.figures):
        slide = _new_slide(deck, section.title, section.group)
        _sentences(slide, section.sentences)
    for table in section.tables:
        _table_slides(deck, section, table)
    for figure in section.figures:
        _figure_slide(deck, section, figure.title, figure.png)


def _title_slide(deck, pack: Pack) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_LAYOUT])
    # The layout places its boxes for a 4:3 slide: spread them over the 16:9 one.
    title, body_shape = slide.shapes.title, slide.placeholders[1]
    title.left, title.top, title.width, title.height = (
        LEFT,
        Inches(1.5),
        SLIDE_WIDTH - 2 * LEFT,
        Inches(1.8),
    )
    body_shape.left, body_shape.top = LEFT, Inches(3.5)
    body_shape.width, body_shape.height = SLIDE_WIDTH - 2 * LEFT, Inches(3)
    title.text_frame.word_wrap = True
    title.text_frame.text = pack.title
    body = body_shape.text_frame
    body.word_wrap = True
    for index, line in enumerate(pack.title_lines):
        paragraph = body.paragraphs[0] if index == 0 else body.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(20 if index == 0 else 16)


def pack_pptx(pack: Pack) -> bytes:
    """The pack as PowerPoint bytes (16:9): a title slide, then each section's slides."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    deck.core_properties.title = pack.title
    deck.core_properties.subject = pack.subtitle
    _title_slide(deck, pack)
    for section in pack.sections:
        _section_slides(deck, section)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
