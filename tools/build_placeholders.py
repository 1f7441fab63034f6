"""Rebuild library/web/static/placeholders/<factor>.svg, the picture of an offer without a photo.

Each drawing is the factor's own icon (the Lucide symbol ui.html's factor_badge uses, taken from
the sprite) in the factor's colour on its tint, both read from the tokens in site.css, so the
placeholders change with the design: `python tools/build_placeholders.py` after changing either.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "library" / "web" / "static"
SPRITE = STATIC / "icons.svg"
STYLESHEET = STATIC / "site.css"
MACROS = ROOT / "templates" / "macros" / "ui.html"
WIDTH, HEIGHT, ICON = 640, 400, 216  # the icon's 24-unit box drawn 216 px wide


def token(css: str, name: str) -> str:
    found = re.search(rf"--{re.escape(name)}:\s*(#[0-9a-fA-F]{{6}})\s*;", css)
    if not found:
        raise SystemExit(f"site.css defines no --{name}")
    return found.group(1)


def factor_icons() -> dict[str, str]:
    block = re.search(r"factor_icons = \{(.*?)\}", MACROS.read_text(encoding="utf-8"), re.S)
    if not block:
        raise SystemExit("templates/macros/ui.html has no factor_icons map")
    return dict(re.findall(r'"([a-z]+)":\s*"([a-z0-9-]+)"', block.group(1)))


def symbol(sprite: str, name: str) -> str:
    found = re.search(rf'<symbol id="{name}" viewBox="0 0 24 24">(.*?)</symbol>', sprite, re.S)
    if not found:
        raise SystemExit(f"icons.svg has no symbol {name} (run tools/build_icons.py)")
    return "\n".join(f"    {line.strip()}" for line in found.group(1).strip().splitlines())


def drawing(factor: str, icon: str, colour: str, tint: str, shapes: str) -> str:
    scale = ICON / 24
    left, top = (WIDTH - ICON) / 2, (HEIGHT - ICON) / 2
    size = f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"'
    stroke = f'stroke="{colour}" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"'
    return f"""<svg xmlns="http://www.w3.org/2000/svg" {size} aria-hidden="true">
  <!-- Placeholder for an offer of the factor "{factor}" without a photo: the Lucide icon "{icon}"
       (ISC, see ../icons.LICENSE.txt) in the factor's colours. Built by tools/build_placeholders.py. -->
  <rect width="{WIDTH}" height="{HEIGHT}" fill="{tint}"/>
  <g fill="{colour}" opacity=".10">
    <circle cx="70" cy="60" r="90"/>
    <circle cx="590" cy="360" r="120"/>
  </g>
  <g transform="translate({left:g} {top:g}) scale({scale:g})" fill="none" {stroke}>
{shapes}
  </g>
</svg>
"""


def main() -> None:
    css = STYLESHEET.read_text(encoding="utf-8")
    sprite = SPRITE.read_text(encoding="utf-8")
    for factor, icon in factor_icons().items():
        colour, tint = token(css, f"factor-{factor}"), token(css, f"factor-{factor}-tint")
        svg = drawing(factor, icon, colour, tint, symbol(sprite, icon))
        (STATIC / "placeholders" / f"{factor}.svg").write_text(svg, encoding="utf-8")
        print(f"placeholders/{factor}.svg: {icon} in {colour} on {tint}")


if __name__ == "__main__":
    main()
