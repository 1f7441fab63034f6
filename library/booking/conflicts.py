"""Recognising the database's refusal of an overlapping booking, on either engine."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

from library.db import violated_constraint

OVERLAP_CONSTRAINT = "ex_bookings_no_overlap"
"""The name of the PostgreSQL exclusion constraint, and the message of the SQLite trigger."""


def is_overlap_violation(error: IntegrityError) -> bool:
    """True when the database refused a booking because its unit is taken at that time."""
    return violated_constraint(error) == OVERLAP_CONSTRAINT


DEADLOCK = "40P01"
"""PostgreSQL's SQLSTATE for a transaction ended to break a deadlock."""


def is_deadlock(error: DBAPIError) -> bool:
    """True when PostgreSQL ended this transaction to break a deadlock."""
    return getattr(error.orig, "sqlstate", None) == DEADLOCK


def is_lost_race(error: DBAPIError) -> bool:
    """True when a write lost to another one for the same unit and time: refused as an overlap,
    or, when two transactions' overlapping inserts each checked the exclusion constraint against
    the other's and waited for it, ended by PostgreSQL as a deadlock. A retry sees who won."""
    if isinstance(error, IntegrityError):
        return is_overlap_violation(error)
    return is_deadlock(error)
