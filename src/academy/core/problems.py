"""RFC 9457 problem details: the only shape of an error answer, for the API and for /api/ paths
that Django itself rejects (unknown URL, CSRF failure, server error)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse

from academy.core.errors import AcademyError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://creator-academy.dev/problems/"


def problem_response(
    request: HttpRequest | None,
    *,
    status: int,
    detail: str,
    title: str | None = None,
    type_slug: str | None = None,
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Build an ``application/problem+json`` response."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (type_slug or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.path
    if errors:
        body["errors"] = list(errors)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def problem_from_error(request: HttpRequest | None, error: AcademyError) -> HttpResponse:
    field_errors = [{"field": field, "message": message} for field, message in error.errors.items()]
    headers = {"WWW-Authenticate": 'Bearer realm="academy"'} if error.status == 401 else None
    return problem_response(
        request,
        status=error.status,
        detail=error.detail,
        title=error.title,
        type_slug=error.type_slug,
        errors=field_errors,
        headers=headers,
    )


def wants_problem_json(request: HttpRequest) -> bool:
    """API paths always answer errors as problem+json; pages answer HTML."""
    return request.path.startswith("/api/")
