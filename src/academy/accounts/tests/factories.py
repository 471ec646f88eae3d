"""Test data made through the same services the product uses."""

from __future__ import annotations

import itertools

from academy.accounts.choices import Goal, Level, Niche, Role
from academy.accounts.models import ApiKey, User
from academy.accounts.services import (
    api_key_create,
    creator_onboard,
    staff_user_create,
    user_sign_up,
)

PASSWORD = "a-Long-test-passphrase-42"
_sequence = itertools.count(1)


def make_creator_user(
    *,
    email: str | None = None,
    display_name: str = "Test Creator",
    birth_year: int = 1995,
    language: str = "en",
    region: str = "US",
    onboarded: bool = True,
) -> User:
    user = user_sign_up(
        email=email or f"creator{next(_sequence)}@example.com",
        password=PASSWORD,
        display_name=display_name,
        birth_year=birth_year,
        language=language,
        region=region,
    )
    if onboarded:
        creator_onboard(
            creator=user.creator,
            goals=[Goal.GROW_AUDIENCE.value],
            niche=Niche.FOOD.value,
            level=Level.BEGINNER.value,
        )
    return user


def make_staff_user(*, role: Role, email: str | None = None) -> User:
    return staff_user_create(
        email=email or f"{role.value}{next(_sequence)}@example.com",
        display_name=role.label.__str__(),
        password=PASSWORD,
        role=role,
    )


def make_api_key(*, scopes: list[str], name: str = "host app") -> tuple[ApiKey, str]:
    return api_key_create(name=name, scopes=scopes, created_by=None)
