"""Every icon a template names is in the service's own sprite, and the sprite is served from /static."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from library.config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
SPRITE = PROJECT_ROOT / "library" / "web" / "static" / "icons.svg"


def sprite_symbols() -> set[str]:
    return set(re.findall(r'<symbol id="([a-z0-9-]+)"', SPRITE.read_text(encoding="utf-8")))


def icon_names_in(template: Path) -> set[str]:
    """Names in `ui.icon("…")`/`icon("…")` calls and `icon_name="…"` arguments."""
    text = template.read_text(encoding="utf-8")
    return set(re.findall(r"""(?:icon\(|icon_name\s*=\s*)["']([a-z0-9-]+)["']""", text))


def ui_map_icon_names() -> set[str]:
    """The icons of ui.html's maps (status, factor, flash kind) and their fallbacks."""
    text = (TEMPLATES / "macros" / "ui.html").read_text(encoding="utf-8")
    values = re.findall(r"""["'][a-z_]+["']\s*:\s*["']([a-z0-9-]+)["']""", text)
    fallbacks = re.findall(r"""\.get\(\w+,\s*["']([a-z0-9-]+)["']\)""", text)
    return set(values) | set(fallbacks)


def test_every_icon_a_template_names_is_in_the_sprite() -> None:
    used = ui_map_icon_names()
    for template in TEMPLATES.rglob("*.html"):
        used |= icon_names_in(template)

    assert {"cpu", "lightbulb", "users", "armchair", "sparkles", "info"} <= used, (
        "ui.html's maps were not read"
    )
    missing = used - sprite_symbols()
    assert not missing, (
        f"icons used in templates but not in icons.svg (run tools/build_icons.py): {sorted(missing)}"
    )


def test_every_symbol_draws_something() -> None:
    text = SPRITE.read_text(encoding="utf-8")
    symbols = re.findall(r'<symbol id="([a-z0-9-]+)" viewBox="0 0 24 24">(.*?)</symbol>', text, re.S)

    assert len(symbols) == len(sprite_symbols())
    assert all(re.search(r"<(path|circle|rect|line|polyline|polygon|ellipse)\b", body) for _, body in symbols)


async def test_the_sprite_and_the_font_are_served_by_the_service(client: AsyncTestClient[Litestar]) -> None:
    sprite = await client.get("/static/icons.svg")
    font = await client.get("/static/fonts/atkinson-hyperlegible-latin-400-normal.woff2")

    assert sprite.status_code == 200
    assert sprite.headers["content-type"].startswith("image/svg+xml")
    assert '<symbol id="calendar"' in sprite.text
    assert font.status_code == 200
    assert font.content[:4] == b"wOF2"
