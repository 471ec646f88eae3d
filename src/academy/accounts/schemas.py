from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from academy.accounts.choices import ApiScope, Goal, Level, Niche, Region, Role

ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")
]
Language = Literal["en", "es", "pt-br"]


class CreatorOut(Schema):
    external_id: str
    handle: str
    niche: str
    follower_count: int
    follower_tier: str
    region: str
    language: str
    is_minor: bool
    goals: list[str]
    level: str
    personalisation_consent: bool
    onboarded: bool
    created_at: datetime
    updated_at: datetime


class CreatorUpsertIn(Schema):
    handle: Annotated[str, StringConstraints(max_length=40, strip_whitespace=True)] = ""
    niche: Niche | Literal[""] = ""
    follower_count: Annotated[int, Field(ge=0, le=2_000_000_000)] = 0
    region: Region = Region.OTHER
    language: Language = "en"
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    personalisation_consent: bool = True


class OnboardingIn(Schema):
    goals: Annotated[list[Goal], Field(min_length=1, max_length=len(Goal.values))]
    niche: Niche
    level: Level


class UserOut(Schema):
    id: int
    email: str
    display_name: str
    role: Role | None


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class ApiKeyCreateIn(Schema):
    name: Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True)]
    scopes: Annotated[list[ApiScope], Field(min_length=1)]


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The full key. It is shown only in this response.")


class MeOut(Schema):
    kind: Literal["user", "api_key"]
    scopes: list[str]
    user: UserOut | None
    api_key: ApiKeyOut | None
    creator: CreatorOut | None
