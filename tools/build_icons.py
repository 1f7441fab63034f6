"""Rebuild library/web/static/icons.svg, the service's icon sprite, from the Lucide icons in node_modules.

Run after `npm ci` whenever a template starts using a new icon: `python tools/build_icons.py`.
The sprite holds every icon name the templates use (`ui.icon("…")`, `icon_name="…"`, the
quoted names in templates/macros/ui.html's maps and their fallbacks) and the names in EXTRA,
so a page only ever asks for one small file. tests/pages/test_icons.py fails when a template names an icon the
sprite lacks.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUCIDE = ROOT / "node_modules" / "lucide-static"
TEMPLATES = ROOT / "templates"
SPRITE = ROOT / "library" / "web" / "static" / "icons.svg"
LICENCE = ROOT / "library" / "web" / "static" / "icons.LICENSE.txt"
SVG = "http://www.w3.org/2000/svg"

# Likely soon: the icons other pages are expected to reach for, so they need no rebuild at once.
EXTRA = """
calendar calendar-days calendar-plus clock map-pin search user users printer download upload pencil
trash-2 arrow-left arrow-right chevron-left chevron-right chevron-down plus log-in log-out image
wrench package qr-code bar-chart-3 settings mail triangle-alert info inbox check x move undo-2
filter eye door-open door-closed menu external-link house book-open list history shield-check
building-2 monitor armchair cpu lightbulb sparkles graduation-cap circle-check circle-x
""".split()  # noqa: SIM905 (a word list reads better than 55 quoted strings)

# A name in a call (`ui.icon("x")`, `icon_name="x"`) or a quoted value in ui.html's icon maps.
CALL = re.compile(r"""(?:icon\(|icon_name\s*=\s*)["']([a-z0-9-]+)["']""")
MAP_VALUE = re.compile(r""":\s*["']([a-z0-9-]+)["']""")
FALLBACK = re.compile(r"""\.get\(\w+,\s*["']([a-z0-9-]+)["']\)""")


def used_icons() -> set[str]:
    names: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        names.update(CALL.findall(text))
    ui = (TEMPLATES / "macros" / "ui.html").read_text(encoding="utf-8")
    names.update(MAP_VALUE.findall(ui))
    names.update(FALLBACK.findall(ui))
    return names


def symbol(name: str) -> str:
    source = LUCIDE / "icons" / f"{name}.svg"
    if not source.exists():
        raise SystemExit(f"Lucide has no icon {name!r} (looked for {source.relative_to(ROOT)})")
    root = ET.fromstring(source.read_text(encoding="utf-8"))  # noqa: S314 (a file of our own dependency)
    shapes = []
    for child in root:
        child.tail = None
        shape = ET.tostring(child, encoding="unicode").replace(f' xmlns:ns0="{SVG}"', "").replace("ns0:", "")
        shapes.append("    " + shape.strip())
    return f'  <symbol id="{name}" viewBox="0 0 24 24">\n' + "\n".join(shapes) + "\n  </symbol>"


def build() -> list[str]:
    names = sorted(used_icons() | set(EXTRA))
    version = re.search(r'"version":\s*"([^"]+)"', (LUCIDE / "package.json").read_text()).group(1)  # type: ignore[union-attr]
    body = "\n".join(symbol(name) for name in names)
    SPRITE.write_text(
        f"<!-- Lucide icons (lucide-static {version}, ISC licence: icons.LICENSE.txt), "
        "built by tools/build_icons.py -->\n"
        f'<svg xmlns="{SVG}" fill="none" stroke="currentColor" stroke-width="2" '
        'stroke-linecap="round" stroke-linejoin="round">\n'
        f"{body}\n</svg>\n",
        encoding="utf-8",
    )
    LICENCE.write_text((LUCIDE / "LICENSE").read_text(encoding="utf-8"), encoding="utf-8")
    return names


if __name__ == "__main__":
    if not LUCIDE.exists():
        sys.exit("node_modules/lucide-static is missing: run `npm ci` first")
    built = build()
    print(f"{SPRITE.relative_to(ROOT)}: {len(built)} icons")
