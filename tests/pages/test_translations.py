"""The German catalogue translates every text of pages, mails and problem details, the catalogues
are current with the code, and no template picks its words by language itself."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from library.accounts.models import Language
from library.config import PROJECT_ROOT
from library.errors import MESSAGES
from library.i18n import LANGUAGES, LOCALE_DIR

KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "translate": (2,),
}
METHOD_MAP = [
    ("library/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/emails/**.txt", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# A template that asks which language it is in to choose its words, instead of `_()`.
LANGUAGE_BRANCH = re.compile(r"""lang\s*[!=]=|pick\(\s*lang\s*,\s*["']|[!=]=\s*["'](?:de|en)["']""")
# Code that names a language to choose between them, instead of `known_language` or `LANGUAGES`.
LANGUAGE_LITERAL_BRANCH = re.compile(r"""[!=]=\s*["'](?:de|en)["']|["'](?:de|en)["']\s+if\b""")


def load(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file)


def texts_in_code() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(PROJECT_ROOT),
        METHOD_MAP,
        keywords=KEYWORDS,
        options_map={pattern: {} for pattern, _ in METHOD_MAP},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_text_in_code_and_templates_is_in_the_catalogues() -> None:
    code = texts_in_code()
    assert code, "the extraction found no texts at all"
    for lang in ("de", "en"):
        catalogue_ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in load(lang) if m.id}
        missing = sorted(code - catalogue_ids)
        assert not missing, f"run `make messages` and translate; missing in {lang}: {missing}"


def test_german_translates_everything_with_the_same_placeholders() -> None:
    catalogue = load("de")
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and (
            "fuzzy" in message.flags
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]
    assert not untranslated, f"German texts missing: {untranslated}"
    problems = [(message.id, errors) for message, errors in catalogue.check() if errors]
    assert not problems, problems


def test_compiled_catalogues_are_not_older_than_their_sources() -> None:
    for lang in ("de", "en"):
        source = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
        compiled = Path(str(source)[: -len(".po")] + ".mo")
        assert compiled.exists(), "run `make setup` to compile the catalogues"
        assert compiled.stat().st_mtime >= source.stat().st_mtime, "run `make setup` to recompile"


def test_every_problem_detail_is_translated_with_its_placeholders() -> None:
    catalogue = load("de")
    for code, english in MESSAGES.items():
        entry = catalogue.get(english)
        assert entry is not None, f"{code}: run `make messages`"
        assert isinstance(entry.string, str), code
        assert entry.string, f"{code}: translate it into German"
        assert entry.string != english, code
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(english)), code


def test_templates_choose_no_words_by_language() -> None:
    branching = [
        str(path.relative_to(PROJECT_ROOT))
        for path in sorted((PROJECT_ROOT / "templates").rglob("*"))
        if path.suffix in {".html", ".txt"} and LANGUAGE_BRANCH.search(path.read_text(encoding="utf-8"))
    ]
    assert not branching, f"use _() and the catalogues instead of a language branch: {branching}"


def test_code_chooses_no_language_by_name() -> None:
    branching = [
        str(path.relative_to(PROJECT_ROOT))
        for path in sorted((PROJECT_ROOT / "library").rglob("*.py"))
        if path.name != "i18n.py" and LANGUAGE_LITERAL_BRANCH.search(path.read_text(encoding="utf-8"))
    ]
    assert not branching, f"use library.i18n.known_language or LANGUAGES instead: {branching}"


def test_the_languages_are_the_catalogues_and_the_accounts_choices() -> None:
    """A third language is a catalogue, plus (the accounts' language is a checked column) a value
    of `Language` with a migration of that check; this test says so when one is missing."""
    catalogues = sorted(path.parent.parent.name for path in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
    assert sorted(LANGUAGES) == catalogues
    assert sorted(language.value for language in Language) == catalogues
