"""Closed vocabularies of the creator profile, shared by forms, the API and the admin."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CREATOR = "creator", _("Creator")
    EDITOR = "editor", _("Editor")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Admin")


class Level(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Niche(models.TextChoices):
    COMEDY = "comedy", _("Comedy")
    BEAUTY = "beauty", _("Beauty and fashion")
    GAMING = "gaming", _("Gaming")
    FOOD = "food", _("Food and cooking")
    EDUCATION = "education", _("Education")
    MUSIC = "music", _("Music")
    DANCE = "dance", _("Dance")
    SPORTS = "sports", _("Sports and fitness")
    TRAVEL = "travel", _("Travel")
    TECH = "tech", _("Tech and science")
    LIFESTYLE = "lifestyle", _("Lifestyle")
    PETS = "pets", _("Pets and animals")
    BUSINESS = "business", _("Business and finance")
    ART = "art", _("Art and DIY")
    OTHER = "other", _("Something else")


class Goal(models.TextChoices):
    GROW_AUDIENCE = "grow_audience", _("Grow my audience")
    IMPROVE_CONTENT = "improve_content", _("Make better videos")
    MONETISE = "monetise", _("Earn money from my content")
    GO_LIVE = "go_live", _("Host great LIVE sessions")
    BRAND_DEALS = "brand_deals", _("Work with brands")
    BUILD_COMMUNITY = "build_community", _("Build a community")
    STAY_SAFE = "stay_safe", _("Stay safe and follow the rules")


class FollowerTier(models.TextChoices):
    """Follower-count bands; the lower bound of each band is inclusive."""

    STARTER = "starter", _("Starter (under 1K)")
    NANO = "nano", _("Nano (1K–10K)")
    MICRO = "micro", _("Micro (10K–100K)")
    MID = "mid", _("Mid (100K–1M)")
    MACRO = "macro", _("Macro (1M+)")


FOLLOWER_TIER_FLOORS: tuple[tuple[int, FollowerTier], ...] = (
    (1_000_000, FollowerTier.MACRO),
    (100_000, FollowerTier.MID),
    (10_000, FollowerTier.MICRO),
    (1_000, FollowerTier.NANO),
    (0, FollowerTier.STARTER),
)


def follower_tier_for(follower_count: int) -> FollowerTier:
    for floor, tier in FOLLOWER_TIER_FLOORS:
        if follower_count >= floor:
            return tier
    return FollowerTier.STARTER


class Region(models.TextChoices):
    """Markets the Academy ships in (ISO 3166-1 alpha-2), plus a catch-all."""

    US = "US", _("United States")
    GB = "GB", _("United Kingdom")
    CA = "CA", _("Canada")
    AU = "AU", _("Australia")
    IN = "IN", _("India")
    ID = "ID", _("Indonesia")
    PH = "PH", _("Philippines")
    BR = "BR", _("Brazil")
    PT = "PT", _("Portugal")
    MX = "MX", _("Mexico")
    ES = "ES", _("Spain")
    AR = "AR", _("Argentina")
    CO = "CO", _("Colombia")
    DE = "DE", _("Germany")
    FR = "FR", _("France")
    NG = "NG", _("Nigeria")
    ZA = "ZA", _("South Africa")
    OTHER = "ZZ", _("Another region")


class ApiScope(models.TextChoices):
    """What a host-app key may do. ``admin`` implies every other scope."""

    EVENTS_WRITE = "events:write", _("Send events")
    FEED_READ = "feed:read", _("Read feeds and entry points")
    FEED_WRITE = "feed:write", _("Send creators' feed controls (not interested, settings)")
    SEARCH_READ = "search:read", _("Search the Academy for a creator (search entry point)")
    FLAGS_READ = "flags:read", _("Read feature flags and experiment assignments")
    CREATORS_READ = "creators:read", _("Read creator profiles")
    CREATORS_WRITE = "creators:write", _("Create and update creator profiles")
    LEARNING_WRITE = "learning:write", _("Record learning on behalf of creators")
    INSIGHTS_READ = "insights:read", _("Read dashboards and metrics")
    ADMIN = "admin", _("Everything, including managing API keys")
