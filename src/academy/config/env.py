"""The one module that reads the process environment.

Every setting that can vary between a laptop and a deployment is read here, with a safe default
for the embedded setup (SQLite and a local data directory), so the rest of the code never touches
``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import dj_database_url

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(RuntimeError):
    """An environment variable holds a value the platform cannot use."""


def _flag(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def _days(name: str, *, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigurationError(
            f"{name} must be a whole number of days (0: keep forever); got {raw!r}"
        )
    return int(raw)


def _secret_key(data_dir: Path) -> str:
    """Return ACADEMY_SECRET_KEY, or a key generated once into the data directory."""
    configured = os.environ.get("ACADEMY_SECRET_KEY", "").strip()
    if configured:
        return configured
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Create with O_EXCL so two processes starting together agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Environment:
    data_dir: Path
    database_url: str
    secret_key: str
    debug: bool
    allowed_hosts: tuple[str, ...]
    csrf_trusted_origins: tuple[str, ...]
    email_url: str
    default_from_email: str
    clock_file: str
    events_retention_days: int


def _csv(name: str, default: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in os.environ.get(name, default).split(",") if part.strip())


def read_environment() -> Environment:
    data_dir = Path(os.environ.get("ACADEMY_DATA_DIR", "./var")).expanduser().resolve()
    default_db = f"sqlite:///{data_dir / 'academy.sqlite3'}"
    return Environment(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL", "").strip() or default_db,
        secret_key=_secret_key(data_dir),
        debug=_flag("ACADEMY_DEBUG", default=False),
        allowed_hosts=_csv("ACADEMY_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver"),
        csrf_trusted_origins=_csv("ACADEMY_CSRF_TRUSTED_ORIGINS", ""),
        email_url=os.environ.get("ACADEMY_EMAIL_URL", "console:").strip(),
        default_from_email=os.environ.get(
            "ACADEMY_FROM_EMAIL", "Creator Academy <academy@localhost>"
        ),
        clock_file=os.environ.get("ACADEMY_CLOCK_FILE", "").strip(),
        events_retention_days=_days("ACADEMY_EVENTS_RETENTION_DAYS", default=395),
    )


def database_config(url: str) -> dict[str, object]:
    """Translate DATABASE_URL into Django's DATABASES entry, tuned per engine."""
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(str(config["NAME"]))
        if str(name) != ":memory:":
            name.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers proceed while one writer commits; IMMEDIATE avoids
        # "database is locked" upgrades from read to write inside a transaction. Memory-mapped
        # reads and a 32 MiB page cache keep random reads (search's full-text index, joins)
        # off the read() system call: several times faster on a database of some 100 MB.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-32768;"
            ),
        }
        # Keep connections: opening one runs the PRAGMAs above, which costs more than a query.
        config["CONN_MAX_AGE"] = 600
        config["CONN_HEALTH_CHECKS"] = True
    return config
