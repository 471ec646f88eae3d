"""Fixtures of the For You tests: a data directory of their own (trained models live there),
and no catalogue or model left over from another test in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from academy.recsys.catalogue import catalogue_forget
from academy.recsys.model_store import model_forget

Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture(autouse=True)
def recsys_data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "data"
    directory.mkdir()
    catalogue_forget()
    model_forget()
    with override_settings(DATA_DIR=directory):
        yield directory
    catalogue_forget()
    model_forget()


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Callable[..., Any]) -> Committed:
    """``with committed():`` runs what waits for the commit (indexing, events) at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def no_exploration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages without exploration slots, so a test can name what comes first."""
    monkeypatch.setattr("academy.recsys.selectors.EXPLORATION", 0.0)
