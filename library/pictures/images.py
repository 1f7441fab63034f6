"""Checking an uploaded picture and making the variants the pages serve: pure functions over bytes.

The original is never kept. Each variant is decoded and encoded afresh, so nothing of the file's
metadata (EXIF with GPS position and camera serial, XMP, ICC comments, PNG text) reaches the
visitors; the EXIF orientation is applied to the pixels first, so the picture still stands upright.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from library.errors import InvalidInput, TooLarge

MAX_BYTES = 10 * 1024 * 1024  # what staff may upload
# A request carrying a photo may be this large: a file somewhat over MAX_BYTES still arrives and is
# refused with its own sentence (next to the field), rather than the request being cut off.
UPLOAD_BODY_LIMIT = 16 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; more is a decompression bomb or a mistake
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
WIDTHS = (320, 640, 1280)
FORMATS = {"webp": "WEBP", "jpg": "JPEG"}  # file extension: Pillow's format; WebP first in <picture>
MEDIA_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}
QUALITY = 82


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    ext: str
    content: bytes


@dataclass(frozen=True)
class Prepared:
    """A checked picture: the size of the upright original and its variants, ready to store."""

    width: int
    height: int
    variants: tuple[Variant, ...]


def variant_widths(width: int) -> tuple[int, ...]:
    """The widths served for an original this wide: never wider than the original itself."""
    smaller = tuple(w for w in WIDTHS if w < width)
    return smaller if width > WIDTHS[-1] else (*smaller, width)


def check_alt(alt: str) -> str:
    """The alternative text, required: what the picture shows, for people who cannot see it."""
    text = " ".join(alt.split())
    if not text:
        raise InvalidInput("alt_required", "alt")
    if len(text) > 500:
        raise InvalidInput("alt_too_long", "alt", max_chars=500)
    return text


def prepare(content: bytes) -> Prepared:
    """Check a file's type (by its content), size and pixel count, then make its variants."""
    if len(content) > MAX_BYTES:
        raise TooLarge("photo_too_large", "file", max_mib=MAX_BYTES // (1024 * 1024))
    image = _open(content)
    with image:
        upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert(
            "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
        )
    variants: list[Variant] = []
    for width in variant_widths(upright.width):
        height = max(1, round(upright.height * width / upright.width))
        resized = (
            upright if width == upright.width else upright.resize((width, height), Image.Resampling.LANCZOS)
        )
        for ext, kind in FORMATS.items():
            variants.append(Variant(width, height, ext, _encode(resized, kind)))
    return Prepared(upright.width, upright.height, tuple(variants))


def _open(content: bytes) -> Image.Image:
    """The decoded picture, or a refusal: not an image of an accepted type, or too many pixels."""
    too_many = InvalidInput("photo_too_many_pixels", "file", max_megapixels=MAX_PIXELS // 1_000_000)
    try:
        image = Image.open(io.BytesIO(content))  # reads the header only; Pillow's own bomb check
        if image.format not in ACCEPTED_FORMATS:
            raise InvalidInput("photo_type", "file")
        if image.width * image.height > MAX_PIXELS:  # ours is stricter, checked before decoding
            raise too_many
        image.load()
    except Image.DecompressionBombError as exc:
        raise too_many from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidInput("photo_type", "file") from exc
    return image


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "JPEG":
        if image.mode == "RGBA":  # JPEG has no transparency: on white, as the pages' background
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        image.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    else:
        image.save(out, "WEBP", quality=QUALITY, method=4)
    return out.getvalue()
