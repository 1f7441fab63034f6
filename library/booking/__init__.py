"""Booking: house rules, availability, conflicts, alternatives and series."""
