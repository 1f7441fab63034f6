"""PostgreSQL: the writers of one unit's active bookings take turns, so that the overlap check
cannot deadlock.

Two transactions inserting overlapping bookings of one unit at the same moment each put their
row into the exclusion constraint's index, each find the other's uncommitted row there and wait
for each other. PostgreSQL breaks such a deadlock only after `deadlock_timeout` (a second); 32
requests for one slot kept breaking them for over a minute. A BEFORE trigger takes a
transaction-level advisory lock on the unit before the row reaches the index: a second writer
of the unit waits for the first to commit, then meets a plain overlap that a retry answers at
once. Writers of other units do not wait. SQLite's writers take turns already.

Revision ID: 0024_unit_turns
Revises: 0023_drop_people_days
Create Date: 2026-12-05 21:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_unit_turns"
down_revision: str | None = "0023_drop_people_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT_TURN = 0x0B00_0001
"""The first of the advisory lock's two keys, naming the kind of lock; the second is the unit."""


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION bookings_take_unit_turn() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.status NOT IN ('pending', 'confirmed', 'checked_in') THEN
                RETURN NEW;  -- outside the exclusion constraint
            END IF;
            IF TG_OP = 'UPDATE'
                AND NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id
                AND NEW.occupied_start IS NOT DISTINCT FROM OLD.occupied_start
                AND NEW.occupied_end IS NOT DISTINCT FROM OLD.occupied_end
                AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
                RETURN NEW;  -- the constraint's columns stay as they were
            END IF;
            PERFORM pg_advisory_xact_lock({UNIT_TURN}, (NEW.unit_id % 2147483647)::integer);
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER bookings_take_unit_turn
        BEFORE INSERT OR UPDATE ON bookings
        FOR EACH ROW EXECUTE FUNCTION bookings_take_unit_turn()
        """
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER bookings_take_unit_turn ON bookings")
    op.execute("DROP FUNCTION bookings_take_unit_turn()")
