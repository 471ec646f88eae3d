"""Map every error the API can raise to a problem+json answer, in one place."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from academy.core.errors import AcademyError
from academy.core.problems import problem_from_error, problem_response

logger = logging.getLogger(__name__)


def _field_path(location: Any) -> str:
    # ninja reports ("body", "payload", "scopes", 0): drop the transport and the parameter name
    # so the client sees the field as it wrote it ("scopes.0").
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        source, rest = parts[0], parts[1:]
        if source == "body" and len(rest) > 1:
            rest = rest[1:]
        return ".".join(rest) or source
    return ".".join(parts)


def _validation_errors(error: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": _field_path(item.get("loc", ())), "message": str(item.get("msg", "invalid"))}
        for item in error.errors
    ]


def register_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(AcademyError)
    def on_domain_error(request: HttpRequest, error: AcademyError) -> HttpResponse:
        return problem_from_error(request, error)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
        errors = _validation_errors(error)
        fields = ", ".join(sorted({item["field"] for item in errors}))
        return problem_response(
            request,
            status=400,
            title=_("Invalid input"),
            type_slug="invalid-input",
            detail=_("Some fields are missing or invalid: %(fields)s.") % {"fields": fields},
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        return problem_response(
            request,
            status=401,
            title=_("Not authenticated"),
            type_slug="not-authenticated",
            detail=_("Send 'Authorization: Bearer <API key>' or sign in."),
            headers={"WWW-Authenticate": 'Bearer realm="academy"'},
        )

    @api.exception_handler(AuthorizationError)
    def on_authorization_error(request: HttpRequest, error: AuthorizationError) -> HttpResponse:
        return problem_response(
            request, status=403, type_slug="forbidden", detail=error.message or _("Forbidden.")
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        cause = error.__cause__
        if isinstance(cause, json.JSONDecodeError):
            return problem_response(
                request,
                status=400,
                title=_("Malformed JSON"),
                type_slug="malformed-json",
                detail=_(
                    "The request body is not valid JSON: %(reason)s at line %(line)s, "
                    "column %(column)s."
                )
                % {"reason": cause.msg, "line": cause.lineno, "column": cause.colno},
                errors=[{"field": "body", "message": cause.msg}],
            )
        if isinstance(cause, UnicodeDecodeError):
            return problem_response(
                request,
                status=400,
                title=_("Malformed JSON"),
                type_slug="malformed-json",
                detail=_("The request body is not UTF-8 encoded JSON."),
                errors=[{"field": "body", "message": str(cause.reason)}],
            )
        return problem_response(request, status=error.status_code, detail=str(error))

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
        return problem_response(
            request,
            status=413,
            title=_("Payload too large"),
            type_slug="payload-too-large",
            detail=_("The request body is larger than %(limit)d bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        )

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, error: Http404) -> HttpResponse:
        return problem_response(request, status=404, detail=str(error) or _("Not found."))

    @api.exception_handler(DjangoPermissionDenied)
    def on_permission_denied(request: HttpRequest, error: DjangoPermissionDenied) -> HttpResponse:
        return problem_response(request, status=403, detail=str(error) or _("Forbidden."))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        return problem_response(
            request,
            status=500,
            detail=_("Something went wrong on our side. The error has been logged."),
        )
