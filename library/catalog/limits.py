"""The limits of a resource's fields, in one place for the API, the CSV import and the seed files.

The typed structures that apply them are in library.catalog.resource_input.
"""

from __future__ import annotations

import re

from library.catalog.policy import POLICY_FIELDS

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Lower-case letters and digits in words joined by single hyphens, e.g. lesesaal-2."""

MAX_SLUG_LENGTH = 80
MAX_REFERENCE_LENGTH = 80  # a location's slug or a certification's key, as a resource names it
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 20_000
MIN_CAPACITY, MAX_CAPACITY = 1, 10_000
MAX_AGE = 120
MAX_FEATURES, MAX_FEATURE_LENGTH = 50, 200
MAX_UNITS = 500  # given at once, with a new resource
MAX_LABEL_LENGTH = 120
MAX_INVENTORY_NUMBER_LENGTH = 60
MAX_SERIAL_NUMBER_LENGTH = 120

POLICY_MAX = 100_000
POLICY_LIMITS: dict[str, tuple[int, int]] = {
    name: {
        "slot_minutes": (5, 1440),
        "min_minutes": (1, POLICY_MAX),
        "max_minutes": (1, POLICY_MAX),
        "loan_days": (1, 365),
        "max_renewals": (0, 20),
        "hold_offer_minutes": (5, 10_080),
    }.get(name, (0, POLICY_MAX))
    for name in POLICY_FIELDS
}
"""The smallest and largest value of each policy field (whole minutes, days or counts)."""
