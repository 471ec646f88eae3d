from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from academy.accounts.selectors import creator_for_user

PATHS_WITHOUT_ONBOARDING = (
    "/accounts/",
    "/api/",
    "/admin/",
    "/static/",
    "/i18n/",
    "/healthz",
    "/readyz",
)


class CreatorLanguageMiddleware:
    """A signed-in creator sees the language of their profile, on every device."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        creator = creator_for_user(user=request.user)  # type: ignore[arg-type]
        if creator is not None and creator.language:
            translation.activate(creator.language)
            request.LANGUAGE_CODE = translation.get_language() or creator.language
        return self.get_response(request)


class OnboardingMiddleware:
    """Send a creator who has not answered the onboarding questions to them first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and not request.path.startswith(PATHS_WITHOUT_ONBOARDING):
            creator = creator_for_user(user=request.user)  # type: ignore[arg-type]
            if creator is not None and creator.onboarded_at is None and not request.htmx:  # type: ignore[attr-defined]
                return redirect("accounts:onboarding")
        return self.get_response(request)
