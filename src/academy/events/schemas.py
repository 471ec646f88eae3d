from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class EventBatchIn(Schema):
    events: list[Any] = Field(
        description="Up to 1,000 events; see docs/EVENTS.md for their fields.", max_length=100_000
    )


class RejectedEventOut(Schema):
    index: int
    field: str
    detail: str


class EventBatchOut(Schema):
    accepted: int
    rejected: list[RejectedEventOut]
