"""Page texts in German and English from Babel message catalogues, and dates in the reader's locale.

Texts are written in English in the code and templates (`_("…")` in Jinja, `N_("…")` in Python)
and translated by `library/web/locale/<lang>/LC_MESSAGES/messages.po`. German is the default
language, so its catalogue must translate everything (a test checks). `make messages` extracts
and updates the catalogues; `make setup` compiles them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates, numbers
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from library.i18n import DEFAULT_LANGUAGE, LANGUAGES, Lang

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a text for extraction; it is translated where it is shown."""
    return message


@cache
def catalogue(lang: Lang) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


def translate(lang: Lang, message: str, **values: Any) -> str:
    text = catalogue(lang).gettext(message)
    return text % values if values else text


def context_language(context: Context) -> Lang:
    lang = context.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@pass_context
def _gettext(context: Context, message: str) -> str:
    return catalogue(context_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return catalogue(context_language(context)).ngettext(singular, plural, count)


def _local(value: datetime, zone: ZoneInfo | str | None) -> datetime:
    if zone is None:
        return value
    return value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)


@pass_context
def format_datetime(context: Context, value: datetime, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "Di., 1. Dez. 2026, 14:00" / "Tue, Dec 1, 2026, 2:00 PM" in the location's time zone."""
    lang = context_language(context)
    local = _local(value, zone)
    day = dates.format_skeleton("yMMMEd", local, locale=lang)
    return f"{day}, {dates.format_time(local, 'short', locale=lang)}"


@pass_context
def format_date(context: Context, value: date | datetime, zone: ZoneInfo | str | None = None) -> str:
    lang = context_language(context)
    day = _local(value, zone) if isinstance(value, datetime) else value
    return dates.format_date(day, "full", locale=lang)


@pass_context
def format_short_date(context: Context, value: date | datetime, zone: ZoneInfo | str | None = None) -> str:
    lang = context_language(context)
    day = _local(value, zone) if isinstance(value, datetime) else value
    return dates.format_skeleton("MMMEd", day, locale=lang)


@pass_context
def format_time(context: Context, value: datetime | time, zone: ZoneInfo | str | None = None) -> str:
    lang = context_language(context)
    moment = _local(value, zone) if isinstance(value, datetime) else value
    return dates.format_time(moment, "short", locale=lang)


@pass_context
def localised(context: Context, thing: Any, attribute: str) -> str:
    """A text kept in both languages on a record (`name`, `name_en`): English where asked and present."""
    german = getattr(thing, attribute, "") or ""
    english = getattr(thing, f"{attribute}_en", None)
    return english if context_language(context) == "en" and english else german


@pass_context
def format_number(context: Context, value: float) -> str:
    return numbers.format_decimal(value, locale=context_language(context))


def install(environment: Environment) -> None:
    """Teach the template engine `_`, `ngettext` and the locale-aware date filters."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    environment.globals["localised"] = localised
    environment.filters.update(
        datetime=format_datetime,
        date=format_date,
        short_date=format_short_date,
        time=format_time,
        number=format_number,
    )
