"""Who is calling the API: a host app with a scoped key, or a signed-in person (session + CSRF)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from academy.accounts.models import ApiKey, User
from academy.accounts.selectors import api_key_for_secret, api_scopes_for_user
from academy.accounts.services import api_key_record_use
from academy.core.errors import NotAuthenticated, PermissionDenied


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    scopes: frozenset[str]
    user: User | None = None
    api_key: ApiKey | None = None

    def has_scope(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer ca_…``. A wrong or revoked key is a 401, never a fallback."""

    openapi_description = "A host-app API key: `Authorization: Bearer ca_<prefix>_<secret>`."

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header and not header.lower().startswith("bearer "):
            raise NotAuthenticated(
                _("Send the API key as 'Authorization: Bearer <key>'."),
            )
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        api_key = api_key_for_secret(raw_key=token)
        if api_key is None:
            raise NotAuthenticated(_("The API key is wrong or has been revoked."))
        api_key_record_use(api_key=api_key)
        return Principal(kind="api_key", scopes=frozenset(api_key.scopes), api_key=api_key)


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; django-ninja enforces CSRF on unsafe methods for it."""

    param_name = "sessionid"
    openapi_description = "The web app's session cookie; unsafe methods need the CSRF token."

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a signed-in user there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied(
                _("The CSRF token is missing or wrong. Reload the page and try again.")
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if key and isinstance(user, User) and user.is_active:
            return Principal(kind="user", scopes=api_scopes_for_user(user=user), user=user)
        return None


def principal_of(request: HttpRequest) -> Principal:
    principal = getattr(request, "auth", None)
    if not isinstance(principal, Principal):
        raise NotAuthenticated(_("Sign in or send an API key."))
    return principal


def require_scope(request: HttpRequest, scope: str) -> Principal:
    """The caller, if it holds ``scope``; a 403 problem naming the missing scope otherwise."""
    principal = principal_of(request)
    if not principal.has_scope(scope):
        raise PermissionDenied(
            _("This call needs the '%(scope)s' scope, which the caller does not have.")
            % {"scope": scope}
        )
    return principal


API_AUTH = [ApiKeyAuth(), SessionAuth()]
