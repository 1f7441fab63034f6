"""German by default, English by choice: picking the language, translating into it, and writing
dates, times and numbers as it does.

Texts are written in English in the code and templates (`_("…")` in Jinja, `N_("…")` in Python)
and translated by the catalogues `library/locale/<lang>/LC_MESSAGES/messages.po`, which serve
the pages, the mails and the problem details alike: another language is another catalogue.
German is the default language, so its catalogue must translate everything (a test checks).
`make messages` extracts and updates the catalogues; `make setup` compiles them. Dates, times
and numbers take the formats of Babel's locales (British English, Germany's German); the one
pattern of our own is a date as people type it (TYPED_DATES), for hints and for reading it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import NullTranslations, Translations

Lang = Literal["de", "en"]
Picked = TypeVar("Picked", str, list[str])
LANGUAGES: tuple[Lang, ...] = ("de", "en")
DEFAULT_LANGUAGE: Lang = "de"

# Dates and times as people here write them: English pages in British style (24-hour clock,
# day before month), German ones in Germany's.
FORMAT_LOCALES: dict[Lang, str] = {"de": "de_DE", "en": "en_GB"}

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def negotiate_language(accept_language: str | None) -> Lang:
    """The best of our languages for an Accept-Language header, German when in doubt."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, Lang]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def known_language(code: str | None) -> Lang:
    """The language a stored or chosen code names, German if it names none of ours."""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def own_name(lang: Lang) -> str:
    """A language's name in itself ("Deutsch", "English"), as a switch to it is labelled."""
    return language_name(lang, lang)


def language_name(code: Lang, lang: Lang) -> str:
    """A language's name in another ("Englisch" in German), e.g. the language a workshop is held in."""
    return Locale.parse(code).get_display_name(lang) or code


def pick(lang: Lang, german: Picked, english: Picked | None) -> Picked:
    """The English text (or list of texts) where asked for and present, else the German one: for
    data kept in two columns (`name`, `name_en`); texts of the code go through the catalogues."""
    return english if lang == "en" and english else german


def N_(message: str) -> str:
    """Marks a text for extraction; it is translated where it is shown."""
    return message


@cache
def catalogue(lang: Lang) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


def translate(lang: Lang, message: str, **values: Any) -> str:
    text = catalogue(lang).gettext(message)
    return text % values if values else text


def local(value: datetime, zone: ZoneInfo | str | None) -> datetime:
    """The instant on the wall clocks of a place's time zone (unchanged without one)."""
    if zone is None:
        return value
    return value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)


def _day(value: date | datetime, zone: ZoneInfo | str | None) -> date | datetime:
    return local(value, zone) if isinstance(value, datetime) else value


