"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from academy.accounts.tests.factories import make_api_key


@pytest.fixture
def api_key_client(db: None) -> Callable[..., Client]:
    """A test client that sends ``Authorization: Bearer`` with a fresh key of the given scopes."""

    def build(*scopes: str) -> Client:
        _api_key, raw_key = make_api_key(scopes=list(scopes))
        return Client(headers={"Authorization": f"Bearer {raw_key}"})

    return build
