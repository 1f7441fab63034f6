"""The photos' files on disk: one file per variant, named `<key>-<width>.<ext>`, written atomically.

A key is random, so a file's name says nothing about what or whom it shows, and a file never
changes once written: it may be cached for a year.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from library.pictures.images import FORMATS, Variant

FILE_NAME = re.compile(r"^(?P<key>[0-9a-f]{32})-(?P<width>[0-9]{1,5})\.(?P<ext>webp|jpg)$")


def new_key() -> str:
    return secrets.token_hex(16)


def file_name(key: str, width: int, ext: str) -> str:
    return f"{key}-{width}.{ext}"


def write(root: Path, key: str, variants: tuple[Variant, ...]) -> None:
    """Every variant's file; a reader sees a whole file or none (written aside, then renamed)."""
    root.mkdir(parents=True, exist_ok=True)
    for variant in variants:
        target = root / file_name(key, variant.width, variant.ext)
        aside = target.with_name(f".{target.name}.tmp")
        aside.write_bytes(variant.content)
        os.replace(aside, target)


def remove(root: Path, key: str, widths: tuple[int, ...]) -> None:
    for width in widths:
        for ext in FORMATS:
            (root / file_name(key, width, ext)).unlink(missing_ok=True)


def existing(root: Path, name: str) -> Path | None:
    """The file a URL names, if the name is one of ours and the file is there (no other path)."""
    if FILE_NAME.match(name) is None:
        return None
    path = root / name
    return path if path.is_file() else None
