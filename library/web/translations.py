"""The pages' side of `library.i18n`: `_`, `ngettext`, `localised`, `other_languages`,
`weekday_names` and the date filters in templates, each in the language of the page being
rendered (its `lang`)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from library import i18n
from library.i18n import DEFAULT_LANGUAGE, LANGUAGES, Lang


def context_language(context: Context) -> Lang:
    lang = context.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.catalogue(context_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return i18n.catalogue(context_language(context)).ngettext(singular, plural, count)


@pass_context
def format_datetime(context: Context, value: datetime, zone: ZoneInfo | str | None = None) -> str:
    return i18n.format_datetime(value, context_language(context), zone)


@pass_context
def format_date(context: Context, value: date | datetime, zone: ZoneInfo | str | None = None) -> str:
    return i18n.format_date(value, context_language(context), zone)


@pass_context
def format_last_day(context: Context, value: datetime, zone: ZoneInfo | str | None = None) -> str:
    """The last day of a span of whole days that ends at `value` (a local midnight)."""
    return i18n.format_last_day(value, context_language(context), zone)


@pass_context
def format_dated(context: Context, value: date | datetime, zone: ZoneInfo | str | None = None) -> str:
    return i18n.format_dated(value, context_language(context), zone)


@pass_context
def format_short_date(context: Context, value: date | datetime, zone: ZoneInfo | str | None = None) -> str:
    return i18n.format_short_date(value, context_language(context), zone)


@pass_context
def format_time(context: Context, value: datetime | time, zone: ZoneInfo | str | None = None) -> str:
    return i18n.format_time(value, context_language(context), zone)


@pass_context
def format_typed_date(context: Context, value: date) -> str:
    return i18n.format_typed_date(value, context_language(context))


@pass_context
def format_number(context: Context, value: float) -> str:
    return i18n.format_number(value, context_language(context))


@pass_context
def other_languages(context: Context) -> list[tuple[Lang, str]]:
    """The languages a page can switch to, each with its name in itself."""
    current = context_language(context)
    return [(lang, i18n.own_name(lang)) for lang in LANGUAGES if lang != current]


@pass_context
def language_names(context: Context) -> list[tuple[Lang, str]]:
    """Our languages, each named in the page's language."""
    current = context_language(context)
    return [(lang, i18n.language_name(lang, current)) for lang in LANGUAGES]


@pass_context
def language_name(context: Context, code: str) -> str:
    return i18n.language_name(i18n.known_language(code), context_language(context))


@pass_context
def weekday_names(context: Context) -> list[tuple[int, str]]:
    return i18n.weekday_names(context_language(context))


@pass_context
def localised(context: Context, thing: Any, attribute: str) -> str:
    """A text kept in both languages on a record (`name`, `name_en`): English where asked and present."""
    german = str(getattr(thing, attribute, "") or "")
    english = getattr(thing, f"{attribute}_en", None)
    return i18n.pick(context_language(context), german, str(english) if english else None)


def install(environment: Environment) -> None:
    """Teach the template engine `_`, `ngettext` and the locale-aware date filters."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    environment.globals["localised"] = localised
    environment.globals["other_languages"] = other_languages
    environment.globals["weekday_names"] = weekday_names
    environment.globals["language_names"] = language_names
    environment.globals["language_name"] = language_name
    environment.filters.update(
        datetime=format_datetime,
        date=format_date,
        last_day=format_last_day,
        short_date=format_short_date,
        dated=format_dated,
        time=format_time,
        number=format_number,
        typed_date=format_typed_date,
    )
