"""Password hashing with argon2, and the rule for what counts as a weak password.

The cost of hashing is set once per process from the settings (`use_password_hashing`): the
standard cost everywhere people sign in, a fast one only for tests. A hash made at another
cost is renewed at the next sign-in (`needs_rehash`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from library.config import PasswordHashing

_HASHERS: dict[PasswordHashing, PasswordHasher] = {
    "standard": PasswordHasher(),  # argon2-cffi's defaults (RFC 9106, low memory)
    "fast": PasswordHasher.from_parameters(profiles.CHEAPEST),
}
_hasher = _HASHERS["standard"]

MIN_PASSWORD_LENGTH = 10


def use_password_hashing(hashing: PasswordHashing) -> None:
    """Hash at this cost from now on, in this process."""
    global _hasher
    _hasher = _HASHERS[hashing]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Still spend the time of a check, so a missing account is not told apart by timing.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones (older or cheaper)."""
    return _hasher.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("library.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def is_weak_password(password: str) -> bool:
    return len(password) < MIN_PASSWORD_LENGTH or password.strip().lower() in _common_passwords()
