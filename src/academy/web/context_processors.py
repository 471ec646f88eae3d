from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from academy.web.navigation import navigation_for_user


def navigation(request: HttpRequest) -> dict[str, Any]:
    items = navigation_for_user(user=request.user)
    match = request.resolver_match
    current = match.view_name if match else ""
    namespace = current.split(":", 1)[0]
    current_key = next(
        (
            item.key
            for item in items
            if current in item.pages or (not item.pages and namespace == item.key)
        ),
        "",
    )
    return {"nav_items": items, "nav_current": current_key}
