"""QR labels for units: an A4 sheet (SVG) of labels, or a PDF of as many A4 sheets as the
labels need, each label with the QR code of the unit's page.

The QR code holds `{base_url}/u/{code}`; beside it stand the resource's name, the unit's label
and its inventory number, so a label is readable without a phone too. The sheet suits common
70 × 37 mm label paper (3 × 8 on A4). Both formats place and word the labels alike; the PDF
(fpdf2) draws the QR code's modules as filled rectangles, so it prints sharp at any size.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.catalog.models import Resource, Unit, UnitStatus
from library.errors import NotFound
from library.i18n import N_, Lang, pick

SHEET_WIDTH, SHEET_HEIGHT = 210, 297  # mm, A4
COLUMNS, ROWS = 3, 8
LABEL_WIDTH, LABEL_HEIGHT = 70, 37  # mm
PER_SHEET = COLUMNS * ROWS
TOP = (SHEET_HEIGHT - ROWS * LABEL_HEIGHT) / 2
QR_SIZE = 29  # mm, quiet zone included
MAX_TEXT = 26  # characters per line beside the code
POINTS_PER_MM = 72 / 25.4
PDF_FONT = "helvetica"  # a PDF core font: every reader has it, nothing to embed
PDF_SPELLED = str.maketrans(
    {"–": "-", "—": "-", "…": "...", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "€": "EUR"}
)


@dataclass(frozen=True)
class UnitLabel:
    code: str
    resource: str
    label: str
    inventory_number: str | None


def unit_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/u/{code}"


def qr_code(url: str) -> segno.QRCode:
    """The label's QR code: error correction M survives a scratched or smudged label."""
    return segno.make_qr(url, error="m")


def _modules(qr: segno.QRCode) -> str:
    """The dark modules as one SVG path in module units, the quiet zone (4 modules) included."""
    steps = []
    for y, row in enumerate(qr.matrix_iter(border=4)):
        for x, dark in enumerate(row):
            if dark:
                steps.append(f"M{x} {y}h1v1h-1z")
    return "".join(steps)


def _shortened(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _place(index: int) -> tuple[float, float]:
    """The top left corner of the label at `index` on its sheet, in mm: by rows, left to right."""
    column, row = index % COLUMNS, index // COLUMNS
    return column * LABEL_WIDTH, TOP + row * LABEL_HEIGHT


@dataclass(frozen=True)
class TextLine:
    """A line beside the code: its baseline below the label's top and its size, in mm."""

    text: str
    baseline: float
    size: float
    bold: bool = False


def _text_lines(unit: UnitLabel) -> list[TextLine]:
    """Resource, unit label, inventory number and the page's path, each shortened to fit."""
    lines = [
        (unit.resource, 3.6, True),
        (unit.label, 3.4, False),
        (unit.inventory_number or "", 3.0, False),
        (f"/u/{unit.code}", 2.6, False),
    ]
    return [
        TextLine(_shortened(words), 8 + 6 * n, size, bold)
        for n, (words, size, bold) in enumerate(lines)
        if words
    ]


def _label(index: int, unit: UnitLabel, base_url: str) -> str:
    x, y = _place(index)
    url = unit_url(base_url, unit.code)
    qr = qr_code(url)
    size = qr.symbol_size(border=4)[0]
    scale = QR_SIZE / size
    bold = ' font-weight="bold"'
    text = "".join(
        f'<text x="{QR_SIZE + 2}" y="{line.baseline}" font-size="{line.size:g}"{bold if line.bold else ""}>'
        f"{escape(line.text)}</text>"
        for line in _text_lines(unit)
    )
    return (
        f'<g transform="translate({x} {y})">'
        f"<title>{escape(unit.resource)} – {escape(unit.label)}</title>"
        f'<g transform="translate(1 {(LABEL_HEIGHT - QR_SIZE) / 2}) scale({scale:.5f})">'
        f'<path fill="#000" d="{_modules(qr)}"/></g>{text}</g>'
    )


def label_sheet(units: Sequence[UnitLabel], base_url: str) -> str:
    """One A4 sheet with up to `PER_SHEET` labels, in the order given."""
    if len(units) > PER_SHEET:
        raise ValueError(f"at most {PER_SHEET} labels fit on a sheet")
    body = "".join(_label(index, unit, base_url) for index, unit in enumerate(units))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SHEET_WIDTH}mm" height="{SHEET_HEIGHT}mm" '
        f'viewBox="0 0 {SHEET_WIDTH} {SHEET_HEIGHT}" font-family="sans-serif" fill="#000">'
        f"{body}</svg>\n"
    )


