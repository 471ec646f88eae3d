"""Event capture: validate, make durable, acknowledge. And server-side tracking."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from academy.core import clock
from academy.core.errors import PayloadTooLarge
from academy.events.capture import capture_log
from academy.events.signals import events_accepted
from academy.events.taxonomy import BY_NAME, Event, EventProblem, parse_event

logger = logging.getLogger(__name__)

MAX_BATCH = 1000


@dataclass(frozen=True)
class Rejection:
    index: int
    field: str
    detail: str


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    rejected: list[Rejection]


def events_ingest(
    *, raw_events: Sequence[Any], act_as_creator: str | None = None, now: datetime | None = None
) -> IngestResult:
    """Accept every valid event of a batch durably; report each invalid one by its index.

    Valid events are never lost because a neighbour was invalid. ``act_as_creator`` is set for
    a signed-in creator's browser: their events are recorded as theirs, whatever they claim.
    """
    if len(raw_events) > MAX_BATCH:
        raise PayloadTooLarge(
            f"A batch holds at most {MAX_BATCH} events; this one has {len(raw_events)}. "
            "Split it and send the parts."
        )
    now = now or clock.now()
    accepted: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_events):
        if act_as_creator is not None and isinstance(raw, dict):
            raw = {**raw, "creator_id": act_as_creator}
        try:
            event = parse_event(raw, now=now)
        except EventProblem as problem:
            rejected.append(Rejection(index=index, field=problem.field, detail=problem.detail))
            continue
        accepted.append(event.as_record())
    capture_log().append(accepted)
    if accepted:
        # After the events are durable: listeners (For You's real-time signals) may fail
        # without losing them.
        for receiver, error in events_accepted.send_robust(sender=IngestResult, records=accepted):
            if isinstance(error, Exception):
                logger.error("%s failed on accepted events", receiver, exc_info=error)
    return IngestResult(accepted=len(accepted), rejected=rejected)


def track_event(event: Event) -> None:
    """Record a server-side event once the surrounding transaction commits.

    Events describe what happened; if the transaction rolls back, nothing happened.
    """
    track_events([event])


def track_events(events: Sequence[Event]) -> None:
    """Record several server-side events at once, after the commit: one append (one fsync)."""
    for event in events:
        if event.name not in BY_NAME or BY_NAME[event.name] is not type(event):
            raise TypeError(f"{type(event).__name__} is not a registered event type")
    records = [event.as_record() for event in events]
    if records:
        transaction.on_commit(lambda: capture_log().append(records))


def server_event(event_type: type[Event], **fields: Any) -> Event:
    """Build a server-side event with a fresh uuid and the platform clock's time."""
    return event_type(uuid=str(uuid.uuid4()), timestamp=clock.now(), **fields)
