"""Pictures made in the tests: a camera JPEG with GPS position and orientation, plain PNG and WebP."""

from __future__ import annotations

import io

from PIL import ExifTags, Image

RED = (220, 30, 30)
BLUE = (30, 30, 220)


def camera_jpeg(width: int = 400, height: int = 200) -> bytes:
    """Left half red, right half blue, stored sideways: EXIF orientation 6 says "turn it 90° clockwise"
    (so it stands upright as `height` wide, red on top), with the camera and where it was taken."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "Model 4711"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 23.0, 50.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (9.0, 59.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def picture(kind: str = "PNG", width: int = 800, height: int = 600) -> bytes:
    image = Image.new("RGB", (width, height), (40, 120, 90))
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def has_gps(content: bytes) -> bool:
    with Image.open(io.BytesIO(content)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(ExifTags.IFD.GPSInfo)) or ExifTags.Base.Make in exif
