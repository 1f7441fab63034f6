"""The SensorThings `$filter` language, the part we serve: a small recursive-descent parser.

Grammar (OData, as SensorThings 1.1 uses it), lowest precedence first:

    expression := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation   := "not" negation | comparison
    comparison := operand (("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand)?
    operand    := "(" expression ")" | literal | property

Literals: numbers, 'strings' ('' is a quote), ISO 8601 date-times, true, false, null.
Pure and typed: the API turns a `FilterError` into a 400 with its message, and the evaluators
(`matches` here for entities held in memory, `library.opendata.sta` for SQL) check the types.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Literal as TypingLiteral

Comparator = TypingLiteral["eq", "ne", "gt", "ge", "lt", "le"]
COMPARATORS: tuple[Comparator, ...] = ("eq", "ne", "gt", "ge", "lt", "le")
Value = str | int | float | bool | datetime | None
PropertyType = TypingLiteral["number", "text", "time"]


class FilterError(ValueError):
    """A query option that cannot be understood; its message says where and why."""


@dataclass(frozen=True)
class Property:
    name: str


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class Comparison:
    op: Comparator
    left: Property | Literal
    right: Property | Literal


@dataclass(frozen=True)
class And:
    left: Expression
    right: Expression


@dataclass(frozen=True)
class Or:
    left: Expression
    right: Expression


@dataclass(frozen=True)
class Not:
    operand: Expression


Expression = Comparison | And | Or | Not

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<paren>[()])
      | (?P<string>'(?:[^']|'')*')
      | (?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<word>[A-Za-z@][\w@.]*(?:/[A-Za-z@][\w@.]*)*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise FilterError(f"$filter: cannot read {text[position:].strip()[:20]!r} at position {position}")
        tokens.append(_Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek_word(self) -> str | None:
        if self.index < len(self.tokens) and self.tokens[self.index].kind == "word":
            return self.tokens[self.index].text
        return None

    def take(self) -> _Token:
        if self.index >= len(self.tokens):
            raise FilterError("$filter: the expression ends too early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self) -> Expression:
        node = self.conjunction()
        while self.peek_word() == "or":
            self.index += 1
            node = Or(node, self.conjunction())
        return node

    def conjunction(self) -> Expression:
        node = self.negation()
        while self.peek_word() == "and":
            self.index += 1
            node = And(node, self.negation())
        return node

    def negation(self) -> Expression:
        if self.peek_word() == "not":
            self.index += 1
            return Not(self.negation())
        return self.comparison()

    def comparison(self) -> Expression:
        if self._at_paren("("):
            self.index += 1
            inner = self.expression()
            self._expect_close()
            return inner
        left = self.operand()
        word = self.peek_word()
        if word not in COMPARATORS:
            found = "the end" if word is None and self.index >= len(self.tokens) else repr(self.take().text)
            raise FilterError(f"$filter: expected a comparison (eq, ne, gt, ge, lt, le), found {found}")
        self.index += 1
        return Comparison(word, left, self.operand())

    def operand(self) -> Property | Literal:
        token = self.take()
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            number = float(token.text)
            return Literal(int(token.text) if re.fullmatch(r"-?\d+", token.text) else number)
        if token.kind == "time":
            return Literal(datetime.fromisoformat(token.text.replace("Z", "+00:00")))
        if token.kind == "word":
            keywords: dict[str, Value] = {"true": True, "false": False, "null": None}
            if token.text in keywords:
                return Literal(keywords[token.text])
            if token.text in ("and", "or", "not", *COMPARATORS):
                raise FilterError(f"$filter: expected a value or property at position {token.position}")
            return Property(token.text)
        raise FilterError(f"$filter: unexpected {token.text!r} at position {token.position}")

    def _at_paren(self, which: str) -> bool:
        return (
            self.index < len(self.tokens)
            and self.tokens[self.index].kind == "paren"
            and self.tokens[self.index].text == which
        )

    def _expect_close(self) -> None:
        if not self._at_paren(")"):
            raise FilterError("$filter: a parenthesis is not closed")
        self.index += 1


def parse_filter(text: str) -> Expression:
    """The expression tree of a `$filter` value, or a FilterError saying what is wrong."""
    parser = _Parser(text)
    if not parser.tokens:
        raise FilterError("$filter: empty expression")
    tree = parser.expression()
    if parser.index != len(parser.tokens):
        raise FilterError(f"$filter: unexpected {parser.tokens[parser.index].text!r} after the expression")
    return tree


def properties_of(tree: Expression) -> set[str]:
    """Every property an expression names, to check them against an entity's before use."""
    if isinstance(tree, Comparison):
        return {side.name for side in (tree.left, tree.right) if isinstance(side, Property)}
    if isinstance(tree, Not):
        return properties_of(tree.operand)
    return properties_of(tree.left) | properties_of(tree.right)


def check_types(tree: Expression, types: Mapping[str, PropertyType]) -> None:
    """Refuse unknown properties and comparisons of a property with a value of another type."""
    if isinstance(tree, Not):
        check_types(tree.operand, types)
        return
    if isinstance(tree, And | Or):
        check_types(tree.left, types)
        check_types(tree.right, types)
        return
    for side, other in ((tree.left, tree.right), (tree.right, tree.left)):
        if isinstance(side, Property):
            if side.name not in types:
                known = ", ".join(sorted(types))
                raise FilterError(f"$filter: no property {side.name!r} here (known: {known})")
            if isinstance(other, Literal) and not _fits(other.value, types[side.name]):
                raise FilterError(f"$filter: {side.name} cannot be compared with {other.value!r}")


def _fits(value: Value, kind: PropertyType) -> bool:
    if value is None:
        return True
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "time":
        return isinstance(value, datetime)
    return isinstance(value, str)


_PYTHON_OPS: dict[Comparator, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def matches(tree: Expression, row: Mapping[str, object]) -> bool:
    """Whether an entity held in memory (its properties by name) passes the filter."""
    if isinstance(tree, And):
        return matches(tree.left, row) and matches(tree.right, row)
    if isinstance(tree, Or):
        return matches(tree.left, row) or matches(tree.right, row)
    if isinstance(tree, Not):
        return not matches(tree.operand, row)
    left = row.get(tree.left.name) if isinstance(tree.left, Property) else tree.left.value
    right = row.get(tree.right.name) if isinstance(tree.right, Property) else tree.right.value
    if left is None or right is None:
        return bool(_PYTHON_OPS[tree.op](left, right)) if tree.op in ("eq", "ne") else False
    try:
        return bool(_PYTHON_OPS[tree.op](left, right))
    except TypeError:
        return False
