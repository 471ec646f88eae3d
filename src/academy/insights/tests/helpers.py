"""Small lakes with known events for the insights tests, rolled up by the real rollups."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.rollups import rollup_days

_numbers = itertools.count(1)


def ev(
    name: str,
    when: str,
    creator: str,
    *,
    item: str = "1",
    kind: str = "lesson",
    entry: str = "for_you_card",
    region: str = "BR",
    platform: str = "android",
    language: str = "pt-br",
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One lake record; ``when`` is ``YYYY-MM-DD`` (noon UTC) or ``YYYY-MM-DDTHH:MM:SS``."""
    timestamp = when if "T" in when else f"{when}T12:00:00"
    return {
        "uuid": f"00000000-0000-4000-8000-{next(_numbers):012d}",
        "name": name,
        "timestamp": f"{timestamp}+00:00",
        "creator_id": creator,
        "anonymous_id": "" if creator else "device-1",
        "session_id": "",
        "entry_point": entry,
        "item_kind": kind,
        "item_id": item,
        "request_id": "",
        "position": 0,
        "experiments": {},
        "region": region,
        "language": language,
        "platform": platform,
        "app_version": "",
        "properties": properties or {},
    }


def write_lake(events_dir: Path, records: list[dict[str, Any]]) -> list[str]:
    """Capture, compact and roll up ``records``; the days rolled up."""
    log = CaptureLog(events_dir / "capture")
    log.append(records)
    log.seal()
    run = compact(events_dir=events_dir)
    rollup_days(events_dir=events_dir, days=run.days)
    return run.days
