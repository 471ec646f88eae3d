"""Fixtures of the search tests: indexing runs after commit, as it does in production."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Callable[..., Any]) -> Committed:
    """``with committed():`` runs what waits for the commit (indexing, events) at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
