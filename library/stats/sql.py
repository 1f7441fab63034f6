"""SQL expressions that the two engines spell differently: local time, minutes between instants.

PostgreSQL has time zones and intervals; SQLite has neither, so there the local wall clock
comes from the `local_datetime` function every connection registers (library.db) and minutes
from `julianday`. Each construct compiles to the one or the other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class local_day(FunctionElement[Any]):
    """The local date of an instant in a zone (a DATE on PostgreSQL, 'YYYY-MM-DD' on SQLite)."""

    type = Date()
    inherit_cache = True


class local_weekday(FunctionElement[int]):
    """The ISO weekday (1 = Monday) of an instant in a zone."""

    type = Integer()
    inherit_cache = True


class local_hour(FunctionElement[int]):
    """The local hour (0 to 23) of an instant in a zone."""

    type = Integer()
    inherit_cache = True


class minutes_between(FunctionElement[float]):
    """Minutes from the first instant to the second (negative when the second is earlier)."""

    type = Float()
    inherit_cache = True


class plus_minutes(FunctionElement[Any]):
    """An instant moved by a whole number of minutes (an expression)."""

    inherit_cache = True


class greatest(FunctionElement[Any]):
    inherit_cache = True


class least(FunctionElement[Any]):
    inherit_cache = True


class day_text(FunctionElement[str]):
    """A DATE as 'YYYY-MM-DD', so both engines compare and group days alike."""

    type = String()
    inherit_cache = True


def _args(compiler: SQLCompiler, element: FunctionElement[Any], **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(local_day, "postgresql")
def _local_day_pg(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = _args(compiler, element, **kw)
    return f"CAST(timezone({zone}, {instant}) AS DATE)"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = _args(compiler, element, **kw)
    return f"substr(local_datetime({instant}, {zone}), 1, 10)"


@compiles(local_weekday, "postgresql")
def _weekday_pg(element: local_weekday, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = _args(compiler, element, **kw)
    return f"CAST(EXTRACT(ISODOW FROM timezone({zone}, {instant})) AS INTEGER)"


@compiles(local_weekday, "sqlite")
def _weekday_sqlite(element: local_weekday, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = _args(compiler, element, **kw)
    # %w counts Sunday as 0; ISO counts it as 7.
    return f"((CAST(strftime('%w', local_datetime({instant}, {zone})) AS INTEGER) + 6) % 7 + 1)"


@compiles(local_hour, "postgresql")
def _hour_pg(element: local_hour, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = _args(compiler, element, **kw)
    return f"CAST(EXTRACT(HOUR FROM timezone({zone}, {instant})) AS INTEGER)"


@compiles(local_hour, "sqlite")
def _hour_sqlite(element: local_hour, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = _args(compiler, element, **kw)
    return f"CAST(substr(local_datetime({instant}, {zone}), 12, 2) AS INTEGER)"


@compiles(minutes_between, "postgresql")
def _minutes_pg(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = _args(compiler, element, **kw)
    return f"(EXTRACT(EPOCH FROM ({second}) - ({first})) / 60.0)"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = _args(compiler, element, **kw)
    # julianday works in days as a double: rounding to the second keeps whole minutes exact.
    return f"(ROUND((julianday({second}) - julianday({first})) * 86400.0) / 60.0)"


@compiles(plus_minutes, "postgresql")
def _plus_pg(element: plus_minutes, compiler: SQLCompiler, **kw: Any) -> str:
    instant, minutes = _args(compiler, element, **kw)
    return f"(({instant}) + ({minutes}) * INTERVAL '1 minute')"


@compiles(plus_minutes, "sqlite")
def _plus_sqlite(element: plus_minutes, compiler: SQLCompiler, **kw: Any) -> str:
    instant, minutes = _args(compiler, element, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%f', {instant}, ({minutes}) || ' minutes')"


@compiles(greatest, "postgresql")
def _greatest_pg(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GREATEST({', '.join(_args(compiler, element, **kw))})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"MAX({', '.join(_args(compiler, element, **kw))})"


@compiles(least, "postgresql")
def _least_pg(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LEAST({', '.join(_args(compiler, element, **kw))})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"MIN({', '.join(_args(compiler, element, **kw))})"


@compiles(day_text, "postgresql")
def _day_text_pg(element: day_text, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(compiler, element, **kw)
    return f"to_char({day}, 'YYYY-MM-DD')"


@compiles(day_text, "sqlite")
def _day_text_sqlite(element: day_text, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(compiler, element, **kw)
    return f"substr({day}, 1, 10)"


def clipped_minutes(start: Any, end: Any, lower: Any, upper: Any) -> ColumnElement[float]:
    """Minutes of [start, end) inside [lower, upper), zero when they do not meet."""
    return greatest(minutes_between(greatest(start, lower), least(end, upper)), 0)


class utc_hour_floor(FunctionElement[Any]):
    """An instant cut down to its whole UTC hour (a local hour too where offsets are whole hours)."""

    inherit_cache = True


@compiles(utc_hour_floor, "postgresql")
def _floor_pg(element: utc_hour_floor, compiler: SQLCompiler, **kw: Any) -> str:
    (instant,) = _args(compiler, element, **kw)
    return f"(date_trunc('hour', ({instant}) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"


@compiles(utc_hour_floor, "sqlite")
def _floor_sqlite(element: utc_hour_floor, compiler: SQLCompiler, **kw: Any) -> str:
    (instant,) = _args(compiler, element, **kw)
    return f"strftime('%Y-%m-%d %H:00:00', {instant})"


class as_date(FunctionElement[Any]):
    """'YYYY-MM-DD' text as a DATE column's value (SQLite keeps dates as that very text)."""

    type = Date()
    inherit_cache = True


@compiles(as_date, "postgresql")
def _as_date_pg(element: as_date, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    return f"CAST({value} AS DATE)"


@compiles(as_date, "sqlite")
def _as_date_sqlite(element: as_date, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    return str(value)


class days_between(FunctionElement[int]):
    """Whole days from the first local date to the second, both as 'YYYY-MM-DD' text (`day_text`)
    or dates (negative when the second is earlier)."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_pg(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = _args(compiler, element, **kw)
    return f"(CAST({second} AS DATE) - CAST({first} AS DATE))"


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = _args(compiler, element, **kw)
    return f"CAST(ROUND(julianday({second}) - julianday({first})) AS INTEGER)"


class json_items(FunctionElement[int]):
    """How many items a JSON array column holds (JSONB on PostgreSQL, JSON text on SQLite)."""

    type = Integer()
    inherit_cache = True


@compiles(json_items, "postgresql")
def _items_pg(element: json_items, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    return f"jsonb_array_length({value})"


@compiles(json_items, "sqlite")
def _items_sqlite(element: json_items, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    return f"json_array_length({value})"