def format_datetime(value: datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "Di., 1. Dez. 2026, 14:00" / "Tue, 1 Dec 2026, 14:00" in the location's time zone."""
    moment = local(value, zone)
    day = dates.format_skeleton("yMMMEd", moment, locale=FORMAT_LOCALES[lang])
    return f"{day}, {dates.format_time(moment, 'short', locale=FORMAT_LOCALES[lang])}"


def format_date(value: date | datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "Dienstag, 1. Dezember 2026" / "Tuesday, 1 December 2026"."""
    return dates.format_date(_day(value, zone), "full", locale=FORMAT_LOCALES[lang])


def format_last_day(value: datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """The last day of a span of whole days that ends at `value` (a local midnight), as `format_date`."""
    return format_date(value - timedelta(microseconds=1), lang, zone)


def format_short_date(value: date | datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "Di., 1. Dez." / "Tue 1 Dec"."""
    return dates.format_skeleton("MMMEd", _day(value, zone), locale=FORMAT_LOCALES[lang])


def format_day_month(value: date, lang: Lang) -> str:
    """E.g. "8. Dez." / "8 Dec": a day in a row that already says its year or week."""
    return dates.format_skeleton("MMMd", value, locale=FORMAT_LOCALES[lang])


def format_dated(value: date | datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "Di., 1. Dez. 2026" / "Tue, 1 Dec 2026": a short date in lists that span years."""
    return dates.format_skeleton("yMMMEd", _day(value, zone), locale=FORMAT_LOCALES[lang])


def format_numeric_date(value: date | datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "01.12.2026" / "1 Dec 2026": a date inside a sentence."""
    return dates.format_date(_day(value, zone), "medium", locale=FORMAT_LOCALES[lang])


def format_time(value: datetime | time, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "14:00" in both languages."""
    moment = local(value, zone) if isinstance(value, datetime) else value
    return dates.format_time(moment, "short", locale=FORMAT_LOCALES[lang])


def _date_and_time(day: str, clock: str, lang: Lang) -> str:
    """A date and a time (or span of times) joined as the language joins them."""
    pattern = str(dates.get_datetime_format("full", locale=FORMAT_LOCALES[lang]))
    return pattern.replace("{1}", day).replace("{0}", clock)


def format_moment(value: datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """The full date and the time, e.g. "Mittwoch, 2. Dezember 2026, 14:00"."""
    moment = local(value, zone)
    return _date_and_time(format_date(moment, lang), format_time(moment, lang), lang)


def format_span(start: datetime, end: datetime, lang: Lang, zone: ZoneInfo | str | None = None) -> str:
    """E.g. "Mittwoch, 2. Dezember 2026, 14:00–16:00 Uhr" / "Wednesday, 2 December 2026,
    14:00–16:00"; a span over midnight gives both ends in full."""
    first, last = local(start, zone), local(end, zone)
    if first.date() != last.date():
        return f"{format_moment(first, lang)} – {format_moment(last, lang)}"
    # The language's clock: 24 hours ("HH:mm") or 12 ("h:mm a").
    skeleton = "Hm" if "H" in dates.get_time_format("short", locale=FORMAT_LOCALES[lang]).pattern else "hm"
    hours = dates.format_interval(first.time(), last.time(), skeleton, locale=FORMAT_LOCALES[lang])
    return _date_and_time(format_date(first, lang), hours, lang)


def weekday_names(lang: Lang) -> list[tuple[int, str]]:
    """The days of the week by ISO number (1 = Monday), named in the language."""
    names = dates.get_day_names("wide", locale=FORMAT_LOCALES[lang])
    return [(day + 1, names[day]) for day in range(7)]


def format_number(value: float, lang: Lang) -> str:
    return numbers.format_decimal(value, locale=FORMAT_LOCALES[lang])


def format_month(value: date, lang: Lang, *, short: bool = False) -> str:
    """A month and its year, e.g. "November 2026", or only "Nov." where room is short."""
    return dates.format_skeleton("MMM" if short else "yMMMM", value, locale=FORMAT_LOCALES[lang])


# A date as people type it where no date picker helps (and as hints show it): the language's
# numeric form with a four-digit year; ISO 8601 (what date pickers send) is read as well.
TYPED_DATES: dict[Lang, tuple[str, str, str]] = {
    "de": ("dd.MM.y", "TT.MM.JJJJ", "."),
    "en": ("dd/MM/y", "DD/MM/YYYY", "/"),
}


def format_typed_date(value: date, lang: Lang) -> str:
    """E.g. "12.12.2026" / "12/12/2026": a date as one would type it."""
    return dates.format_date(value, TYPED_DATES[lang][0], locale=FORMAT_LOCALES[lang])


def typed_date_pattern(lang: Lang) -> str:
    """How a typed date is written, in the language's letters: "TT.MM.JJJJ" / "DD/MM/YYYY"."""
    return TYPED_DATES[lang][1]


def parse_typed_date(text: str, lang: Lang) -> date:
    """ISO 8601 or the language's numeric form (day first); ValueError for anything else."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        parts = text.split(TYPED_DATES[lang][2])
        if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
            raise
        day, month, year = (int(p) for p in parts)
        return date(year, month, day)
