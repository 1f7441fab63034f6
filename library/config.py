"""Settings from the environment, so the same code runs embedded (SQLite) or in production."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# How costly argon2 is: `standard` wherever people sign in; `fast` only for tests, which hash
# hundreds of passwords and need no protection against guessing.
PasswordHashing = Literal["standard", "fast"]


class ConfigurationError(RuntimeError):
    """The service cannot start with the configuration it was given."""


def _var_dir() -> Path:
    return Path(os.environ.get("LIBRARY_VAR_DIR", PROJECT_ROOT / "var"))


def _secret_key(env: str, var_dir: Path) -> str:
    key = os.environ.get("LIBRARY_SECRET_KEY", "").strip()
    if key:
        return key
    if env == "production":
        raise ConfigurationError(
            "LIBRARY_SECRET_KEY is not set. In production the secret key must come from the "
            "environment, e.g. LIBRARY_SECRET_KEY=$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')"
        )
    # Development: make one once and keep it, so logins survive a restart.
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    env: str = "development"
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""
    timezone: str = "Europe/Berlin"
    var_dir: Path = field(default_factory=_var_dir)
    run_scheduler: bool = True
    scheduler_interval_seconds: float = 60.0
    token_lifetime_days: int = 30
    session_lifetime_hours: int = 12
    reminder_hours: int = 24  # a reminder goes out this long before a booking or workshop
    certification_notice_days: int = 14  # a notice goes out this long before a certification expires
    # Days after which past bookings, registrations and sent mail no longer name the person.
    retention_days: int = 90
    password_hashing: PasswordHashing = "standard"  # noqa: S105 - a cost, not a password
    registrations_per_hour: int = 5  # new accounts from one address; more are refused for a while
    # Self-registered accounts confirm their e-mail address before they book or sign up.
    verify_email: bool = False
    # Where uploaded photos' variants are kept (LIBRARY_MEDIA_DIR); None: `media` in var_dir.
    media_dir: Path | None = None
    # Days the SensorThings observations are kept (counts only; two years by default).
    observation_days: int = 730
    # A city's SensorThings (FROST) service root, e.g. https://frost.example/v1.1: where set, each
    # observation written is also POSTed there (LIBRARY_STA_PUSH_URL; see docs/adopting.md).
    sta_push_url: str = ""
    # PostgreSQL connections a server process keeps (LIBRARY_DATABASE_POOL; see library.db).
    database_pool: int = 20

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def behind_https(self) -> bool:
        """Served over HTTPS: cookies are `Secure` and browsers are told to stay on HTTPS."""
        return self.base_url.startswith("https://")

    @property
    def media_root(self) -> Path:
        """The directory of the photos' files (never the database: they are large and cached)."""
        return self.media_dir if self.media_dir is not None else self.var_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get("LIBRARY_ENV", "development").strip() or "development"
        var_dir = _var_dir()
        database_url = os.environ.get("LIBRARY_DATABASE_URL", "").strip()
        if not database_url:
            var_dir.mkdir(parents=True, exist_ok=True)
            database_url = f"sqlite+aiosqlite:///{var_dir / 'library.sqlite3'}"
        timezone = os.environ.get("LIBRARY_TIMEZONE", "Europe/Berlin")
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(f"LIBRARY_TIMEZONE={timezone!r} is not a known time zone") from exc
        return cls(
            database_url=normalise_database_url(database_url),
            secret_key=_secret_key(env, var_dir),
            env=env,
            base_url=os.environ.get("LIBRARY_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            smtp_url=os.environ.get("LIBRARY_SMTP_URL", ""),
            timezone=timezone,
            var_dir=var_dir,
            run_scheduler=os.environ.get("LIBRARY_SCHEDULER", "on") != "off",
            scheduler_interval_seconds=float(os.environ.get("LIBRARY_SCHEDULER_INTERVAL", "60")),
            reminder_hours=int(os.environ.get("LIBRARY_REMINDER_HOURS", "24")),
            certification_notice_days=int(os.environ.get("LIBRARY_CERTIFICATION_NOTICE_DAYS", "14")),
            retention_days=_retention_days(),
            password_hashing=_password_hashing(env),
            registrations_per_hour=_positive("LIBRARY_REGISTRATIONS_PER_HOUR", "5", "registrations"),
            verify_email=_on_or_off("LIBRARY_VERIFY_EMAIL", "on" if env == "production" else "off"),
            media_dir=Path(media) if (media := os.environ.get("LIBRARY_MEDIA_DIR", "").strip()) else None,
            observation_days=_positive("LIBRARY_OBSERVATION_DAYS", "730", "days"),
            database_pool=_positive("LIBRARY_DATABASE_POOL", "20", "connections"),
            sta_push_url=_push_url(),
        )


def _push_url() -> str:
    url = os.environ.get("LIBRARY_STA_PUSH_URL", "").strip().rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"LIBRARY_STA_PUSH_URL={url!r} must be an http(s):// service root")
    return url


def _retention_days() -> int:
    return _positive("LIBRARY_RETENTION_DAYS", "90", "days")


def _on_or_off(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip() or default
    if value not in ("on", "off"):
        raise ConfigurationError(f"{name}={value!r} must be on or off")
    return value == "on"


def _positive(name: str, default: str, unit: str) -> int:
    value = os.environ.get(name, default).strip() or default
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"{name}={value!r} must be a whole number of {unit}, at least 1")
    return int(value)


def _password_hashing(env: str) -> PasswordHashing:
    value = os.environ.get("LIBRARY_PASSWORD_HASHING", "standard").strip() or "standard"
    if value == "standard":
        return "standard"
    if value != "fast":
        raise ConfigurationError(f"LIBRARY_PASSWORD_HASHING={value!r} must be standard or fast")
    if env == "production":
        raise ConfigurationError(
            "LIBRARY_PASSWORD_HASHING=fast is for tests only: it makes passwords cheap to guess"
        )
    return "fast"


def normalise_database_url(url: str) -> str:
    """Accept the plain URLs people paste and pick the async driver for them."""
    for plain, driver in (
        ("postgres://", "postgresql+psycopg://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url
