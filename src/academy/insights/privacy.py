"""The insights store's part of export and erasure: the funnels' step store, a copy of the lake's
events. (The creator dimension is rewritten from the database every 15 minutes.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from academy.accounts.models import Creator
from academy.insights.funnel_store import steps_erase, steps_export


def _events_dir() -> Path:
    return Path(settings.ACADEMY_EVENTS_DIR)


def export_creator(creator: Creator) -> dict[str, Any]:
    return {"funnel_steps": steps_export(events_dir=_events_dir(), external_id=creator.external_id)}


def erase_creator(creator: Creator) -> int:
    return steps_erase(events_dir=_events_dir(), external_id=creator.external_id)
