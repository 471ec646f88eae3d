"""`academy insights prepare`: days that miss a rollup are rolled up, the creator dimension is
written, and the dashboards then have their numbers."""

from __future__ import annotations

import shutil
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from academy.accounts.services import creator_upsert
from academy.insights.selectors import tile
from academy.insights.services import days_missing_rollups
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tiles import TileQuery


@pytest.mark.django_db
def test_prepare_rolls_up_missing_days_and_snapshots_the_creators(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [ev("impression", "2026-11-16", "ana"), ev("impression", "2026-11-17", "bo")],
    )
    creator_upsert(external_id="ana", follower_count=2_000)
    # As after an upgrade that added a rollup: one day lacks it.
    shutil.rmtree(events_dir / "rollups" / "creator_daily" / "date=2026-11-17")
    assert days_missing_rollups(events_dir) == ["2026-11-17"]
    out = StringIO()
    call_command("insights", "prepare", stdout=out)
    assert (
        "Rolled up 1 days; built 2 days of funnel steps and 6 files of rollups by key; "
        "creator dimension: 1 creators, 0 assignments." in out.getvalue()
    )
    assert days_missing_rollups(events_dir) == []
    result = tile(
        "reach",
        TileQuery(start=date(2026, 11, 16), end=date(2026, 11, 17), breakdown="follower_tier"),
    )
    assert result.rows == [
        {"follower_tier": "(not set)", "reach": 1},
        {"follower_tier": "nano", "reach": 1},
    ]


def test_the_docs_command_says_when_metrics_md_is_current() -> None:
    out = StringIO()
    call_command("insights", "docs", stdout=out)
    assert "docs/METRICS.md is up to date." in out.getvalue()
