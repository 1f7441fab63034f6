"""What a text may hold, one rule for every way in (API, pages, CSV, seed files) and out (feeds).

Names, titles, labels and other one-line texts hold no control characters at all: a CR or LF in
a name would break a calendar feed's lines or a mail header, a NUL cannot be stored by
PostgreSQL. Notes and descriptions may hold line breaks and no other control character.
"""

from __future__ import annotations

import re

import msgspec

CONTROL = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"  # C0, DEL, C1 and the Unicode line separators
ONE_LINE_PATTERN = f"^[^{CONTROL}]*$"
"""A one-line text, as a regular expression (msgspec's `Meta(pattern=…)` takes this form)."""
MULTI_LINE_PATTERN = f"^(?:[^{CONTROL}]|\\r?\\n|\\t)*$"
"""A note: line breaks (LF or CRLF), tabs, and no other control character."""


def one_line_without(characters: str) -> str:
    """A one-line text that holds none of `characters` either (an entry of a list that a file
    writes in one cell, separated by one of them), as a regular expression."""
    return f"^[^{CONTROL}{re.escape(characters)}]*$"


_ONE_LINE = re.compile(ONE_LINE_PATTERN)
_MULTI_LINE = re.compile(MULTI_LINE_PATTERN)
_ANY_CONTROL = re.compile(f"[{CONTROL}]+")


def line(max_length: int, *, min_length: int = 0) -> msgspec.Meta:
    """A one-line text field of an API body (`Annotated[str, line(200)]`)."""
    return msgspec.Meta(min_length=min_length, max_length=max_length, pattern=ONE_LINE_PATTERN)


def note(max_length: int, *, min_length: int = 0) -> msgspec.Meta:
    """A multi-line text field of an API body."""
    return msgspec.Meta(min_length=min_length, max_length=max_length, pattern=MULTI_LINE_PATTERN)


def is_clean(text: str, *, multiline: bool = False) -> bool:
    """Whether a text keeps the rule: one line, or (multiline) lines without other control characters."""
    return bool((_MULTI_LINE if multiline else _ONE_LINE).match(text))


def one_line(text: str) -> str:
    """The text with every run of control characters made one space: for writing out what was
    stored before the rule held (a feed must not break on an old row)."""
    return _ANY_CONTROL.sub(" ", text)


def lines(text: str) -> str:
    """A note as writable text: its line breaks kept, any other control character a space."""
    return "\n".join(one_line(line) for line in text.replace("\r\n", "\n").split("\n"))
