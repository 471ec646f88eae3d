"""The one hierarchy of domain errors.

Services raise these; the API and the pages map them to HTTP status codes in one place
(`core.problems`). Each carries a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class AcademyError(Exception):
    """Base of every domain error. ``status`` is the HTTP status it maps to."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    type_slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, *, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # Field name -> message, so a form or a client can point at the wrong field.
        self.errors: dict[str, str] = dict(errors or {})


class ValidationFailed(AcademyError):
    status = 400
    title = "Invalid input"
    type_slug = "invalid-input"


class NotAuthenticated(AcademyError):
    status = 401
    title = "Not authenticated"
    type_slug = "not-authenticated"


class PermissionDenied(AcademyError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(AcademyError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(AcademyError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Gone(AcademyError):
    """The thing existed and was retired on purpose (archived content)."""

    status = 410
    title = "Retired"
    type_slug = "retired"


class PayloadTooLarge(AcademyError):
    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class RateLimited(AcademyError):
    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"
