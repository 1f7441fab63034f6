"""The SensorThings $filter parser and query options: pure, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from library.opendata.filters import (
    And,
    Comparison,
    FilterError,
    Literal,
    Not,
    Or,
    Property,
    PropertyType,
    check_types,
    matches,
    parse_filter,
)
from library.opendata.options import MAX_TOP, parse_options

TYPES: dict[str, PropertyType] = {
    "name": "text",
    "result": "number",
    "phenomenonTime": "time",
    "@iot.id": "number",
}


def test_a_comparison_of_a_property_with_a_number() -> None:
    assert parse_filter("result gt 3") == Comparison("gt", Property("result"), Literal(3))
    assert parse_filter("result le -0.5") == Comparison("le", Property("result"), Literal(-0.5))


def test_strings_times_and_keywords_are_literals() -> None:
    assert parse_filter("name eq 'O''Brien'") == Comparison("eq", Property("name"), Literal("O'Brien"))
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert parse_filter("phenomenonTime ge 2026-12-01T09:00:00Z") == Comparison(
        "ge", Property("phenomenonTime"), Literal(moment)
    )
    assert parse_filter("phenomenonTime lt 2026-12-01T10:00:00+01:00") == Comparison(
        "lt", Property("phenomenonTime"), Literal(moment)
    )
    assert parse_filter("name ne null") == Comparison("ne", Property("name"), Literal(None))


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    tree = parse_filter("result eq 1 or result eq 2 and not result eq 3")
    assert tree == Or(
        Comparison("eq", Property("result"), Literal(1)),
        And(
            Comparison("eq", Property("result"), Literal(2)),
            Not(Comparison("eq", Property("result"), Literal(3))),
        ),
    )


def test_parentheses_group() -> None:
    tree = parse_filter("(result eq 1 or result eq 2) and name eq 'a'")
    assert isinstance(tree, And)
    assert isinstance(tree.left, Or)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("result gt", "ends too early"),
        ("result 3", "expected a comparison"),
        ("(result gt 3", "not closed"),
        ("result gt 3)", "unexpected"),
        ("result gt 3 and", "ends too early"),
        ("result ~ 3", "cannot read"),
        ("result eq and", "expected a value"),
    ],
)
def test_malformed_filters_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(FilterError, match=words):
        parse_filter(text)


def test_types_and_properties_are_checked() -> None:
    check_types(parse_filter("result gt 1 and name eq 'x'"), TYPES)
    with pytest.raises(FilterError, match="no property 'colour'"):
        check_types(parse_filter("colour eq 'red'"), TYPES)
    with pytest.raises(FilterError, match="cannot be compared"):
        check_types(parse_filter("result gt 'many'"), TYPES)
    with pytest.raises(FilterError, match="cannot be compared"):
        check_types(parse_filter("phenomenonTime gt 3"), TYPES)


def test_matches_evaluates_on_a_row() -> None:
    row = {"name": "Zentralbibliothek", "result": 4}
    assert matches(parse_filter("name eq 'Zentralbibliothek' and result ge 4"), row)
    assert not matches(parse_filter("not (result ge 4)"), row)
    assert matches(parse_filter("result lt 2 or name ne 'x'"), row)
    assert not matches(parse_filter("result gt 'x'"), row)  # unchecked mismatch: no match, no crash


def test_query_options_with_nested_expand() -> None:
    options = parse_options(
        {
            "$top": "5",
            "$skip": "10",
            "$count": "true",
            "$orderby": "name desc, @iot.id",
            "$select": "name,id",
            "$expand": "Datastreams($top=2;$filter=name eq 'a,b';$expand=Observations($top=1)),Locations",
        }
    )
    assert (options.top, options.skip, options.count) == (5, 10, True)
    assert options.orderby == (("name", True), ("@iot.id", False))
    assert options.select == ("name", "id")
    streams, locations = options.expand
    assert (streams.navigation, locations.navigation) == ("Datastreams", "Locations")
    assert streams.options.top == 2
    assert streams.options.filter == Comparison("eq", Property("name"), Literal("a,b"))
    assert streams.options.expand[0].navigation == "Observations"
    assert streams.options.expand[0].options.top == 1


def test_an_expand_path_nests() -> None:
    (streams,) = parse_options({"$expand": "Datastreams/Observations"}).expand
    assert streams.navigation == "Datastreams"
    assert streams.options.expand[0].navigation == "Observations"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"$top": "-1"}, "whole number"),
        ({"$top": str(MAX_TOP + 1)}, "at most 1000"),
        ({"$skip": "x"}, "whole number"),
        ({"$count": "yes"}, "true or false"),
        ({"$orderby": "name sideways"}, "asc|desc"),
        ({"$expand": "Datastreams($top=2"}, "not closed"),
        ({"$expand": "Data-streams"}, "not a navigation"),
        ({"$select": "name,,id"}, "comma-separated"),
        ({"$format": "xml"}, "unknown query option"),
    ],
)
def test_malformed_options_are_refused(query: dict[str, str], words: str) -> None:
    with pytest.raises(FilterError, match=words):
        parse_options(query)


def test_defaults() -> None:
    options = parse_options({})
    assert (options.top, options.skip, options.count, options.filter) == (100, 0, False, None)
