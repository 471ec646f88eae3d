"""Roles are Django groups with a fixed set of permissions, defined here and synced on migrate."""

from __future__ import annotations

from collections.abc import Mapping

from academy.accounts.choices import ApiScope, Role

ROLE_PERMISSIONS: Mapping[Role, frozenset[str]] = {
    Role.CREATOR: frozenset(),
    Role.EDITOR: frozenset({"access_studio"}),
    Role.ANALYST: frozenset({"access_console"}),
    Role.ADMIN: frozenset({"access_studio", "access_console", "access_admin", "manage_api_keys"}),
}

# What a signed-in person may do through the JSON API, by role (host apps use key scopes).
ROLE_API_SCOPES: Mapping[Role, frozenset[str]] = {
    Role.CREATOR: frozenset(),
    Role.EDITOR: frozenset(),
    Role.ANALYST: frozenset({ApiScope.INSIGHTS_READ.value, ApiScope.FLAGS_READ.value}),
    Role.ADMIN: frozenset({ApiScope.ADMIN.value}),
}

# Highest first: a user in several groups acts with the strongest role.
ROLE_PRECEDENCE: tuple[Role, ...] = (Role.ADMIN, Role.ANALYST, Role.EDITOR, Role.CREATOR)
