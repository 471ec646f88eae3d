"""Role-aware navigation: which areas of the product a person may open."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from academy.accounts.models import User


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url: str


def navigation_for_user(*, user: User | AnonymousUser) -> list[NavItem]:
    """The areas this person may use, in the order the header shows them."""
    if not user.is_authenticated:
        return []
    items = [NavItem("learn", _("Learn"), reverse("web:home"))]
    if user.has_perm("accounts.access_studio"):
        items.append(NavItem("studio", _("Studio"), reverse("studio:dashboard")))
    if user.has_perm("accounts.access_console"):
        items.append(NavItem("console", _("Console"), reverse("web:console")))
    if user.has_perm("accounts.access_admin"):
        items.append(NavItem("admin", _("Admin"), reverse("web:operator")))
    return items
