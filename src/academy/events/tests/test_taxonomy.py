from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from academy.events.taxonomy import BY_NAME, EVENT_TYPES, EventProblem, QuizSubmit, parse_event

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def raw(**overrides: Any) -> dict[str, Any]:
    event = {
        "uuid": str(uuid.uuid4()),
        "name": "click",
        "timestamp": "2026-11-22T11:59:00+01:00",
        "creator_id": "host-1",
        "entry_point": "for_you_card",
        "item_kind": "lesson",
        "item_id": "42",
        "request_id": "req-1",
        "position": 0,
        "experiments": {"card-design": "b"},
        "context": {
            "region": "BR",
            "language": "pt-br",
            "platform": "android",
            "app_version": "31.2",
        },
    }
    event.update(overrides)
    return event


def test_the_registry_holds_every_documented_name_once() -> None:
    names = [event_type.name for event_type in EVENT_TYPES]
    assert len(names) == len(set(names)) == 19
    assert set(BY_NAME) == set(names)


def test_a_valid_event_is_normalised_to_utc() -> None:
    event = parse_event(raw(), now=NOW)
    record = event.as_record()
    assert record["timestamp"] == "2026-11-22T10:59:00+00:00"
    assert record["region"] == "BR"
    assert record["experiments"] == {"card-design": "b"}


def test_required_properties_per_type() -> None:
    with pytest.raises(EventProblem, match="score, passed") as raised:
        parse_event(raw(name="quiz_submit"), now=NOW)
    assert raised.value.field == "properties"
    event = parse_event(raw(name="quiz_submit", properties={"score": 1.0, "passed": True}), now=NOW)
    assert isinstance(event, QuizSubmit)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"name": "clik"}, "name", "Unknown event name 'clik'"),
        ({"uuid": "not-a-uuid"}, "uuid", "UUID"),
        ({"timestamp": "yesterday"}, "timestamp", "not ISO 8601"),
        ({"timestamp": "2026-11-22T10:00:00"}, "timestamp", "UTC offset"),
        ({"timestamp": (NOW + timedelta(days=8)).isoformat()}, "timestamp", "7 days ahead"),
        ({"creator_id": ""}, "creator_id", "creator_id"),
        ({"entry_point": "billboard"}, "entry_point", "Unknown entry point"),
        ({"position": -1}, "position", "whole number"),
        ({"experiments": {"x": 1}}, "experiments", "variation"),
        ({"properties": []}, "properties", "object"),
    ],
)
def test_problems_name_the_field_to_fix(overrides: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(EventProblem) as raised:
        parse_event(raw(**overrides), now=NOW)
    assert raised.value.field == field
    assert words in raised.value.detail


def test_late_events_are_accepted_and_anonymous_ones_too() -> None:
    late = parse_event(
        raw(timestamp="2026-10-01T08:00:00Z", creator_id="", anonymous_id="a-1"), now=NOW
    )
    assert late.timestamp == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    assert late.anonymous_id == "a-1"
