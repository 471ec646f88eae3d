"""Role-aware navigation: which areas of the product a person may open."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from academy.accounts.models import User
from academy.accounts.selectors import creator_for_user


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url: str
    # URL names (namespace:name) of the pages that belong to this area, to mark it current.
    pages: frozenset[str] = field(default_factory=frozenset)


def navigation_for_user(*, user: User | AnonymousUser) -> list[NavItem]:
    """The areas this person may use, in the order the header shows them."""
    reading = [
        NavItem(
            "courses",
            _("Courses"),
            reverse("catalog:courses"),
            frozenset({"catalog:courses", "catalog:course", "catalog:lesson"}),
        ),
        NavItem(
            "wiki",
            _("Wiki"),
            reverse("catalog:wiki"),
            frozenset({"catalog:wiki", "catalog:wiki_article"}),
        ),
        NavItem(
            "search",
            _("Search"),
            reverse("search:search"),
            frozenset({"search:search", "search:hashtag"}),
        ),
    ]
    if not user.is_authenticated:
        return reading
    items = [NavItem("home", _("Home"), reverse("web:home"), frozenset({"web:home"})), *reading]
    if isinstance(user, User) and creator_for_user(user=user) is not None:
        items.append(
            NavItem(
                "for_you",
                _("For You"),
                reverse("for_you:feed"),
                frozenset({"for_you:feed", "for_you:settings", "for_you:reset"}),
            )
        )
        items.append(
            NavItem(
                "learning",
                _("My learning"),
                reverse("learning:achievements"),
                frozenset({"learning:achievements"}),
            )
        )
        items.append(
            NavItem(
                "profile",
                _("Profile"),
                reverse("accounts:profile"),
                frozenset({"accounts:profile", "accounts:onboarding"}),
            )
        )
    if user.has_perm("accounts.access_studio"):
        items.append(NavItem("studio", _("Studio"), reverse("studio:dashboard")))
    if user.has_perm("accounts.access_console"):
        items.append(
            NavItem("console", _("Console"), reverse("web:console"), frozenset({"web:console"}))
        )
    if user.has_perm("accounts.access_admin"):
        items.append(
            NavItem(
                "admin",
                _("Admin"),
                reverse("web:operator"),
                frozenset({"web:operator", "accounts:api_keys"}),
            )
        )
    return items
