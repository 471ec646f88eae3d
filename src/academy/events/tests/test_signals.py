"""``events_accepted``: listeners hear of events once they are durable, and a failing
listener never loses an acknowledged event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from academy.events.capture import read_segment
from academy.events.services import events_ingest
from academy.events.signals import events_accepted

pytestmark = pytest.mark.django_db

CLICK = {
    "name": "click",
    "creator_id": "c-1",
    "item_kind": "course",
    "item_id": "hooks",
    "timestamp": "2026-11-22T09:00:00Z",
    "uuid": "00000000-0000-4000-8000-0000000000aa",
}


def test_a_failing_listener_loses_no_event(events_dir: Path) -> None:
    heard: list[list[dict[str, Any]]] = []

    def listening(sender: object, records: list[dict[str, Any]], **kwargs: object) -> None:
        heard.append(records)

    def failing(sender: object, records: list[dict[str, Any]], **kwargs: object) -> None:
        raise RuntimeError("listener down")

    events_accepted.connect(failing, dispatch_uid="test-failing")
    events_accepted.connect(listening, dispatch_uid="test-listening")
    try:
        result = events_ingest(raw_events=[CLICK, {"name": "nope"}])
    finally:
        events_accepted.disconnect(dispatch_uid="test-failing")
        events_accepted.disconnect(dispatch_uid="test-listening")
    assert result.accepted == 1
    assert [record["uuid"] for record in heard[0]] == [CLICK["uuid"]]
    captured = [r for path in (events_dir / "capture").iterdir() for r in read_segment(path)]
    assert [record["uuid"] for record in captured] == [CLICK["uuid"]]
