from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from academy.accounts.tests.factories import make_creator_user
from academy.events.capture import read_segment

pytestmark = pytest.mark.django_db


def event(**overrides: Any) -> dict[str, Any]:
    body = {
        "uuid": str(uuid.uuid4()),
        "name": "impression",
        "timestamp": "2026-11-22T10:00:00Z",
        "creator_id": "host-1",
        "entry_point": "for_you_card",
        "item_kind": "lesson",
        "item_id": "7",
    }
    body.update(overrides)
    return body


def captured(events_dir: Path) -> list[dict[str, Any]]:
    """What is on disk now — acknowledged events must already be there."""
    found: list[dict[str, Any]] = []
    for path in sorted((events_dir / "capture").iterdir()):
        found.extend(read_segment(path))
    return found


def send(client: Client, events: list[Any]) -> Any:
    return client.post("/api/v1/events", {"events": events}, content_type="application/json")


def test_valid_events_are_on_disk_before_the_answer(
    api_key_client: Callable[..., Client], events_dir: Path
) -> None:
    batch = [event(), event(name="click", position=2)]
    response = send(api_key_client("events:write"), batch)
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "rejected": []}
    assert [record["uuid"] for record in captured(events_dir)] == [item["uuid"] for item in batch]


def test_invalid_events_are_reported_and_their_neighbours_kept(
    api_key_client: Callable[..., Client], events_dir: Path
) -> None:
    good = event()
    response = send(
        api_key_client("events:write"),
        [event(name="clik"), good, event(timestamp="2031-01-01T00:00:00Z"), "nonsense"],
    )
    body = response.json()
    assert body["accepted"] == 1
    assert [(item["index"], item["field"]) for item in body["rejected"]] == [
        (0, "name"), (2, "timestamp"), (3, "event"),
    ]  # fmt: skip
    assert "Unknown event name" in body["rejected"][0]["detail"]
    assert [record["uuid"] for record in captured(events_dir)] == [good["uuid"]]


def test_oversized_batch_is_413_and_nothing_is_written(
    api_key_client: Callable[..., Client], events_dir: Path
) -> None:
    response = send(api_key_client("events:write"), [event() for _ in range(1001)])
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "1000" in response.json()["detail"]
    assert not (events_dir / "capture").exists() or captured(events_dir) == []


def test_wrong_key_or_scope(api_key_client: Callable[..., Client], events_dir: Path) -> None:
    assert send(Client(headers={"Authorization": "Bearer ca_x_y"}), [event()]).status_code == 401
    assert send(api_key_client("feed:read"), [event()]).status_code == 403


def test_malformed_json_is_400(api_key_client: Callable[..., Client], events_dir: Path) -> None:
    response = api_key_client("events:write").post(
        "/api/v1/events", '{"events": [', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_the_browser_records_events_as_its_own_creator(events_dir: Path) -> None:
    user = make_creator_user()
    client = Client()
    client.force_login(user)
    response = send(client, [event(creator_id="someone-else")])
    assert response.status_code == 202
    assert captured(events_dir)[0]["creator_id"] == user.creator.external_id
