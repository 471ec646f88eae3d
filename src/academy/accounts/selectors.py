"""Reads of accounts, roles and API keys; security-sensitive ones are `*_for_user`."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.db.models import QuerySet

from academy.accounts.choices import Role
from academy.accounts.models import ApiKey, Creator, User
from academy.accounts.roles import ROLE_API_SCOPES, ROLE_PRECEDENCE
from academy.accounts.services import hash_api_secret


def user_role(*, user: User) -> Role | None:
    """The strongest role the user holds, or None for an anonymous or role-less user."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    names = {group.name for group in user.groups.all()}
    for role in ROLE_PRECEDENCE:
        if role.value in names:
            return role
    return None


def api_scopes_for_user(*, user: User) -> frozenset[str]:
    role = user_role(user=user)
    return ROLE_API_SCOPES[role] if role else frozenset()


def creator_for_user(*, user: User) -> Creator | None:
    if not user.is_authenticated:
        return None
    try:
        return user.creator
    except Creator.DoesNotExist:
        return None


def creator_get(*, external_id: str) -> Creator | None:
    return Creator.objects.filter(external_id=external_id).first()


def api_keys_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")


def api_key_get(*, key_id: int) -> ApiKey | None:
    return ApiKey.objects.filter(pk=key_id).first()


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    secret: str


def parse_api_key(raw: str) -> ParsedKey | None:
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "ca" or not parts[1] or not parts[2]:
        return None
    return ParsedKey(prefix=parts[1], secret=parts[2])


def api_key_for_secret(*, raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key``, compared in constant time, or None."""
    parsed = parse_api_key(raw_key)
    if parsed is None:
        return None
    api_key = ApiKey.objects.filter(prefix=parsed.prefix, revoked_at__isnull=True).first()
    if api_key is None:
        return None
    if not hmac.compare_digest(api_key.secret_hash, hash_api_secret(parsed.secret)):
        return None
    return api_key
