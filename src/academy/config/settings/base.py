"""Settings shared by every deployment; the embedded default (SQLite + ./var) works as is."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext_lazy as _

from academy.config.env import database_config, read_environment

ENV = read_environment()
PACKAGE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = ENV.data_dir

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = list(ENV.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(ENV.csrf_trusted_origins)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "academy.core",
    "academy.accounts",
    "academy.catalog",
    "academy.learning",
    "academy.privacy",
    "academy.events",
    "academy.simulation",
    "academy.search",
    "academy.recsys",
    "academy.experiments",
    "academy.insights",
    "academy.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "academy.core.middleware.ApiProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "academy.accounts.middleware.CreatorLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "academy.accounts.middleware.OnboardingMiddleware",
]

ROOT_URLCONF = "academy.config.urls"
WSGI_APPLICATION = "academy.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "academy.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_config(ENV.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["academy.accounts.backends.EmailOrUsernameBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:landing"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt-br", _("Brazilian Portuguese")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
# Serve straight from the app folders (after `npm run build`) so `academy serve` needs no
# collectstatic step on a laptop; production.py switches to a hashed, collected manifest.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"


def _email_settings(url: str) -> dict[str, object]:
    """ACADEMY_EMAIL_URL: ``console:`` (default), ``smtp://user:pass@host:port`` or ``smtps://…``."""
    parts = urlsplit(url)
    if parts.scheme in {"", "console"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme in {"smtp", "smtps"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
        }
    raise ValueError(f"ACADEMY_EMAIL_URL has an unsupported scheme: {parts.scheme!r}")


_email = _email_settings(ENV.email_url)
EMAIL_BACKEND = str(_email["EMAIL_BACKEND"])
EMAIL_HOST = str(_email.get("EMAIL_HOST", "localhost"))
EMAIL_PORT = int(str(_email.get("EMAIL_PORT", 25)))
EMAIL_HOST_USER = str(_email.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = str(_email.get("EMAIL_HOST_PASSWORD", ""))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
DEFAULT_FROM_EMAIL = ENV.default_from_email

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"level": "ERROR"}},
}

NINJA_PAGINATION_PER_PAGE = 50

# Background jobs (academy worker): Huey on SQLite in the data directory by default.
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "academy",
    "filename": str(DATA_DIR / "jobs.sqlite3"),
    "immediate": False,
    "utc": True,
}

# Events: the capture log and (later) the Parquet lake live here.
ACADEMY_EVENTS_DIR = DATA_DIR / "events"
# Raw events (the lake's day partitions) older than this many days are dropped daily by the
# worker; rollups are kept. 0 keeps raw events forever. Default: 13 months, for year-on-year.
ACADEMY_EVENTS_RETENTION_DAYS = ENV.events_retention_days

# Tests and demos may freeze "now" by writing an ISO time into this file (core/clock.py).
ACADEMY_CLOCK_FILE = ENV.clock_file
CSRF_FAILURE_VIEW = "academy.web.views.csrf_failure"
