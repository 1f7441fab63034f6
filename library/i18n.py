"""German by default, English by choice: picking the language and the text in it."""

from __future__ import annotations

from typing import Literal

Lang = Literal["de", "en"]
LANGUAGES: tuple[Lang, ...] = ("de", "en")
DEFAULT_LANGUAGE: Lang = "de"


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
            ranked.append((-quality, position, "en" if primary == "en" else "de"))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def pick(lang: Lang, german: str, english: str | None) -> str:
    """The English text where asked for and present, else the German one."""
    return english if lang == "en" and english else german
