"""QR labels read back: the code on a printed sheet leads to the unit's page."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from library.catalog.labels import PER_SHEET, UnitLabel, label_pdf, label_sheet, pdf_text, qr_code, unit_url

BASE = "https://bibliothek.example.org"
PRINTER = UnitLabel("k7m2x9qp", "3D-Drucker", "3D-Drucker 1", "INV-0042")


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_a_label_code_decodes_to_the_unit_page() -> None:
    buffer = io.BytesIO()
    qr_code(unit_url(BASE, PRINTER.code)).save(buffer, kind="png", scale=8)
    buffer.seek(0)

    assert decoded(Image.open(buffer)) == [f"{BASE}/u/k7m2x9qp"]


def test_the_code_drawn_on_the_sheet_decodes_too() -> None:
    """The modules the SVG sheet draws, painted again as pixels, read as the unit's address."""
    sheet = label_sheet([PRINTER], BASE + "/")
    first = re.search(r'<path fill="#000" d="([^"]+)"', sheet)
    assert first is not None
    modules = [(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", first.group(1))]
    size = max(max(x, y) for x, y in modules) + 5  # the quiet zone of four modules on each side
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in modules:
        draw.rectangle((x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1), fill=0)

    assert decoded(image) == [f"{BASE}/u/k7m2x9qp"]


def test_the_sheet_names_resource_unit_and_inventory_number() -> None:
    sheet = label_sheet([PRINTER, UnitLabel("abcdefgh", "Nähmaschine <Pfaff>", "Nr. 2", None)], BASE)

    assert 'width="210mm" height="297mm"' in sheet
    assert sheet.count("<path ") == 2
    for words in ("3D-Drucker 1", "INV-0042", "/u/k7m2x9qp", "Nähmaschine &lt;Pfaff&gt;", "Nr. 2"):
        assert words in sheet


def test_a_sheet_holds_at_most_24_labels() -> None:
    assert PER_SHEET == 24
    with pytest.raises(ValueError, match="at most 24"):
        label_sheet([PRINTER] * 25, BASE)


def pdf_pages(content: bytes, dpi: int = 200) -> list[Image.Image]:
    """The PDF's pages rendered as pictures, as a printer would put them on paper."""
    document = pypdfium2.PdfDocument(content)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


def test_a_pdf_of_labels_fills_as_many_a4_sheets_as_needed_and_each_code_decodes() -> None:
    units = [
        UnitLabel(f"code{n:04d}", "Nähmaschine – Pfaff", f"Nähmaschine {n}", f"INV-{n}") for n in range(30)
    ]

    content = label_pdf(units, BASE + "/")

    assert content.startswith(b"%PDF-")
    pages = pdf_pages(content)
    assert len(pages) == 2  # 24 on the first sheet, 6 on the second
    width, height = pages[0].size
    assert abs(width / height - 210 / 297) < 0.01  # A4, portrait
    found = [sorted(decoded(page)) for page in pages]
    assert found == [
        sorted(f"{BASE}/u/code{n:04d}" for n in range(24)),
        sorted(f"{BASE}/u/code{n:04d}" for n in range(24, 30)),
    ]


def test_one_label_in_a_pdf_decodes_to_the_unit_page() -> None:
    pages = pdf_pages(label_pdf([PRINTER], BASE))

    assert len(pages) == 1
    assert decoded(pages[0]) == [f"{BASE}/u/k7m2x9qp"]


def test_pdf_text_keeps_latin_1_and_spells_out_the_rest() -> None:
    assert pdf_text("Nähmaschine – „Pfaff“ …") == 'Nähmaschine - "Pfaff" ...'
    assert pdf_text("Łódź ☃") == "?ódz ?"
    assert pdf_text("Čeština") == "Cestina"
