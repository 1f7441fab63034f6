"""Checking pictures and making their variants (library.pictures.images), without a database."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from library.errors import InvalidInput, TooLarge
from library.pictures import images
from tests.support.pictures import camera_jpeg, has_gps, picture


def test_the_metadata_is_stripped_and_the_orientation_applied() -> None:
    original = camera_jpeg(400, 200)
    assert has_gps(original)  # the test picture does carry a position
    prepared = images.prepare(original)
    assert (prepared.width, prepared.height) == (200, 400)  # upright: turned as EXIF said
    assert {(v.width, v.ext) for v in prepared.variants} == {(200, "webp"), (200, "jpg")}
    for variant in prepared.variants:
        assert b"SecretCam" not in variant.content
        assert not has_gps(variant.content)
        with Image.open(io.BytesIO(variant.content)) as image:
            assert not image.getexif()
            assert image.size == (200, 400)
            top = image.convert("RGB").getpixel((100, 20))
            assert isinstance(top, tuple)
            assert top[0] > 150, top  # red on top: turned clockwise
            assert top[2] < 100, top
            assert image.format == images.FORMATS[variant.ext]


def test_variants_are_never_wider_than_the_original() -> None:
    assert images.variant_widths(2000) == (320, 640, 1280)
    assert images.variant_widths(1280) == (320, 640, 1280)
    assert images.variant_widths(800) == (320, 640, 800)
    assert images.variant_widths(100) == (100,)
    prepared = images.prepare(picture("WEBP", 1600, 900))
    assert sorted({v.width for v in prepared.variants}) == [320, 640, 1280]
    assert {v.height for v in prepared.variants if v.width == 640} == {360}


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted(kind: str) -> None:
    assert images.prepare(picture(kind, 50, 40)).width == 50


def test_a_transparent_png_becomes_a_jpeg_on_white() -> None:
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    jpeg = next(v for v in images.prepare(out.getvalue()).variants if v.ext == "jpg")
    with Image.open(io.BytesIO(jpeg.content)) as back:
        assert back.convert("RGB").getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize(
    "content",
    [
        b"GIF89a" + b"\0" * 100,
        b"%PDF-1.4 not a picture",
        b"",
        picture("GIF", 20, 20),
        picture("BMP", 20, 20),
        picture("PNG", 64, 64)[:80],  # cut off
    ],
)
def test_other_files_are_refused_by_their_content(content: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        images.prepare(content)
    assert refused.value.code == "photo_type"
    assert refused.value.fields == ("file",)


def test_a_file_over_ten_mib_is_refused() -> None:
    with pytest.raises(TooLarge) as refused:
        images.prepare(b"\xff" * (images.MAX_BYTES + 1))
    assert refused.value.code == "photo_too_large"


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be huge: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize("side", [7000, 20000, 60000])
def test_too_many_pixels_are_refused_before_decoding(side: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        images.prepare(_png_header_only(side, side))
    assert refused.value.code == "photo_too_many_pixels"


@pytest.mark.parametrize("alt", ["", "   ", "\n\t"])
def test_the_alternative_text_is_required(alt: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        images.check_alt(alt)
    assert refused.value.code == "alt_required"
    assert images.check_alt("  Ein  Raum \n mit Tisch ") == "Ein Raum mit Tisch"
