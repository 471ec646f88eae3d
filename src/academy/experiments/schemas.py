"""Request and response shapes of the flags API."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from academy.accounts.schemas import ExternalId


class FlagsParams(Schema):
    creator: ExternalId | None = Field(
        None, description="The creator (host apps); left out for a signed-in creator."
    )
    platform: str = Field(
        "", max_length=16, description="The creator's platform (ios, android, web), if known."
    )
    app_version: str = Field(
        "", max_length=32, description="The host app's version, for `$v…` version targeting."
    )


class FlagValueOut(Schema):
    key: str
    value: Any = Field(description="The flag's value for this creator.")
    source: str = Field(
        description="defaultValue, force (a rule or a shipped experiment) or experiment"
    )
    rule_id: str | None = Field(None, description="The rule that decided the value, if any.")
    experiment: str | None = Field(None, description="The experiment that decided it, if any.")


class AssignmentOut(Schema):
    experiment: str
    flag: str
    variation: str = Field(description="The variation's key.")
    variation_name: str
    bucket_version: int = Field(description="Raised by each restart of the experiment.")
    new: bool = Field(description="Assigned by this call (an exposure event was logged).")


class CreatorFlagsOut(Schema):
    creator: str
    flags: list[FlagValueOut]
    experiments: list[AssignmentOut] = Field(
        description="The experiments the creator is in, with their (sticky) variation."
    )


class FlagsPayloadOut(Schema):
    features: dict[str, Any] = Field(
        description="GrowthBook's SDK payload: {key: {defaultValue, rules}}, for local evaluation."
    )
