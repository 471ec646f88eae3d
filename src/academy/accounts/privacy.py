"""The accounts store's part of export and erasure: the profile and the sign-in account."""

from __future__ import annotations

from typing import Any

from academy.accounts.models import Creator


def export_creator(creator: Creator) -> dict[str, Any]:
    user = creator.user
    return {
        "profile": {
            "external_id": creator.external_id,
            "handle": creator.handle,
            "niche": creator.niche,
            "follower_count": creator.follower_count,
            "follower_tier": creator.follower_tier,
            "region": creator.region,
            "language": creator.language,
            "timezone": creator.timezone,
            "birth_year": creator.birth_year,
            "is_minor": creator.is_minor,
            "goals": list(creator.goals),
            "level": creator.level,
            "personalisation_consent": creator.personalisation_consent,
            "onboarded_at": creator.onboarded_at,
            "created_at": creator.created_at,
        },
        "account": (
            {
                "email": user.email,
                "display_name": user.display_name,
                "date_joined": user.date_joined,
                "last_login": user.last_login,
            }
            if user is not None
            else None
        ),
    }


def erase_creator(creator: Creator) -> int:
    """Delete the profile and the sign-in account (rows cascading from them go too)."""
    user = creator.user
    removed = 1
    creator.delete()
    if user is not None:
        user.delete()
        removed += 1
    return removed
