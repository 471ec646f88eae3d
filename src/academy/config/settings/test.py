"""Settings for the test suite: fast hashing, in-memory mail, the same database engines."""

from academy.config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
HUEY = {"huey_class": "huey.MemoryHuey", "name": "academy-test", "immediate": True}
