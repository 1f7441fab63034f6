"""The cost of hashing passwords: today's argon2 parameters in production, cheap ones only in tests.

Every test starts hashing cheaply (the `fast_password_hashing` fixture); these switch to the
standard cost to check what people get, and that a cheap hash is renewed at that cost when its
owner signs in.
"""

from __future__ import annotations

import pytest
from argon2 import Parameters, Type, extract_parameters

from library.accounts import passwords
from library.accounts.service import LoginSubjects, sign_in
from library.config import ConfigurationError, Settings
from library.db import Database
from tests.support.factories import DEFAULT_PASSWORD, create_user
from tests.support.times import TEST_NOW

# argon2-cffi's defaults (RFC 9106, low memory): what every password was hashed with so far.
STANDARD = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=3, memory_cost=65536, parallelism=4
)


def test_the_standard_cost_is_argon2s_default() -> None:
    passwords.use_password_hashing("standard")
    password_hash = passwords.hash_password(DEFAULT_PASSWORD)
    assert extract_parameters(password_hash) == STANDARD
    assert passwords.verify_password(password_hash, DEFAULT_PASSWORD)
    assert not passwords.needs_rehash(password_hash)


def test_the_settings_hash_at_the_standard_cost_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIBRARY_PASSWORD_HASHING")
    assert Settings.from_env().password_hashing == "standard"
    assert Settings(database_url="sqlite://", secret_key="k").password_hashing == "standard"
    monkeypatch.setenv("LIBRARY_PASSWORD_HASHING", "fast")
    assert Settings.from_env().password_hashing == "fast"


@pytest.mark.parametrize(("env", "value"), [("production", "fast"), ("development", "cheap")])
def test_fast_hashing_is_refused_in_production_and_unknown_costs_everywhere(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str
) -> None:
    monkeypatch.setenv("LIBRARY_ENV", env)
    monkeypatch.setenv("LIBRARY_SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("LIBRARY_PASSWORD_HASHING", value)
    with pytest.raises(ConfigurationError, match="LIBRARY_PASSWORD_HASHING"):
        Settings.from_env()


async def test_a_cheap_hash_is_renewed_at_the_standard_cost_at_sign_in(db: Database) -> None:
    user = await create_user(db)  # hashed cheaply, as in every test
    assert user.password_hash is not None
    assert extract_parameters(user.password_hash) != STANDARD

    passwords.use_password_hashing("standard")
    subjects = LoginSubjects.of(user.email, "127.0.0.1")
    signed_in = await sign_in(
        db, email=user.email, password=DEFAULT_PASSWORD, subjects=subjects, now=TEST_NOW
    )

    assert signed_in is not None
    assert signed_in.password_hash is not None
    assert extract_parameters(signed_in.password_hash) == STANDARD
