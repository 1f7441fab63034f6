"""The `library` command as an operator uses it: migrate, seed, create an account."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from library.accounts.models import Role, User
from library.accounts.passwords import verify_password
from library.cli import main
from library.db import Database


@pytest.fixture
def env(empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LIBRARY_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("LIBRARY_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("LIBRARY_SECRET_KEY", raising=False)
    monkeypatch.delenv("LIBRARY_ENV", raising=False)
    return empty_database_url


def users_in(url: str) -> list[User]:
    async def read() -> list[User]:
        database = Database(url, pool_size=0)
        try:
            async with database.read() as session:
                return list(await session.scalars(select(User).order_by(User.email)))
        finally:
            await database.dispose()

    return asyncio.run(read())


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for command in (
        ["--help"],
        ["db", "upgrade", "--help"],
        ["seed", "--help"],
        ["users", "create", "--help"],
        ["serve", "--help"],
        ["worker", "--help"],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output


def test_upgrade_seed_and_create_a_staff_account(env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(main, ["seed", "--demo"])
    assert seeded.exit_code == 0, seeded.output
    again = runner.invoke(main, ["seed", "--demo"])
    assert "0 created, 0 updated" in again.output

    created = runner.invoke(
        main,
        [
            "users",
            "create",
            "--email",
            "Leiterin@Stadtbibliothek.example",
            "--name",
            "Leitung",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="ein-langes-passwort-2026\n",
    )
    assert created.exit_code == 0, created.output
    admin = next(u for u in users_in(env) if u.email == "leiterin@stadtbibliothek.example")
    assert admin.role is Role.ADMIN
    assert verify_password(admin.password_hash, "ein-langes-passwort-2026")

    weak = runner.invoke(
        main,
        ["users", "create", "--email", "x@example.org", "--name", "X", "--password-stdin"],
        input="kurz\n",
    )
    assert weak.exit_code != 0
    assert "too weak" in weak.output


def test_a_password_is_never_taken_from_the_command_line(env: str) -> None:
    result = CliRunner().invoke(main, ["users", "create", "--email", "x@example.org", "--name", "X"])
    assert result.exit_code != 0
    assert "--password-stdin" in result.output


def test_production_without_a_secret_key_refuses_to_start(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIBRARY_ENV", "production")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "LIBRARY_SECRET_KEY is not set" in result.output


def test_development_keeps_a_generated_secret_key(env: str, tmp_path: Path) -> None:
    from library.config import Settings

    first = Settings.from_env().secret_key
    assert (tmp_path / "secret_key").read_text() == first
    assert Settings.from_env().secret_key == first
