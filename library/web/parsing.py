"""Reading typed form fields: every form field arrives as text; a bad value becomes a sentence
next to its field (never a 500 or a JSON error), and the caller sees None."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import TypeVar
from zoneinfo import ZoneInfo

from library.catalog.hours import exists_locally, local_instant
from library.i18n import N_, Lang, parse_typed_date, translate, typed_date_pattern
from library.texts import is_clean
from library.web.common import Form
from library.workshops.models import Participation

REQUIRED = N_("Please fill in this field.")
BAD_DATE = N_("Please enter a date as %(pattern)s.")
BAD_TIME = N_("Please enter a time such as 14:30.")
BAD_NUMBER = N_("Please enter a whole number from %(low)s to %(high)s.")
SKIPPED_TIME = N_(
    "This time does not exist on that day: the clocks are put forward an hour. Please choose another time."
)

ONE_LINE = N_("Please write this on one line, without control characters.")
LINE_BREAK = N_("Please remove the control characters (line breaks and tabs are fine).")

T = TypeVar("T")


def text(
    form: Form,
    name: str,
    lang: Lang,
    *,
    required: bool = False,
    max_length: int = 500,
    multiline: bool = False,
) -> str:
    """The field stripped; a required field left empty, an overlong one, or one with control
    characters (line breaks too, unless `multiline`: library/texts.py) gets a message."""
    value = form.value(name).strip()
    if required and not value:
        form.add(name, translate(lang, REQUIRED))
    elif len(value) > max_length:
        form.add(name, translate(lang, N_("At most %(count)s characters, please."), count=max_length))
    elif not is_clean(value, multiline=multiline):
        form.add(name, translate(lang, LINE_BREAK if multiline else ONE_LINE))
    return value


def whole_number(
    form: Form, name: str, lang: Lang, *, low: int, high: int, required: bool = False
) -> int | None:
    def within(value: str) -> int:
        number = int(value)
        if not low <= number <= high:
            raise ValueError(value)
        return number

    return _typed(form, name, lang, within, translate(lang, BAD_NUMBER, low=low, high=high), required)


def day(form: Form, name: str, lang: Lang, *, required: bool = False) -> date | None:
    bad = translate(lang, BAD_DATE, pattern=typed_date_pattern(lang))
    return _typed(form, name, lang, lambda text: parse_typed_date(text, lang), bad, required)


def clock_time(form: Form, name: str, lang: Lang, *, required: bool = False) -> time | None:
    return _typed(form, name, lang, time.fromisoformat, translate(lang, BAD_TIME), required)


def _typed(
    form: Form, name: str, lang: Lang, parse: Callable[[str], T], bad: str, required: bool
) -> T | None:
    """The field read by `parse`; empty is None (with a message if required), a ValueError is `bad`."""
    value = form.value(name).strip()
    if not value:
        if required:
            form.add(name, translate(lang, REQUIRED))
        return None
    try:
        return parse(value)
    except ValueError:
        form.add(name, bad)
        return None


def local_moment(form: Form, name: str, lang: Lang, zone: ZoneInfo) -> datetime | None:
    """An optional `datetime-local` field (e.g. 2026-12-04T14:30), read as wall-clock time in `zone`."""
    bad = translate(lang, N_("Please choose a date and a time of day (HH:MM)."))
    typed = _typed(form, name, lang, datetime.fromisoformat, bad, required=False)
    return instant(form, name, lang, typed.date(), typed.time(), zone) if typed else None


def instant(form: Form, name: str, lang: Lang, day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """A typed local date and time as an instant; a time the clocks skip gets a message next to
    `name` rather than being shifted silently."""
    if not exists_locally(day, at, zone):
        form.add(name, translate(lang, SKIPPED_TIME))
        return None
    return local_instant(day, at, zone)


def participation(value: str) -> Participation | None:
    """A hybrid session's button or choice: the room or online; anything else, the session's first way."""
    return Participation(value) if value in {p.value for p in Participation} else None
