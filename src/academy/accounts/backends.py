from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from academy.accounts.models import User


class EmailOrUsernameBackend(ModelBackend):
    """Sign in with the e-mail address (any case) or the username."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        user = (
            User.objects.filter(email__iexact=username.strip()).first()
            or User.objects.filter(username=username.strip()).first()
        )
        if user is None:
            # Spend the same time as a real check so response time does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
