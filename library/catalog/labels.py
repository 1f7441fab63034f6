"""QR labels for units: an A4 sheet (SVG) of labels, each with the QR code of the unit's page.

The QR code holds `{base_url}/u/{code}`; beside it stand the resource's name, the unit's label
and its inventory number, so a label is readable without a phone too. The sheet suits common
70 × 37 mm label paper (3 × 8 on A4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno
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


def _line(text: str) -> str:
    return escape(text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…")


def _label(index: int, unit: UnitLabel, base_url: str) -> str:
    column, row = index % COLUMNS, index // COLUMNS
    x, y = column * LABEL_WIDTH, TOP + row * LABEL_HEIGHT
    url = unit_url(base_url, unit.code)
    qr = qr_code(url)
    size = qr.symbol_size(border=4)[0]
    scale = QR_SIZE / size
    lines = [
        ('font-size="3.6" font-weight="bold"', unit.resource),
        ('font-size="3.4"', unit.label),
        ('font-size="3"', unit.inventory_number or ""),
        ('font-size="2.6"', f"/u/{unit.code}"),
    ]
    text = "".join(
        f'<text x="{QR_SIZE + 2}" y="{8 + 6 * n}" {style}>{_line(words)}</text>'
        for n, (style, words) in enumerate(lines)
        if words
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
