from __future__ import annotations

from pathlib import Path

import pytest

from academy.config.env import ConfigurationError, database_config, read_environment


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("ACADEMY_SECRET_KEY", "DATABASE_URL", "ACADEMY_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ACADEMY_DATA_DIR", str(data_dir))
    return data_dir


def test_embedded_defaults(clean_env: Path) -> None:
    env = read_environment()
    assert env.data_dir == clean_env.resolve()
    assert env.database_url == f"sqlite:///{clean_env.resolve() / 'academy.sqlite3'}"
    assert env.debug is False


def test_secret_key_is_generated_once_and_kept(clean_env: Path) -> None:
    first = read_environment().secret_key
    assert len(first) >= 50
    assert (clean_env / "secret_key").stat().st_mode & 0o777 == 0o600
    assert read_environment().secret_key == first


def test_configured_values_win(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACADEMY_SECRET_KEY", "from-the-vault")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/academy")
    monkeypatch.setenv("ACADEMY_DEBUG", "yes")
    env = read_environment()
    assert (env.secret_key, env.debug) == ("from-the-vault", True)
    assert not (clean_env / "secret_key").exists()
    config = database_config(env.database_url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "academy"


def test_a_bad_flag_is_a_clear_error(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACADEMY_DEBUG", "maybe")
    with pytest.raises(ConfigurationError, match="ACADEMY_DEBUG"):
        read_environment()


def test_sqlite_is_tuned_for_concurrent_readers(tmp_path: Path) -> None:
    config = database_config(f"sqlite:///{tmp_path / 'x' / 'db.sqlite3'}")
    options = config["OPTIONS"]
    assert isinstance(options, dict)
    assert "journal_mode=WAL" in options["init_command"]
    assert (tmp_path / "x").is_dir()
