"""Checks shared by every app's services, raising the domain errors of core/errors.py."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from academy.core.errors import ValidationFailed


def require_choice(field: str, value: str, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``; a 400 naming ``field`` otherwise."""
    if value not in set(allowed):
        raise ValidationFailed(
            _("“%(value)s” is not one of the options.") % {"value": value},
            errors={field: _("Choose one of the offered options.")},
        )
    return value


def require_language(language: str, field: str = "language") -> str:
    """One of the shipped languages (settings.LANGUAGES)."""
    return require_choice(field, language, (code for code, _name in settings.LANGUAGES))
