from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from academy.web.navigation import navigation_for_user


def navigation(request: HttpRequest) -> dict[str, Any]:
    items = navigation_for_user(user=request.user)
    current = request.resolver_match.url_name if request.resolver_match else ""
    return {"nav_items": items, "nav_current": current}
