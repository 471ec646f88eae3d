"""Session-wide pytest setup: say which database engine this run tests against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def pytest_report_header() -> list[str]:
    from django.conf import settings

    engine = str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]
    return [f"academy database: {engine}"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language: a request or a test that activated
    another language must not change the messages the next test in the same worker sees."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
