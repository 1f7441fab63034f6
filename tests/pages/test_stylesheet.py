"""site.css holds together: every section on the top level, and colours only from the tokens."""

from __future__ import annotations

import re

from library.http.assets import STATIC_DIRECTORY

CSS = (STATIC_DIRECTORY / "site.css").read_text(encoding="utf-8")
COMMENT = re.compile(r"/\*.*?\*/", re.S)


def test_every_headed_section_starts_outside_any_block() -> None:
    # An unclosed @media before a heading would swallow every section after it.
    depth, heading_depths = 0, {}
    for line in CSS.splitlines():
        if line.startswith("/* =="):
            heading_depths[line[:60]] = depth
        code = COMMENT.sub("", line)
        depth += code.count("{") - code.count("}")

    assert depth == 0
    assert len(heading_depths) >= 15
    assert {heading: d for heading, d in heading_depths.items() if d} == {}


def test_colours_are_written_only_as_design_tokens() -> None:
    tokens_end = CSS.index("}", CSS.index(":root {"))
    literals = re.findall(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(", COMMENT.sub("", CSS[tokens_end:]))

    assert literals == []
