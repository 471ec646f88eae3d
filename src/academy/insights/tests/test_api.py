"""The insights API: the tiles as JSON with the scope insights:read, the same numbers as the
selectors, and problem+json for what it cannot answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_staff_user
from academy.core.problems import PROBLEM_CONTENT_TYPE
from academy.core.tests.helpers import signed_in
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tiles import TILES

pytestmark = pytest.mark.django_db
TILE = "/api/v1/insights/tiles"
WEEK = {"start": "2026-11-16", "end": "2026-11-22"}


@pytest.fixture
def lake(events_dir: Path) -> Path:
    write_lake(
        events_dir,
        [
            *(ev("impression", "2026-11-16", "ana") for _ in range(4)),
            ev("click", "2026-11-16", "ana"),
            *(ev("impression", "2026-11-17", "bo", region="MX") for _ in range(2)),
            ev("click", "2026-11-17", "bo", region="MX"),
            ev("impression", "2026-11-10", "ana"),
            ev("click", "2026-11-10", "ana"),
            ev("lesson_start", "2026-11-17T10:00:00", "ana"),
            ev("lesson_complete", "2026-11-17T10:30:00", "ana"),
        ],
    )
    return events_dir


def test_a_product_manager_reads_the_cards_ctr_by_region_against_last_week(
    lake: Path, api_key_client: Callable[..., Client]
) -> None:
    client = api_key_client("insights:read")
    answer = client.get(
        f"{TILE}/entry_point_ctr",
        {**WEEK, "breakdown": "region", "filter.entry_point": "for_you_card"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["rows"] == [
        {"region": "BR", "impressions": 4, "clicks": 1, "ctr": 0.25},
        {"region": "MX", "impressions": 2, "clicks": 1, "ctr": 0.5},
    ]
    assert body["previous_rows"] == [{"region": "BR", "impressions": 1, "clicks": 1, "ctr": 1.0}]
    assert body["headline"]["ctr"] == pytest.approx(2 / 6)
    assert body["query"]["previous_start"] == "2026-11-09"
    assert body["query"]["filters"] == {"entry_point": "for_you_card"}
    assert [column["key"] for column in body["columns"]] == [
        "region",
        "impressions",
        "clicks",
        "ctr",
    ]
    assert {point["period"] for point in body["series"]} == {"current", "previous"}


def test_a_signed_in_analyst_reads_a_funnel(lake: Path) -> None:
    analyst = signed_in(make_staff_user(role=Role.ANALYST))
    answer = analyst.get(
        f"{TILE}/funnel",
        {**WEEK, "steps": "click@for_you_card,lesson_start,lesson_complete", "order": "strict"},
    )
    assert answer.status_code == 200, answer.content
    rows = answer.json()["rows"]
    # Ana clicked on the 16th, started and completed on the 17th; Bo only clicked.
    assert [(row["event"], row["creators"]) for row in rows] == [
        ("click@for_you_card", 2),
        ("lesson_start", 1),
        ("lesson_complete", 1),
    ]
    assert rows[2]["median_seconds"] is None or rows[2]["median_seconds"] > 0


def test_the_list_of_tiles_says_what_each_accepts(api_key_client: Callable[..., Client]) -> None:
    body = api_key_client("insights:read").get(TILE).json()
    assert [tile["key"] for tile in body] == list(TILES)
    funnel = next(tile for tile in body if tile["key"] == "funnel")
    assert funnel["params"]["order"] == "strict"
    assert "region" in funnel["breakdowns"]
    assert funnel["dashboard"] == "funnels"


def test_without_the_scope_the_api_refuses(
    lake: Path, api_key_client: Callable[..., Client]
) -> None:
    answer = api_key_client("flags:read").get(f"{TILE}/reach", WEEK)
    assert answer.status_code == 403
    assert answer["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert "insights:read" in answer.json()["detail"]
    assert Client().get(f"{TILE}/reach", WEEK).status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("revenue", WEEK, 404, None),
        ("reach", {"start": "2026-11-22", "end": "2026-11-16"}, 400, "end"),
        ("reach", {"start": "2024-01-01", "end": "2026-11-16"}, 400, "end"),
        ("retention", {**WEEK, "breakdown": "platform"}, 400, "breakdown"),
        ("funnel", {**WEEK, "steps": "impression,teleport"}, 400, "steps"),
        ("search_gaps", {**WEEK, "filter.region": "BR"}, 400, "filter.region"),
    ],
)
def test_bad_input_is_a_problem_naming_what_to_fix(
    lake: Path,
    api_key_client: Callable[..., Client],
    path: str,
    params: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    answer = api_key_client("insights:read").get(f"{TILE}/{path}", params)
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == PROBLEM_CONTENT_TYPE
    if field:
        assert field in {error["field"] for error in answer.json()["errors"]}
