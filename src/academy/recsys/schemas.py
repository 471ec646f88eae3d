"""Request and response shapes of the For You API."""

from __future__ import annotations

from ninja import Field, Schema

from academy.accounts.schemas import ExternalId

CURSOR_HELP = "The `cursor` of the previous page: the next page, never repeating a card."


class FeedParams(Schema):
    creator: ExternalId | None = Field(
        None, description="The creator (host apps); left out for a signed-in creator."
    )
    limit: int = Field(10, ge=1, le=50)
    cursor: str = Field("", max_length=32, description=CURSOR_HELP)


class CreatorParam(Schema):
    creator: ExternalId | None = Field(
        None, description="The creator (host apps); left out for a signed-in creator."
    )


class EntryPointParams(Schema):
    creator: ExternalId


class HashtagEntryParams(Schema):
    creator: ExternalId
    limit: int = Field(10, ge=1, le=50)


class CardOut(Schema):
    kind: str = Field(description="course, video, article, quiz, live or wiki")
    item_kind: str = Field(description="course, lesson or wiki: the kind events name")
    id: str = Field(description="The item id events use with `item_kind`.")
    item: str = Field(description="`<item_kind>:<id>`")
    title: str
    summary: str
    course_title: str
    url: str
    topic: str
    level: str
    language: str = Field(description="The language of the title and summary.")
    reason: str = Field(description="Why this card is here, for the creator to read.")
    reason_code: str = Field(
        description="next_lesson, because_you, similar_creators, your_goals, editorial, "
        "fresh, trending or explore"
    )
    position: int = Field(description="0 = first")
    score: float
    propensity: float = Field(description="The probability the policy put the card here.")


class FeedOut(Schema):
    request_id: str = Field(description="Send it back with impressions and clicks.")
    creator: str
    personalised: bool
    model_version: str = Field(description="The trained model that ranked it (empty: none).")
    cursor: str
    cards: list[CardOut]


class EntryCardOut(Schema):
    request_id: str
    creator: str
    card: CardOut


class HashtagEntryOut(Schema):
    request_id: str
    creator: str
    tag: str
    cards: list[CardOut]


class NotInterestedIn(Schema):
    creator: ExternalId | None = None
    item: str = Field("", max_length=120, description="`<item_kind>:<id>` of a card")
    topic: str = Field("", max_length=40, description="A topic's slug: hide the whole topic")
    request_id: str = Field("", max_length=32)


class SuppressionOut(Schema):
    item: str
    topic: str
    created_at: str


class FeedSettingsIn(Schema):
    creator: ExternalId | None = None
    personalised: bool | None = None
    cards_off: bool | None = None


class FeedSettingsOut(Schema):
    creator: str
    personalised: bool
    cards_off: bool
    hidden: list[SuppressionOut]
