"""Every tile against small lakes whose answers were worked out by hand, through the real capture
log, compaction and rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from academy.accounts.services import creator_upsert
from academy.core import clock
from academy.core.errors import NotFound, ValidationFailed
from academy.experiments.models import Assignment
from academy.experiments.tests.factories import make_experiment
from academy.insights.dimensions import write_dimensions
from academy.insights.selectors import tile, tiles_for
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tiles import DASHBOARDS, TILES, TileQuery
from academy.search.models import SearchDocument

CLOCK_START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
START, END = date(2026, 11, 16), date(2026, 11, 22)


def test_ctr_of_the_for_you_card_by_region_compared_with_last_week(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            # This week: Ana (BR) sees the card 3 times and clicks once, Bo (MX) 2 and 2.
            *(ev("impression", "2026-11-16", "ana") for _ in range(3)),
            ev("click", "2026-11-22T23:59:59", "ana"),  # the period's last second counts
            *(ev("impression", "2026-11-18", "bo", region="MX") for _ in range(2)),
            *(ev("click", "2026-11-18", "bo", region="MX") for _ in range(2)),
            # Other entry points, anonymous devices and the day after do not count.
            ev("impression", "2026-11-17", "ana", entry="search"),
            ev("impression", "2026-11-17", ""),
            ev("click", "2026-11-23", "ana"),
            # Last week: Ana saw it twice without clicking; Cy (MX, active only then) clicked.
            *(ev("impression", "2026-11-10", "ana") for _ in range(2)),
            ev("impression", "2026-11-15", "cy", region="MX"),
            ev("click", "2026-11-15T23:00:00", "cy", region="MX"),
        ],
    )
    result = tile(
        "entry_point_ctr",
        TileQuery(
            start=START, end=END, breakdown="region", filters={"entry_point": "for_you_card"}
        ),
    )
    assert result.rows == [
        {"region": "BR", "impressions": 3, "clicks": 1, "ctr": pytest.approx(1 / 3)},
        {"region": "MX", "impressions": 2, "clicks": 2, "ctr": 1.0},
    ]
    assert result.previous_rows == [
        {"region": "BR", "impressions": 2, "clicks": 0, "ctr": 0.0},
        {"region": "MX", "impressions": 1, "clicks": 1, "ctr": 1.0},
    ]
    assert result.headline["ctr"] == pytest.approx(3 / 5)
    assert result.previous_headline["ctr"] == pytest.approx(1 / 3)
    # The chart: a CTR per region and day, none on days without impressions; last week's
    # points moved onto this week's days.
    current = {
        (point["region"], point["day"]): point["value"]
        for point in result.series
        if point["period"] == "current"
    }
    assert current[("BR", date(2026, 11, 16))] == 0.0
    assert current[("BR", date(2026, 11, 22))] is None  # a click, no impression that day
    assert current[("MX", date(2026, 11, 18))] == 1.0
    previous = [p for p in result.series if p["period"] == "previous" and p["value"] is not None]
    assert {(p["region"], p["day"], p["previous_day"]) for p in previous} == {
        ("BR", date(2026, 11, 17), date(2026, 11, 10)),
        ("MX", date(2026, 11, 22), date(2026, 11, 15)),
    }
    # Without a breakdown the rows are per entry point.
    per_entry = tile("entry_point_ctr", TileQuery(start=START, end=END, compare=False))
    assert [(row["entry_point"], row["impressions"], row["clicks"]) for row in per_entry.rows] == [
        ("for_you_card", 5, 3),
        ("search", 1, 0),
    ]
    assert per_entry.previous_rows == []


def test_reach_active_creators_and_the_north_star(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            # Ana: reached, clicked, started and completed; active on the 16th and 22nd.
            ev("impression", "2026-11-16", "ana"),
            ev("click", "2026-11-16", "ana"),
            ev("lesson_start", "2026-11-16", "ana"),
            ev("lesson_complete", "2026-11-22", "ana", entry="course_page"),
            # Bo (iOS): reached and clicked on the 22nd.
            ev("impression", "2026-11-22", "bo", platform="ios"),
            ev("click", "2026-11-22", "bo", platform="ios"),
            # Cy: a like on Oct 25 (inside the 30 days to Nov 22); Dee: Oct 23 (outside).
            ev("like", "2026-10-25", "cy"),
            ev("like", "2026-10-23", "dee"),
        ],
    )
    reach = tile("reach", TileQuery(start=START, end=END, breakdown="platform"))
    assert reach.headline == {"reach": 2}
    assert reach.rows == [{"platform": "android", "reach": 1}, {"platform": "ios", "reach": 1}]
    assert reach.previous_headline == {"reach": 0}

    active = tile("active_creators", TileQuery(start=START, end=END, compare=False))
    assert active.headline == {
        "dau": pytest.approx(3 / 7),
        "wau": 2,
        "mau": 3,
        "stickiness": pytest.approx(3 / 7 / 3),
    }
    daily = {point["day"]: point["value"] for point in active.series}
    assert daily[date(2026, 11, 16)] == 1
    assert daily[date(2026, 11, 19)] == 0
    assert daily[date(2026, 11, 22)] == 2

    star = tile("north_star", TileQuery(start=START, end=END, compare=False))
    assert star.headline == {
        "learning_creators": 1,
        "reach": 2,
        "clicking_creators": 2,
        "starting_creators": 1,
        "reach_click_rate": 1.0,
        "click_start_rate": 0.5,
        "start_complete_rate": 1.0,
    }
    # By entry point, Ana counts under both the card and the course page (where she completed).
    by_entry = tile(
        "north_star", TileQuery(start=START, end=END, compare=False, breakdown="entry_point")
    )
    assert [
        (row["entry_point"], row["learning_creators"], row["reach"]) for row in by_entry.rows
    ] == [
        ("course_page", 1, 0),
        ("for_you_card", 0, 2),
    ]


FUNNEL_DAY, NEXT_DAY = "2026-11-17", "2026-11-18"
FUNNEL = [
    # Ana: every step in order: 300 s, 360 s and 3600 s after the impression.
    ev("impression", f"{FUNNEL_DAY}T10:00:00", "ana"),
    ev("click", f"{FUNNEL_DAY}T10:05:00", "ana"),
    ev("lesson_start", f"{FUNNEL_DAY}T10:06:00", "ana", entry="course_page"),
    ev("lesson_complete", f"{FUNNEL_DAY}T11:00:00", "ana", entry="course_page"),
    # Bo: a click before the impression (out of order), then another after it.
    ev("click", f"{FUNNEL_DAY}T09:00:00", "bo"),
    ev("impression", f"{FUNNEL_DAY}T10:00:00", "bo"),
    ev("click", f"{FUNNEL_DAY}T11:00:00", "bo"),
    # Cy skips the click: starts and completes straight from the impression.
    ev("impression", f"{FUNNEL_DAY}T10:00:00", "cy", region="MX"),
    ev("lesson_start", f"{FUNNEL_DAY}T10:30:00", "cy", region="MX"),
    ev("lesson_complete", f"{FUNNEL_DAY}T10:40:00", "cy", region="MX"),
    # Dee clicks exactly 24 h after the impression (counts), starts one second too late.
    ev("impression", f"{FUNNEL_DAY}T10:00:00", "dee"),
    ev("click", f"{NEXT_DAY}T10:00:00", "dee"),
    ev("lesson_start", f"{NEXT_DAY}T10:00:01", "dee"),
    # Eve only clicks: never enters.
    ev("click", f"{FUNNEL_DAY}T10:00:00", "eve"),
    # Fay does everything in reverse order.
    ev("lesson_start", f"{FUNNEL_DAY}T08:00:00", "fay"),
    ev("click", f"{FUNNEL_DAY}T08:30:00", "fay"),
    ev("impression", f"{FUNNEL_DAY}T09:00:00", "fay"),
    ev("lesson_complete", f"{FUNNEL_DAY}T09:10:00", "fay"),
    # An impression on another entry point is not step 1.
    ev("impression", f"{FUNNEL_DAY}T09:00:00", "gus", entry="search"),
]
STEPS = "impression@for_you_card,click@for_you_card,lesson_start,lesson_complete"


def funnel_rows(order: str, **query: object) -> list[tuple[object, ...]]:
    result = tile(
        "funnel",
        TileQuery(
            start=START,
            end=END,
            compare=False,
            params={"steps": STEPS, "window_hours": 24, "order": order},
            **query,  # type: ignore[arg-type]
        ),
    )
    return [(row["creators"], row["step_conversion"], row["median_seconds"]) for row in result.rows]


def test_funnel_in_strict_order_with_the_edge_cases(events_dir: Path) -> None:
    write_lake(events_dir, FUNNEL)
    # Entered: Ana, Bo, Cy, Dee, Fay. Click: Ana (300 s), Bo (3600 s), Dee (86400 s, on the
    # window's boundary). Start: Ana only (Cy skipped the click, Dee was too late).
    assert funnel_rows("strict") == [
        (5, 1.0, None),
        (3, 3 / 5, 3600.0),
        (1, 1 / 3, 360.0),
        (1, 1.0, 3600.0),
    ]
    by_region = tile(
        "funnel",
        TileQuery(start=START, end=END, compare=False, breakdown="region", params={"steps": STEPS}),
    )
    assert [(row["region"], row["step"], row["creators"]) for row in by_region.rows][:2] == [
        ("BR", 1, 4),
        ("BR", 2, 3),
    ]
    assert [row["creators"] for row in by_region.rows if row["region"] == "MX"] == [1, 0, 0, 0]


def test_funnel_in_any_order(events_dir: Path) -> None:
    write_lake(events_dir, FUNNEL)
    # Any order: the window opens at a creator's first step event. Bo and Fay now convert
    # further: Bo's first click counts; Fay does all four within 70 minutes.
    assert funnel_rows("any") == [
        (5, 1.0, None),
        (4, 4 / 5, 3600.0),  # Ana 300, Bo 3600, Fay 3600, Dee 86400
        (2, 2 / 4, 1980.0),  # Ana 360, Fay 3600
        (2, 1.0, 3900.0),  # Ana 3600, Fay 4200
    ]
    by_region_any = tile(
        "funnel",
        TileQuery(
            start=START,
            end=END,
            compare=False,
            breakdown="region",
            params={"steps": STEPS, "window_hours": 24, "order": "any"},
        ),
    )
    assert [row["creators"] for row in by_region_any.rows if row["region"] == "MX"] == [1, 0, 0, 0]
    assert [row["creators"] for row in by_region_any.rows if row["region"] == "BR"] == [4, 4, 2, 2]


def test_retention_by_weekly_cohort(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            # Gus: first active Mon Nov 2, back on day 1 and on day 18.
            ev("like", "2026-11-02", "gus"),
            ev("like", "2026-11-03", "gus"),
            ev("like", "2026-11-20", "gus"),
            # Hal: first active Nov 4, back on day 7 only.
            ev("like", "2026-11-04", "hal"),
            ev("like", "2026-11-11", "hal"),
            # Ivy was first active before the period: in no cohort.
            ev("like", "2026-10-30", "ivy"),
            ev("like", "2026-11-03", "ivy"),
            # Jo: first active on the period's last day: day 1 is not measurable yet.
            ev("like", "2026-11-22", "jo"),
        ],
    )
    result = tile(
        "retention",
        TileQuery(start=date(2026, 11, 2), end=date(2026, 11, 22), params={"days": "7,1"}),
    )
    assert [
        (row["week"], row["creators"], row["day_1"], row["day_1_unbounded"], row["day_7"])
        for row in result.rows
    ] == [
        (date(2026, 11, 2), 2, 0.5, 1.0, 0.5),
        (date(2026, 11, 16), 1, None, None, None),
    ]
    assert result.rows[0]["day_7_unbounded"] == 1.0
    assert result.headline["day_1"] == 0.5
    assert [column.key for column in result.columns][:4] == [
        "week",
        "creators",
        "day_1",
        "day_1_unbounded",
    ]


@pytest.mark.django_db
def test_watch_percentage_content_and_course_completion(events_dir: Path) -> None:
    progress = "lesson_progress"
    write_lake(
        events_dir,
        [
            ev(progress, "2026-11-16", "ana", properties={"percent": 30}),
            ev(progress, "2026-11-16", "ana", properties={"percent": 80}),
            ev(progress, "2026-11-17", "ana", properties={"percent": 50}),
            ev("lesson_complete", "2026-11-17", "ana"),
            ev(progress, "2026-11-16", "bo", properties={"percent": 40}),
            ev(progress, "2026-11-17", "bo", properties={"percent": "half"}),  # unreadable
            ev(progress, "2026-11-16", "cy", properties={"percent": 20}),
            ev("lesson_start", "2026-11-16", "dee", item="2"),
            ev(progress, "2026-11-18", "dee", item="2", properties={"percent": 150}),  # 100
            # Courses: Ana enrolls and earns the badge; Bo enrolls; Cy earns the badge of a
            # course she enrolled in before the period.
            ev("enroll", "2026-11-16", "ana", kind="course", item="c1"),
            ev("badge_earned", "2026-11-20", "ana", kind="course", item="c1"),
            ev("enroll", "2026-11-16", "bo", kind="course", item="c1"),
            ev("enroll", "2026-11-02", "cy", kind="course", item="c2"),
            ev("badge_earned", "2026-11-21", "cy", kind="course", item="c2"),
        ],
    )
    watch = tile("watch_percentage", TileQuery(start=START, end=END, compare=False))
    assert watch.headline["pairs"] == 4
    assert watch.headline["average_watch_percentage"] == pytest.approx((80 + 40 + 20 + 100) / 4)
    SearchDocument.objects.create(
        item="lesson:1", item_kind="lesson", item_id="1", language="en", kind="video",
        topic="hooks", title="Hooks that hold", slug="hooks", indexed_at=clock.now(),
    )  # fmt: skip
    content = tile("content_performance", TileQuery(start=START, end=END, compare=False))
    first = content.rows[0]
    # Items are named by their title; one no longer published by its key.
    assert [row["title"] for row in content.rows] == ["Hooks that hold", "lesson:2"]
    assert content.columns[0].key == "title"
    assert (first["item_id"], first["viewers"], first["completed_viewers"]) == ("1", 3, 1)
    assert first["average_watch_percentage"] == pytest.approx((80 + 40 + 20) / 3)
    assert first["drop_off_point"] == pytest.approx(30.0)  # median of Bo's 40 and Cy's 20
    assert (content.rows[1]["item_id"], content.rows[1]["drop_off_point"]) == ("2", 100.0)
    course = tile("course_completion", TileQuery(start=START, end=END, compare=False))
    assert course.headline == {
        "enrollments": 2,
        "completions": 2,
        "enrolled_and_completed": 1,
        "course_completion_rate": 0.5,
    }


def test_lesson_starts_and_completions(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            ev("lesson_start", "2026-11-16", "ana"),
            ev("lesson_start", "2026-11-16", "bo", language="es"),
            ev("lesson_complete", "2026-11-17", "ana"),
            ev("lesson_start", "2026-11-09", "ana"),
        ],
    )
    result = tile("lessons", TileQuery(start=START, end=END, breakdown="language"))
    assert result.rows == [
        {"language": "es", "lesson_starts": 1, "lesson_completes": 0, "completion_rate": 0.0},
        {"language": "pt-br", "lesson_starts": 1, "lesson_completes": 1, "completion_rate": 1.0},
    ]
    assert result.previous_headline["lesson_starts"] == 1


@pytest.mark.django_db
def test_breakdowns_by_follower_tier_and_experiment_variant(events_dir: Path) -> None:
    ana, _created = creator_upsert(external_id="ana", follower_count=50_000)
    bo, _created = creator_upsert(external_id="bo", follower_count=10)
    experiment = make_experiment("card-copy")
    for creator, variation in ((ana, "control"), (bo, "treatment-1")):
        Assignment.objects.create(
            creator=creator,
            experiment=experiment,
            variation=variation,
            bucket_version=0,
            assigned_at=CLOCK_START,
        )
    write_dimensions(events_dir)
    write_lake(
        events_dir,
        [
            ev("impression", "2026-11-16", "ana"),
            ev("click", "2026-11-16", "ana"),
            ev("impression", "2026-11-16", "bo"),
            ev("impression", "2026-11-16", "cy"),  # not a known creator
        ],
    )
    tiers = tile(
        "entry_point_ctr", TileQuery(start=START, end=END, compare=False, breakdown="follower_tier")
    )
    assert [(row["follower_tier"], row["impressions"], row["clicks"]) for row in tiers.rows] == [
        ("(not set)", 1, 0),
        ("micro", 1, 1),
        ("starter", 1, 0),
    ]
    variants = tile(
        "reach",
        TileQuery(
            start=START, end=END, compare=False, breakdown="experiment", experiment="card-copy"
        ),
    )
    assert variants.rows == [
        {"experiment": "control", "reach": 1},
        {"experiment": "treatment-1", "reach": 1},
    ]
    filtered = tile(
        "reach", TileQuery(start=START, end=END, compare=False, filters={"follower_tier": "micro"})
    )
    assert filtered.headline == {"reach": 1}


def test_a_recomputed_rollup_gives_a_fresh_answer(events_dir: Path) -> None:
    write_lake(events_dir, [ev("impression", "2026-11-16", "ana")])
    query = TileQuery(start=START, end=END)
    first = tile("reach", query)
    assert first.headline == {"reach": 1}
    assert tile("reach", query).computed_at == first.computed_at  # from the cache
    write_lake(events_dir, [ev("impression", "2026-11-16", "bo")])
    second = tile("reach", query)
    assert second.headline == {"reach": 2}
    assert second.source_version != first.source_version


@pytest.mark.parametrize(
    ("key", "query", "field"),
    [
        ("reach", TileQuery(start=date(2026, 11, 22), end=date(2026, 11, 16)), "end"),
        ("reach", TileQuery(start=date(2025, 1, 1), end=date(2026, 11, 16)), "end"),
        ("retention", TileQuery(start=START, end=END, breakdown="region"), "breakdown"),
        ("reach", TileQuery(start=START, end=END, breakdown="colour"), "breakdown"),
        ("reach", TileQuery(start=START, end=END, breakdown="experiment"), "experiment"),
        ("search_gaps", TileQuery(start=START, end=END, filters={"region": "BR"}), "filter.region"),
        ("funnel", TileQuery(start=START, end=END, params={"steps": "impression"}), "steps"),
        (
            "funnel",
            TileQuery(start=START, end=END, params={"steps": "impression,purchase"}),
            "steps",
        ),
        (
            "funnel",
            TileQuery(start=START, end=END, params={"steps": "impression@moon,click"}),
            "steps",
        ),
        ("funnel", TileQuery(start=START, end=END, params={"order": "sideways"}), "order"),
        ("funnel", TileQuery(start=START, end=END, params={"window_hours": "0"}), "window_hours"),
        ("retention", TileQuery(start=START, end=END, params={"days": "0"}), "days"),
        ("reach", TileQuery(start=START, end=END, params={"steps": "click,click"}), "steps"),
    ],
)
def test_bad_queries_are_refused_with_the_field_to_fix(
    events_dir: Path, key: str, query: TileQuery, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        tile(key, query)
    assert field in refused.value.errors


def test_an_unknown_tile_or_dashboard_is_not_found() -> None:
    with pytest.raises(NotFound):
        tile("revenue", TileQuery(start=START, end=END))
    with pytest.raises(NotFound):
        tiles_for("finance")
    assert [spec.key for dashboard in DASHBOARDS for spec in tiles_for(dashboard)] == list(TILES)


def test_a_breakdown_with_many_values_shows_the_top_ten_and_the_rest_as_other(
    events_dir: Path,
) -> None:
    # Twelve regions: region R<n> has n impressions by creator c<n>; R1 and R2 are the smallest.
    write_lake(
        events_dir,
        [
            ev("impression", "2026-11-16", f"c{n}", region=f"R{n}")
            for n in range(1, 13)
            for _ in range(n)
        ],
    )
    result = tile("entry_point_ctr", TileQuery(start=START, end=END, breakdown="region"))
    by_region = {row["region"]: row["impressions"] for row in result.rows}
    assert len(by_region) == 11
    assert by_region["(other)"] == 1 + 2
    assert by_region["R12"] == 12
    reach = tile("reach", TileQuery(start=START, end=END, breakdown="region"))
    assert {row["region"]: row["reach"] for row in reach.rows}["(other)"] == 2
