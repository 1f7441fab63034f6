"""Recognising the database's refusal of an overlapping booking, on either engine."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from library.db import violated_constraint

OVERLAP_CONSTRAINT = "ex_bookings_no_overlap"
"""The name of the PostgreSQL exclusion constraint, and the message of the SQLite trigger."""


def is_overlap_violation(error: IntegrityError) -> bool:
    """True when the database refused a booking because its unit is taken at that time."""
    return violated_constraint(error) == OVERLAP_CONSTRAINT
