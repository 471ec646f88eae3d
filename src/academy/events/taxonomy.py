"""The event taxonomy: every event the platform records, as typed, frozen dataclasses.

One list (`EVENT_TYPES`) registers them; `parse_event` turns a client's JSON into one of them or
into a problem a person can act on; docs/EVENTS.md is checked against this module by a test.
Plain Python on purpose: the capture path, the compactor and the simulator all share it.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

ENTRY_POINTS = (
    "for_you_card",
    "search",
    "hashtag",
    "academy_home",
    "course_page",
    "wiki",
    "notification",
    "direct",
)
ITEM_KINDS = ("course", "lesson", "wiki", "live", "card", "flag", "survey", "program")
MAX_FUTURE = timedelta(days=7)
MAX_TEXT = 200


class EventProblem(ValueError):
    """Why one event was refused; ``field`` names what to fix."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


@dataclass(frozen=True)
class Context:
    region: str = ""
    language: str = ""
    platform: str = ""
    app_version: str = ""


@dataclass(frozen=True, kw_only=True)
class Event:
    """Fields every event carries. Subclasses add ``required_properties``."""

    name: ClassVar[str]
    description: ClassVar[str]
    required_properties: ClassVar[tuple[str, ...]] = ()

    uuid: str
    timestamp: datetime
    creator_id: str = ""
    anonymous_id: str = ""
    session_id: str = ""
    entry_point: str = ""
    item_kind: str = ""
    item_id: str = ""
    request_id: str = ""
    position: int | None = None
    experiments: Mapping[str, str] = field(default_factory=dict)
    context: Context = field(default_factory=Context)
    properties: Mapping[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        """The flat JSON shape written to the capture log and the lake."""
        return {
            "uuid": self.uuid,
            "name": self.name,
            "timestamp": self.timestamp.astimezone(UTC).isoformat(),
            "creator_id": self.creator_id,
            "anonymous_id": self.anonymous_id,
            "session_id": self.session_id,
            "entry_point": self.entry_point,
            "item_kind": self.item_kind,
            "item_id": self.item_id,
            "request_id": self.request_id,
            "position": self.position,
            "experiments": dict(self.experiments),
            "region": self.context.region,
            "language": self.context.language,
            "platform": self.context.platform,
            "app_version": self.context.app_version,
            "properties": dict(self.properties),
        }


@dataclass(frozen=True, kw_only=True)
class Impression(Event):
    name = "impression"
    description = "An item was shown: at least half of its card visible for one second."


@dataclass(frozen=True, kw_only=True)
class Click(Event):
    name = "click"
    description = "The creator opened a shown item."


@dataclass(frozen=True, kw_only=True)
class LessonStart(Event):
    name = "lesson_start"
    description = "The creator opened a lesson for the first time in a session."


@dataclass(frozen=True, kw_only=True)
class LessonProgress(Event):
    name = "lesson_progress"
    description = "A heartbeat of how far the creator has watched or read (`percent`, 0–100)."
    required_properties = ("percent",)


@dataclass(frozen=True, kw_only=True)
class LessonComplete(Event):
    name = "lesson_complete"
    description = "The lesson was completed (90% watched or read, marked done, or quiz passed)."


@dataclass(frozen=True, kw_only=True)
class QuizSubmit(Event):
    name = "quiz_submit"
    description = "A quiz attempt was scored (`score` 0–1, `passed`)."
    required_properties = ("score", "passed")


@dataclass(frozen=True, kw_only=True)
class Enroll(Event):
    name = "enroll"
    description = "The creator enrolled in a course."


@dataclass(frozen=True, kw_only=True)
class Like(Event):
    name = "like"
    description = "The creator liked an item."


@dataclass(frozen=True, kw_only=True)
class Save(Event):
    name = "save"
    description = "The creator saved an item for later."


@dataclass(frozen=True, kw_only=True)
class Share(Event):
    name = "share"
    description = "The creator shared an item."


@dataclass(frozen=True, kw_only=True)
class NotInterested(Event):
    name = "not_interested"
    description = "The creator asked to see less of an item (or, with `topic`, of a topic)."


@dataclass(frozen=True, kw_only=True)
class Recommended(Event):
    name = "recommended"
    description = (
        "The recommender served an item at `position` of request `request_id`, with its ranking "
        "`score`, the `propensity` of that placement and the candidate `source` (server-side); "
        "on an interleaved page also the `team` (A/B) and `ranker` that picked it and the "
        "`interleaving` id."
    )
    required_properties = ("score", "propensity", "source")


@dataclass(frozen=True, kw_only=True)
class Search(Event):
    name = "search"
    description = "A search was run (`query`, `results` count)."
    required_properties = ("query", "results")


@dataclass(frozen=True, kw_only=True)
class SearchClick(Event):
    name = "search_click"
    description = "A search result was opened (`query`; `position` is its rank)."
    required_properties = ("query",)


@dataclass(frozen=True, kw_only=True)
class BadgeEarned(Event):
    name = "badge_earned"
    description = "A course badge was awarded (item = the course)."


@dataclass(frozen=True, kw_only=True)
class Exposure(Event):
    name = "exposure"
    description = "The creator was first assigned to an experiment (`experiment`, `variation`)."
    required_properties = ("experiment", "variation")


@dataclass(frozen=True, kw_only=True)
class SurveyResponse(Event):
    name = "survey_response"
    description = "A survey was answered (`survey`, `score`)."
    required_properties = ("survey", "score")


@dataclass(frozen=True, kw_only=True)
class FeedbackSubmitted(Event):
    name = "feedback_submitted"
    description = "Free-text feedback was sent (the text itself stays in the feedback store)."


@dataclass(frozen=True, kw_only=True)
class IncentiveGranted(Event):
    name = "incentive_granted"
    description = "An incentive program granted a reward (`program`, `amount`)."
    required_properties = ("program", "amount")


EVENT_TYPES: tuple[type[Event], ...] = (
    Impression,
    Click,
    LessonStart,
    LessonProgress,
    LessonComplete,
    QuizSubmit,
    Enroll,
    Like,
    Save,
    Share,
    NotInterested,
    Recommended,
    Search,
    SearchClick,
    BadgeEarned,
    Exposure,
    SurveyResponse,
    FeedbackSubmitted,
    IncentiveGranted,
)
BY_NAME: dict[str, type[Event]] = {event_type.name: event_type for event_type in EVENT_TYPES}
COMMON_FIELDS = tuple(f.name for f in fields(Event))


def _text(raw: Mapping[str, Any], key: str, *, limit: int = MAX_TEXT) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EventProblem(key, f"'{key}' must be text.")
    if len(value) > limit:
        raise EventProblem(key, f"'{key}' is longer than {limit} characters.")
    return value


def _timestamp(raw: Mapping[str, Any], now: datetime) -> datetime:
    value = raw.get("timestamp")
    if not isinstance(value, str):
        raise EventProblem("timestamp", "'timestamp' is required: ISO 8601 with a UTC offset.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EventProblem(
            "timestamp", f"'timestamp' {value!r} is not ISO 8601 (e.g. 2026-11-22T10:15:00Z)."
        ) from None
    if parsed.tzinfo is None:
        raise EventProblem("timestamp", "'timestamp' needs a UTC offset, e.g. +00:00 or Z.")
    if parsed - now > MAX_FUTURE:
        raise EventProblem(
            "timestamp", "'timestamp' is more than 7 days ahead: check the device's clock."
        )
    return parsed.astimezone(UTC)


def parse_event(raw: Any, *, now: datetime) -> Event:
    """Validate one client event; raise EventProblem naming the field to fix."""
    if not isinstance(raw, Mapping):
        raise EventProblem("event", "Each event must be a JSON object.")
    name = raw.get("name")
    event_type = BY_NAME.get(name) if isinstance(name, str) else None
    if event_type is None:
        raise EventProblem(
            "name", f"Unknown event name {name!r}. Known names: {', '.join(sorted(BY_NAME))}."
        )
    event_uuid = _text(raw, "uuid", limit=64)
    try:
        event_uuid = str(uuid_module.UUID(event_uuid))
    except ValueError:
        raise EventProblem("uuid", "'uuid' must be a UUID the client generated.") from None
    creator_id, anonymous_id = (
        _text(raw, "creator_id", limit=64),
        _text(raw, "anonymous_id", limit=64),
    )
    if not creator_id and not anonymous_id:
        raise EventProblem("creator_id", "Send 'creator_id' (or 'anonymous_id' before sign-in).")
    entry_point = _text(raw, "entry_point")
    if entry_point and entry_point not in ENTRY_POINTS:
        raise EventProblem(
            "entry_point", f"Unknown entry point {entry_point!r}: one of {', '.join(ENTRY_POINTS)}."
        )
    item_kind = _text(raw, "item_kind")
    if item_kind and item_kind not in ITEM_KINDS:
        raise EventProblem(
            "item_kind", f"Unknown item kind {item_kind!r}: one of {', '.join(ITEM_KINDS)}."
        )
    position = raw.get("position")
    if position is not None and (
        not isinstance(position, int) or isinstance(position, bool) or position < 0
    ):
        raise EventProblem("position", "'position' must be a whole number from 0.")
    experiments = {} if raw.get("experiments") is None else raw["experiments"]
    if not isinstance(experiments, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in experiments.items()
    ):
        raise EventProblem("experiments", "'experiments' maps experiment keys to variation keys.")
    context_raw = {} if raw.get("context") is None else raw["context"]
    if not isinstance(context_raw, Mapping):
        raise EventProblem("context", "'context' must be an object.")
    properties = {} if raw.get("properties") is None else raw["properties"]
    if not isinstance(properties, Mapping):
        raise EventProblem("properties", "'properties' must be an object.")
    missing = [key for key in event_type.required_properties if key not in properties]
    if missing:
        raise EventProblem("properties", f"A {name} event needs properties: {', '.join(missing)}.")
    return event_type(
        uuid=event_uuid,
        timestamp=_timestamp(raw, now),
        creator_id=creator_id,
        anonymous_id=anonymous_id,
        session_id=_text(raw, "session_id", limit=64),
        entry_point=entry_point,
        item_kind=item_kind,
        item_id=_text(raw, "item_id", limit=100),
        request_id=_text(raw, "request_id", limit=64),
        position=position,
        experiments=dict(experiments),
        context=Context(
            region=_text(context_raw, "region", limit=8),
            language=_text(context_raw, "language", limit=16),
            platform=_text(context_raw, "platform", limit=32),
            app_version=_text(context_raw, "app_version", limit=32),
        ),
        properties=dict(properties),
    )
