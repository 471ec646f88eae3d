"""The platform's clock. Services ask it for "now" so tests can move time instead of sleeping.

In production it is the system clock. When the setting ACADEMY_CLOCK_FILE names a file holding an
ISO 8601 time (browser tests and demos write one), that time is "now" for every process that
reads it — the web server, the worker and the CLI agree.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def now() -> datetime:
    clock_file = getattr(settings, "ACADEMY_CLOCK_FILE", "")
    if clock_file:
        path = Path(clock_file)
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            if text:
                frozen = datetime.fromisoformat(text)
                if frozen.tzinfo is None:
                    raise ValueError(f"{path} must hold a time with a UTC offset")
                return frozen
    return timezone.now()
