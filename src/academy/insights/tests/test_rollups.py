"""The insights rollups of issue 9 against small lakes worked out by hand, and the tiles that
read them: the same numbers as the daily rollups they replace (which the tiles fall back to when
a monthly file is missing or older than its days)."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from academy.events.privacy import events_erase
from academy.events.query import rollup_files, rollup_target
from academy.events.rollups import read_rollup, rollup_days
from academy.insights.compute import Period
from academy.insights.selectors import search_gaps, tile
from academy.insights.services import insights_prepare
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tiles import TileQuery
from academy.search.analytics import content_gaps

pytestmark = pytest.mark.django_db


def rows(events_dir: Path, rollup: str, **where: Any) -> list[dict[str, Any]]:
    found = read_rollup(events_dir=events_dir, rollup=rollup).to_pylist()
    return [row for row in found if all(row[key] == value for key, value in where.items())]


def bit(day: int) -> int:
    return 1 << (day - 1)


def test_creator_monthly_holds_each_creators_days_as_bitmaps(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            ev("impression", "2026-10-01", "ana"),
            ev("impression", "2026-10-01T18:00:00", "ana", entry="search"),
            ev("click", "2026-10-03", "ana"),
            ev("lesson_start", "2026-10-31", "ana"),
            ev("lesson_complete", "2026-10-31", "ana"),
            ev("quiz_submit", "2026-11-01", "ana"),  # active, nothing else
            ev("impression", "2026-10-03", "bo"),
            ev("impression", "2026-10-03", ""),  # anonymous: no row
        ],
    )
    assert rows(events_dir, "creator_monthly") == [
        {
            "day": "2026-10-01",
            "creator_id": "ana",
            "active_days": bit(1) + bit(3) + bit(31),
            "impression_days": bit(1),
            "click_days": bit(3),
            "start_days": bit(31),
            "complete_days": bit(31),
        },
        {
            "day": "2026-10-01",
            "creator_id": "bo",
            "active_days": bit(3),
            "impression_days": bit(3),
            "click_days": 0,
            "start_days": 0,
            "complete_days": 0,
        },
        {
            "day": "2026-11-01",
            "creator_id": "ana",
            "active_days": bit(1),
            "impression_days": 0,
            "click_days": 0,
            "start_days": 0,
            "complete_days": 0,
        },
    ]
    # A day rolled up again (a late event) recomputes its month.
    write_lake(events_dir, [ev("click", "2026-10-05", "bo")])
    assert rows(events_dir, "creator_monthly", creator_id="bo")[0]["click_days"] == bit(5)
    assert rows(events_dir, "creator_monthly", creator_id="bo")[0]["active_days"] == (
        bit(3) + bit(5)
    )


def test_the_pair_rollups_drop_the_context_and_mark_each_pairs_days(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            # Ana watches lesson 1 on two platforms the same day, then again two days later.
            ev("lesson_start", "2026-10-02", "ana", platform="android"),
            ev("lesson_progress", "2026-10-02", "ana", properties={"percent": 30}),
            ev("lesson_progress", "2026-10-02", "ana", platform="ios", properties={"percent": 70}),
            ev("lesson_progress", "2026-10-04", "ana", properties={"percent": 55}),
            ev("lesson_complete", "2026-10-04", "ana"),
            ev("lesson_complete", "2026-10-04", "ana", region="MX"),
            # Bo enrolls in a course once.
            ev("enroll", "2026-10-04", "bo", kind="course", item="7"),
        ],
    )
    assert rows(events_dir, "creator_item_lesson_daily", creator_id="ana") == [
        {
            "day": "2026-10-02",
            "creator_id": "ana",
            "item_kind": "lesson",
            "item_id": "1",
            "lesson_starts": 1,
            "progress_events": 2,
            "max_percent": 70.0,
            "lesson_completes": 0,
            "enrolls": 0,
            "badges": 0,
        },
        {
            "day": "2026-10-04",
            "creator_id": "ana",
            "item_kind": "lesson",
            "item_id": "1",
            "lesson_starts": 0,
            "progress_events": 1,
            "max_percent": 55.0,
            "lesson_completes": 2,
            "enrolls": 0,
            "badges": 0,
        },
    ]
    monthly = rows(events_dir, "creator_item_monthly")
    assert [
        (row["creator_id"], row["day"], row["pair_days"], row["pair_first"]) for row in monthly
    ] == [
        ("ana", "2026-10-02", bit(2) + bit(4), True),
        ("ana", "2026-10-04", bit(2) + bit(4), False),
        ("bo", "2026-10-04", bit(4), True),
    ]
    ana_first = monthly[0]
    assert ana_first["month"] == "2026-10-01"
    assert (ana_first["pair_max_percent"], ana_first["pair_views"]) == (70.0, 4)
    assert ana_first["pair_completes"] == 2
    assert monthly[2]["pair_views"] == 0  # an enrolment is no view


def test_watch_and_content_tiles_read_the_monthly_pairs_with_the_same_numbers(
    events_dir: Path,
) -> None:
    write_lake(
        events_dir,
        [
            # Ana: lesson 1 on the 2nd (30 %) and the 4th (80 %, completed).
            ev("lesson_start", "2026-10-02", "ana"),
            ev("lesson_progress", "2026-10-02", "ana", properties={"percent": 30}),
            ev("lesson_progress", "2026-10-04", "ana", properties={"percent": 80}),
            ev("lesson_complete", "2026-10-04", "ana"),
            # Cy enrolls in course 3 on the 2nd and earns its badge on the 4th; Bo enrolls in
            # course 4 on Sept 30th.
            ev("enroll", "2026-10-02", "cy", kind="course", item="3"),
            ev("badge_earned", "2026-10-04", "cy", kind="course", item="3"),
            ev("enroll", "2026-09-30", "bo", kind="course", item="4"),
            # Bo: lesson 1 on the 4th only (40 %), lesson 2 on Sept 30th and Oct 2nd.
            ev("lesson_progress", "2026-10-04", "bo", properties={"percent": 40}),
            ev("lesson_progress", "2026-09-30", "bo", item="2", properties={"percent": 10}),
            ev("lesson_progress", "2026-10-02", "bo", item="2", properties={"percent": 20}),
        ],
    )

    def answers() -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        for start, end in (
            (date(2026, 10, 1), date(2026, 10, 7)),  # all of each pair's days
            (date(2026, 10, 3), date(2026, 10, 4)),  # cuts Ana's pair: its 4th only
            (date(2026, 9, 28), date(2026, 10, 4)),  # two months: Bo's lesson 2 twice
        ):
            watch = tile("watch_percentage", TileQuery(start=start, end=end))
            content = tile("content_performance", TileQuery(start=start, end=end))
            course = tile("course_completion", TileQuery(start=start, end=end))
            found.append((watch.headline, watch.series, content.rows, content.headline))
            found.append((course.headline, course.series))
        return found

    from_monthly = answers()
    week, week_courses, cut, cut_courses, two_months, two_months_courses = from_monthly
    # Cy enrolled and completed in the week; the cut period sees only the badge.
    assert week_courses[0] == {
        "enrollments": 1,
        "completions": 1,
        "enrolled_and_completed": 1,
        "course_completion_rate": 1.0,
    }
    assert (cut_courses[0]["enrollments"], cut_courses[0]["completions"]) == (0, 1)
    assert cut_courses[0]["course_completion_rate"] is None
    assert two_months_courses[0]["enrollments"] == 2
    assert week[0] == {"pairs": 3, "average_watch_percentage": (80 + 40 + 20) / 3}
    assert cut[0] == {"pairs": 2, "average_watch_percentage": (80 + 40) / 2}
    assert two_months[0] == {"pairs": 3, "average_watch_percentage": (80 + 40 + 20) / 3}
    lesson_1 = week[2][0]
    assert (lesson_1["item_id"], lesson_1["viewers"], lesson_1["completed_viewers"]) == ("1", 2, 1)
    # Bo stopped at 40 % without completing: the drop-off point.
    assert (lesson_1["lesson_completes"], lesson_1["drop_off_point"]) == (1, 40.0)
    # Without the monthly file, the tiles read the daily pairs: the same answers.
    shutil.rmtree(events_dir / "rollups" / "creator_item_monthly")
    assert answers() == from_monthly


def test_distinct_creator_tiles_read_the_bitmaps_with_the_same_numbers(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            ev("impression", "2026-09-29", "ana"),
            ev("impression", "2026-10-02", "ana"),
            ev("lesson_complete", "2026-10-02", "ana"),
            ev("impression", "2026-10-01", "bo"),
            ev("click", "2026-10-03", "cy"),
            ev("impression", "2026-12-20", "cy"),
        ],
    )
    queries = [
        (key, TileQuery(start=start, end=end))
        for key in ("reach", "active_creators", "north_star", "retention")
        for start, end in (
            (date(2026, 10, 1), date(2026, 10, 3)),  # one month
            (date(2026, 9, 29), date(2026, 10, 2)),  # two months
            (date(2026, 9, 1), date(2026, 12, 31)),  # over 62 days: the month masks
        )
    ]
    from_bitmaps = [tile(key, query) for key, query in queries]
    reach = {(r.query.start.day, r.query.end.day): r.headline for r in from_bitmaps[:3]}
    assert reach == {(1, 3): {"reach": 2}, (29, 2): {"reach": 2}, (1, 31): {"reach": 3}}
    # Ana was first active on Sept 29th: the Oct 1-3 cohorts are Bo and Cy only.
    assert from_bitmaps[9].headline["creators"] == 2
    assert [
        (point["day"], point["value"]) for point in from_bitmaps[1].series if point["value"]
    ] == [(date(2026, 9, 29), 1), (date(2026, 10, 1), 1), (date(2026, 10, 2), 1)]
    # A monthly file older than its days is not read: the tiles fall back to creator_daily.
    month = rollup_target(events_dir, "creator_monthly", "2026-10-01")
    stale = month.stat().st_mtime_ns - 10**9
    os.utime(month, ns=(stale, stale))
    from_days = [tile(key, query) for key, query in queries]
    for new, old in zip(from_bitmaps, from_days, strict=True):
        assert (new.rows, new.headline, new.series) == (old.rows, old.headline, old.series)
        assert new.source_version != old.source_version


SEARCHES = [
    # "Python basics" three times (spaces and case vary): one without results, one clicked twice.
    ev("search", "2026-10-02", "ana", properties={"query": " Python  basics", "results": 4}),
    ev("search", "2026-10-02", "bo", properties={"query": "python basics", "results": 0}),
    ev("search", "2026-10-03", "", properties={"query": "PYTHON BASICS", "results": 2}),
    ev("search", "2026-10-03", "ana", properties={"query": "excel", "results": 0}),
    ev("search", "2026-10-03", "ana", properties={"results": 3}),  # no query: not kept
]


def test_search_rollups_and_search_gaps_from_them(events_dir: Path) -> None:
    records = [dict(record) for record in SEARCHES]
    records[0]["request_id"] = "r-1"
    records[2]["request_id"] = "r-3"
    opened = [
        ev("search_click", "2026-10-02", "ana", item="5"),
        ev("click", "2026-10-03", "ana", item="6", entry="search"),  # the next day still counts
        ev("click", "2026-10-03", "ana", item="6", entry="search"),  # the same item once
        ev("click", "2026-10-03", "ana", item="9", entry="for_you_card"),  # not from search
    ]
    for record in opened:
        record["request_id"] = "r-1"
    write_lake(events_dir, [*records, *opened])
    assert [
        (row["day"], row["creator_id"], row["query_text"], row["results"], row["searches"])
        for row in rows(events_dir, "search_query_daily")
    ] == [
        ("2026-10-02", "ana", " Python  basics", 4, 1),
        ("2026-10-02", "bo", "python basics", 0, 1),
        ("2026-10-03", "", "PYTHON BASICS", 2, 1),
        ("2026-10-03", "ana", "excel", 0, 1),
    ]
    assert [
        (row["day"], row["request_id"], row["item"], row["clicks"])
        for row in rows(events_dir, "search_click_daily")
    ] == [("2026-10-02", "r-1", "lesson:5", 1), ("2026-10-03", "r-1", "lesson:6", 2)]
    start, end = date(2026, 10, 1), date(2026, 10, 7)
    days = sorted(rollup_files(events_dir, "search_query_daily"))
    answer = search_gaps(events_dir, Period(start, end), days, 25)
    assert answer.headline == {
        "searches": 4,
        "zero_result": 2,
        "zero_result_rate": 0.5,
        "ctr": 0.25,
        "queries": 2,
    }
    assert [(row["gap"], row["query"], row["searches"]) for row in answer.rows] == [
        ("zero_results", "excel", 1),
        ("zero_results", "python basics", 3),
    ]
    # The same as Search's own analysis of the lake.
    gaps = content_gaps(events_dir=events_dir, start=start, end=end)
    assert (gaps.searches, gaps.zero_result, gaps.clicked, gaps.queries) == (4, 2, 1, 2)
    assert tile("search_gaps", TileQuery(start=start, end=end)).rows == answer.rows


def test_erasure_removes_the_creator_from_the_new_rollups(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            ev("impression", "2026-10-02", "erase-me"),
            ev("lesson_progress", "2026-10-02", "erase-me", properties={"percent": 50}),
            ev("search", "2026-10-02", "erase-me", properties={"query": "my name", "results": 0}),
            ev("impression", "2026-10-02", "keep-me"),
        ],
    )
    # The raw events of the day are gone (retention): the rollups must lose the rows anyway.
    shutil.rmtree(events_dir / "lake" / "date=2026-10-02")
    erasure = events_erase(events_dir=events_dir, external_id="erase-me")
    assert erasure.rollup_rows > 0
    for rollup in (
        "creator_monthly",
        "creator_item_lesson_daily",
        "creator_item_monthly",
        "search_query_daily",
    ):
        assert rows(events_dir, rollup, creator_id="erase-me") == [], rollup
    assert [row["creator_id"] for row in rows(events_dir, "creator_monthly")] == ["keep-me"]
    # Rolling the month up again (a late event) keeps it erased: it comes from the daily files.
    rollup_days(events_dir=events_dir, days=["2026-10-02"])
    assert [row["creator_id"] for row in rows(events_dir, "creator_monthly")] == ["keep-me"]


def test_prepare_computes_the_months_a_lake_rolled_up_before_them_lacks(events_dir: Path) -> None:
    write_lake(events_dir, [ev("impression", "2026-10-02", "ana"), ev("click", "2026-11-03", "bo")])
    for name in ("creator_monthly", "creator_item_monthly"):
        shutil.rmtree(events_dir / "rollups" / name)
    done = insights_prepare(events_dir=events_dir)
    assert (done["days_rolled_up"], done["months_rolled_up"]) == (0, 2)
    assert [(row["day"], row["creator_id"]) for row in rows(events_dir, "creator_monthly")] == [
        ("2026-10-01", "ana"),
        ("2026-11-01", "bo"),
    ]
    assert insights_prepare(events_dir=events_dir)["months_rolled_up"] == 0


def test_search_gaps_forget_a_day_the_lake_dropped(events_dir: Path) -> None:
    write_lake(events_dir, [dict(record) for record in SEARCHES])
    week = TileQuery(start=date(2026, 10, 1), end=date(2026, 10, 7))
    assert tile("search_gaps", week).headline["searches"] == 4
    # Retention drops the 3rd from the lake: the rollups outlive it, search gaps read the
    # lake's days (as Search's own analysis does), and the cached answer is not reused.
    shutil.rmtree(events_dir / "lake" / "date=2026-10-03")
    assert tile("search_gaps", week).headline["searches"] == 2
