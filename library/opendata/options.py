"""SensorThings query options ($top, $skip, $count, $orderby, $select, $expand, $filter), parsed.

Pure: a malformed option is an `OptionError` (a FilterError) with a message for the 400 answer.
`$expand` items carry their own options in parentheses, separated by semicolons, nested freely:
`Datastreams($top=2;$expand=Observations($orderby=phenomenonTime desc;$top=1))`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from library.opendata.filters import Expression, FilterError, parse_filter

DEFAULT_TOP = 100
MAX_TOP = 1000
KNOWN = ("$top", "$skip", "$count", "$orderby", "$select", "$expand", "$filter", "$resultFormat")


@dataclass(frozen=True)
class Expand:
    navigation: str
    options: Options
    query: tuple[tuple[str, str], ...] = ()  # its options as given, for the link to more of it


@dataclass(frozen=True)
class Options:
    top: int = DEFAULT_TOP
    skip: int = 0
    count: bool = False
    orderby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    select: tuple[str, ...] | None = None
    expand: tuple[Expand, ...] = ()
    filter: Expression | None = None
    given: frozenset[str] = field(default_factory=frozenset)  # options named in the request


def split_top_level(text: str, separator: str) -> list[str]:
    """Split at separators outside parentheses and 'quoted strings'."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise FilterError(f"a closing parenthesis without an opening one in {text!r}")
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth != 0 or quoted:
        raise FilterError(f"a parenthesis or quote is not closed in {text!r}")
    parts.append(text[start:])
    return parts


def _whole_number(name: str, value: str, highest: int | None = None) -> int:
    if not value.strip().isdigit():
        raise FilterError(f"{name} must be a whole number of 0 or more, not {value!r}")
    number = int(value)
    if highest is not None and number > highest:
        raise FilterError(f"{name} is at most {highest}")
    return number


def _names(name: str, value: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in value.split(","))
    if any(not part or not part.replace("@iot.", "").replace("/", "").isalnum() for part in names):
        raise FilterError(f"{name}: a comma-separated list of property names, not {value!r}")
    return names


def _orderby(value: str) -> tuple[tuple[str, bool], ...]:
    order: list[tuple[str, bool]] = []
    for part in value.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise FilterError(f"$orderby: write 'property' or 'property asc|desc', not {part.strip()!r}")
        order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return tuple(order)


def _expand(value: str) -> tuple[Expand, ...]:
    items: list[Expand] = []
    for raw in split_top_level(value, ","):
        item = raw.strip()
        inner = ""
        if "(" in item:
            if not item.endswith(")"):
                raise FilterError(f"$expand: options of {item!r} must end with ')'")
            item, inner = item[: item.index("(")].strip(), item[item.index("(") + 1 : -1]
        path = item.split("/")
        if not all(part.isalpha() for part in path):
            raise FilterError(f"$expand: {raw.strip()!r} is not a navigation property")
        nested: dict[str, str] = {}
        for option in split_top_level(inner, ";") if inner.strip() else []:
            key, equals, option_value = option.partition("=")
            if not equals:
                raise FilterError(f"$expand: write options as $name=value, not {option!r}")
            nested[key.strip()] = option_value
        options = parse_options(nested)
        # Datastreams/Observations: expand Datastreams, and within each its Observations.
        for navigation in reversed(path[1:]):
            options = Options(expand=(Expand(navigation, options),), given=frozenset({"$expand"}))
        items.append(Expand(path[0], options, tuple(nested.items()) if len(path) == 1 else ()))
    return tuple(items)


def parse_options(query: Mapping[str, str]) -> Options:
    """The options of one request (or one expanded navigation), checked; unknown `$` options refused."""
    unknown = [name for name in query if name.startswith("$") and name not in KNOWN]
    if unknown:
        raise FilterError(f"unknown query option {unknown[0]}")
    count = query.get("$count", "false").strip()
    if count not in ("true", "false"):
        raise FilterError("$count must be true or false")
    return Options(
        top=_whole_number("$top", query["$top"], MAX_TOP) if "$top" in query else DEFAULT_TOP,
        skip=_whole_number("$skip", query["$skip"]) if "$skip" in query else 0,
        count=count == "true",
        orderby=_orderby(query["$orderby"]) if "$orderby" in query else (),
        select=_names("$select", query["$select"]) if "$select" in query else None,
        expand=_expand(query["$expand"]) if "$expand" in query else (),
        filter=parse_filter(query["$filter"]) if "$filter" in query else None,
        given=frozenset(name for name in query if name in KNOWN),
    )
