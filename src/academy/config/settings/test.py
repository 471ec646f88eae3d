"""Settings for the test suite: fast hashing, in-memory mail, the same database engines."""

import tempfile
from pathlib import Path

from academy.config.settings.base import *  # noqa: F403

# Tests never write events into the developer's data directory; fixtures narrow it per test.
ACADEMY_EVENTS_DIR = Path(tempfile.mkdtemp(prefix="academy-test-events-"))

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
HUEY = {"huey_class": "huey.MemoryHuey", "name": "academy-test", "immediate": True}

# Test data is dated around a frozen 2026 clock; keep raw events forever unless a test sets a
# horizon, so fixtures do not start expiring as the real calendar moves on.
ACADEMY_EVENTS_RETENTION_DAYS = 0