def sheets(units: Sequence[UnitLabel]) -> Iterator[Sequence[UnitLabel]]:
    """The labels in sheets of `PER_SHEET`, in the order given."""
    for first in range(0, len(units), PER_SHEET):
        yield units[first : first + PER_SHEET]


def _dark_runs(qr: segno.QRCode) -> Iterator[tuple[int, int, int]]:
    """The dark modules as horizontal runs (x, y, length) in module units, quiet zone included."""
    for y, row in enumerate(qr.matrix_iter(border=4)):
        start = None
        for x, dark in enumerate([*row, False]):
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                yield start, y, x - start
                start = None


def pdf_text(text: str) -> str:
    """A text as the PDF core font can write it (Latin-1): dashes, quotes and the ellipsis
    spelled plainly, accents kept where Latin-1 has the letter, taken off where not, any other
    character a question mark."""
    out = []
    for character in text.translate(PDF_SPELLED):
        if ord(character) < 256:
            out.append(character)
            continue
        bare = "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))
        out.append(bare if bare and all(ord(c) < 256 for c in bare) else "?")
    return "".join(out)


def label_pdf(units: Sequence[UnitLabel], base_url: str, *, title: str = "QR labels") -> bytes:
    """The labels as a PDF of A4 sheets, `PER_SHEET` to a sheet (one empty sheet for none),
    placed and worded as `label_sheet` does."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(pdf_text(title))
    pdf.set_creator("Ulm library")
    pdf.set_fill_color(0)
    pdf.set_text_color(0)
    for sheet in list(sheets(units)) or [[]]:
        pdf.add_page()
        for index, unit in enumerate(sheet):
            x, y = _place(index)
            qr = qr_code(unit_url(base_url, unit.code))
            module = QR_SIZE / qr.symbol_size(border=4)[0]
            left, top = x + 1, y + (LABEL_HEIGHT - QR_SIZE) / 2
            for column, row, length in _dark_runs(qr):
                pdf.rect(left + column * module, top + row * module, length * module, module, style="F")
            for line in _text_lines(unit):
                pdf.set_font(PDF_FONT, "B" if line.bold else "", line.size * POINTS_PER_MM)
                pdf.text(x + QR_SIZE + 2, y + line.baseline, pdf_text(line.text))
    return bytes(pdf.output())


async def units_to_label(
    session: AsyncSession, slug: str, unit_ids: Sequence[int], lang: Lang
) -> list[UnitLabel]:
    """The labels of a resource's units in use (only those in `unit_ids` when given), by label."""
    resource = await session.scalar(select(Resource).where(Resource.slug == slug))
    if resource is None:
        raise NotFound(N_("The offer '%(slug)s'"), slug=slug)
    query = select(Unit).where(Unit.resource_id == resource.id, Unit.status == UnitStatus.AVAILABLE)
    if unit_ids:
        query = query.where(Unit.id.in_(list(unit_ids)))
    name = pick(lang, resource.name, resource.name_en)
    return [
        UnitLabel(unit.code, name, unit.label, unit.inventory_number)
        for unit in await session.scalars(query.order_by(Unit.label, Unit.id))
    ]
