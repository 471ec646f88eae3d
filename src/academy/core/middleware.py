from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from academy.core.problems import PROBLEM_CONTENT_TYPE, problem_response, wants_problem_json


class ApiProblemMiddleware:
    """Under /api/, every error answer is problem+json, even those Django or ninja build
    themselves (405 for a wrong method, 400 for a broken request) before our handlers run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not wants_problem_json(request)
            or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return response
        status = response.status_code
        detail = HTTPStatus(status).phrase + "."
        headers: dict[str, str] = {}
        if status == 405:
            allowed = response.get("Allow", "")
            detail = _("%(method)s is not allowed here. Allowed: %(allowed)s.") % {
                "method": request.method,
                "allowed": allowed,
            }
            headers["Allow"] = allowed
        return problem_response(request, status=status, detail=detail, headers=headers)
