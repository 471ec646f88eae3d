"""Session-wide pytest setup: say which database engine this run tests against."""

from __future__ import annotations


def pytest_report_header() -> list[str]:
    from django.conf import settings

    engine = str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]
    return [f"academy database: {engine}"]
