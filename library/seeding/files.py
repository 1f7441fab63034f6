"""Reading the seed files and checking them field by field, with every problem named.

The files are written by librarians, so a problem names the file and the entry ("resources.yaml,
resource 'lasercutter': …") and says what was expected; all problems of a run are collected and
reported at once, as one SeedError.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from library.catalog.limits import MAX_FEATURE_LENGTH, MAX_SLUG_LENGTH, SLUG_PATTERN
from library.catalog.resource_input import Expected
from library.texts import is_clean

CERTIFICATIONS_FILE = "certifications.yaml"
LOCATIONS_FILE = "locations.yaml"
RESOURCES_FILE = "resources.yaml"
WORKSHOPS_FILE = "workshops.yaml"
DEMO_FILE = "demo.yaml"

TIME_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})$")
SENTENCES = {
    "required": "'{field}' is missing",
    "number": "'{field}' must be a whole number from {low} to {high}, found {found}",
    "text": "'{field}' must be text of at most {count} characters",
    "one_line": "'{field}' must be one line of at most {count} characters, without control characters",
    "lines": "'{field}' must be text of at most {count} characters, without control characters but "
    "line breaks",
    "slug": "'{field}' {value!r} must be lower-case letters, digits and hyphens (at most {count})",
    "choice": "unknown {field} {value!r} (one of: {choices})",
    "yes_no": "'{field}' must be true or false, found {found}",
    "list": f"'{{field}}' must be a list of at most {{count}} words or short phrases "
    f"(of {MAX_FEATURE_LENGTH} characters each)",
    "parts": "'{field}' must be a list of at most {count} parts of up to {length} characters each, "
    "one line each, without control characters and without '|'",
}
"""What a field expected (library.catalog.resource_input.Expected), as a sentence."""
E = TypeVar("E", bound=StrEnum)


class SeedError(Exception):
    """The seed files are not usable; `problems` lists each one with its file and entry."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems in the seed files:\n" + "\n".join(
                f"- {problem}" for problem in self.problems
            )
        super().__init__(message)


class _SeedLoader(yaml.SafeLoader):
    """Safe YAML, except that `10:00` stays the text "10:00".

    YAML 1.1 reads an unquoted 10:00 as the base-60 number 600; in opening hours that is
    never what a librarian means.
    """


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_SeedLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SeedLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_SeedLoader.add_implicit_resolver(
    _FLOAT_TAG, re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+][0-9]+)?$"), list("-+.0123456789")
)


def read_yaml(path: Path) -> Any:
    """One seed file as plain data, with a SeedError that names the file and line if it is broken."""
    if not path.is_file():
        raise SeedError([f"{path.name}: file not found in the seed folder"])
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SeedLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SeedError([f"{path.name}{where}: not valid YAML: {problem}"]) from exc


def describe(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def entry_name(noun: str, raw: object, key: str, index: int) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    return f"{noun} '{value}'" if isinstance(value, str) and value else f"{noun} #{index + 1}"


class Fields:
    """One mapping from a file, read field by field; each problem names the file and entry."""

    def __init__(self, data: object, where: str, problems: list[str], allowed: Collection[str]) -> None:
        self.where = where
        self.problems = problems
        self.data: dict[str, Any] = {}
        if not isinstance(data, dict):
            self.fail(f"expected fields (key: value), found {describe(data)}")
            return
        self.data = {str(key): value for key, value in data.items()}
        unknown = sorted(key for key in self.data if key not in allowed)
        if unknown:
            self.fail(f"unknown field {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")

    def fail(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def text(
        self, key: str, *, required: bool = False, max_length: int | None = None, multiline: bool = False
    ) -> str:
        """A text field: one line (`multiline`: line breaks and tabs allowed), no other control
        characters (library/texts.py)."""
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.fail(SENTENCES["required"].format(field=key))
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(f"'{key}' must be text, found {describe(value)}")
            return ""
        result = str(value).strip()
        if max_length is not None and len(result) > max_length:
            self.fail(f"'{key}' is longer than {max_length} characters")
        if not is_clean(result, multiline=multiline):
            kind = "line breaks and tabs only" if multiline else "one line, no control characters"
            self.fail(f"'{key}' holds control characters ({kind}, please)")
        return result

    def optional_text(
        self, key: str, *, max_length: int | None = None, multiline: bool = False
    ) -> str | None:
        return self.text(key, max_length=max_length, multiline=multiline) or None

    def slug(self, key: str) -> str:
        value = self.text(key, required=True)
        if value and (not SLUG_PATTERN.match(value) or len(value) > MAX_SLUG_LENGTH):
            self.fail(SENTENCES["slug"].format(field=key, value=value, count=MAX_SLUG_LENGTH))
        return value

    def integer(self, key: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"'{key}' must be a whole number, found {describe(value)}")
            return None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and {maximum}" if maximum is not None else ""
            self.fail(f"'{key}' must be between {minimum}{upper}, found {value}")
            return None
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(f"'{key}' must be true or false, found {describe(value)}")
            return default
        return value

    def choice(self, key: str, enum_class: type[E]) -> E | None:
        value = self.data.get(key)
        allowed = ", ".join(member.value for member in enum_class)
        if value is None:
            self.fail(f"'{key}' is missing (one of: {allowed})")
            return None
        try:
            return enum_class(str(value))
        except ValueError:
            self.fail(SENTENCES["choice"].format(field=key, value=value, choices=allowed))
            return None

    def day(self, key: str) -> date | None:
        value = self.data.get(key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(f"'{key}' must be a date like 2026-12-24, found {describe(value)}")
        return None

    def time_of_day(self, key: str) -> time | None:
        return parse_time(self.data.get(key), f"'{key}'", self)

    def refuse(self, wrong: Expected, value: object, name: str | None = None) -> None:
        """A field the typed input rules refused (library.catalog.resource_input), in a sentence;
        `name` is the field as the file calls it, where the rules call it otherwise."""
        params = {"low": None, "high": None, "count": None, "choices": "", **wrong.params}
        self.fail(
            SENTENCES[wrong.kind].format(
                field=name or wrong.field, value=value, found=describe(value), **params
            )
        )

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"'{key}' must be a list, found {describe(value)}")
            return []
        return value


def parse_time(value: object, label: str, fields: Fields) -> time | None:
    match = TIME_PATTERN.match(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        fields.fail(f"bad time {label} {value!r}: write it as HH:MM between 00:00 and 23:59, e.g. '10:00'")
        return None
    return time(int(match[1]), int(match[2]))


def top_level(data: object, file: str, keys: Collection[str], problems: list[str]) -> Fields:
    return Fields(data if data is not None else {}, file, problems, keys)


def duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated
