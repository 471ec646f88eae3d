"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client, override_settings

from academy.accounts.tests.factories import make_api_key
from academy.core.tests.helpers import SetTime


@pytest.fixture
def api_key_client(db: None) -> Callable[..., Client]:
    """A test client that sends ``Authorization: Bearer`` with a fresh key of the given scopes."""

    def build(*scopes: str) -> Client:
        _api_key, raw_key = make_api_key(scopes=list(scopes))
        return Client(headers={"Authorization": f"Bearer {raw_key}"})

    return build


@pytest.fixture
def frozen_clock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SetTime]:
    """Freeze the platform clock (core/clock.py) at the test module's CLOCK_START, or a default;
    the fixture's value moves it."""
    clock_file = tmp_path / "clock"

    def set_time(when: datetime) -> datetime:
        clock_file.write_text(when.isoformat())
        return when

    set_time(getattr(request.module, "CLOCK_START", datetime(2026, 11, 22, 9, 0, tzinfo=UTC)))
    with override_settings(ACADEMY_CLOCK_FILE=str(clock_file)):
        yield set_time


@pytest.fixture
def events_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh event store for one test (the capture log writes under it)."""
    directory = tmp_path / "events"
    with override_settings(ACADEMY_EVENTS_DIR=directory):
        yield directory
