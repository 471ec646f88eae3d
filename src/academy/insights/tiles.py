"""The dashboard tiles: what each one is, asks and answers (the contract the console pages and the
JSON API share). The numbers themselves come from ``academy.insights.selectors.tile``; the
definitions behind them live in ``academy.insights.metrics`` and docs/METRICS.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Dashboard = Literal["overview", "entry_points", "learning", "retention", "funnels", "content"]
DASHBOARDS: tuple[Dashboard, ...] = (
    "overview",
    "entry_points",
    "learning",
    "retention",
    "funnels",
    "content",
)
BREAKDOWNS = ("region", "language", "follower_tier", "platform", "entry_point", "experiment")
# Breakdowns read from the events' context, and those read from the creator dimension.
CONTEXT_BREAKDOWNS = ("region", "language", "platform", "entry_point")
CREATOR_BREAKDOWNS = ("follower_tier", "experiment")
# Filters a query may carry (``filter.<dimension>=value`` in the API).
FILTERS = ("region", "language", "platform", "entry_point", "follower_tier", "item_kind", "item_id")
MAX_DAYS = 366
# A breakdown shows its most frequent values; the rest are summed as OTHER.
TOP_VALUES = 10
OTHER = "(other)"
NOT_SET = "(not set)"

ColumnKind = Literal["dimension", "day", "week", "count", "ratio", "percent", "seconds", "number"]
ChartKind = Literal["line", "bar", "heatmap", "funnel", "table"]
Text = str | Promise


@dataclass(frozen=True)
class TileQuery:
    start: date  # inclusive
    end: date  # inclusive
    compare: bool = True  # also compute the previous period of the same length
    breakdown: str | None = None  # one of BREAKDOWNS (or None)
    experiment: str | None = None  # experiment key, required when breakdown == "experiment"
    filters: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)  # tile-specific

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> TileQuery:
        """The period of the same length that ends the day before ``start``."""
        length = timedelta(days=self.days)
        return TileQuery(
            start=self.start - length,
            end=self.end - length,
            compare=False,
            breakdown=self.breakdown,
            experiment=self.experiment,
            filters=self.filters,
            params=self.params,
        )


@dataclass(frozen=True)
class Column:
    key: str
    label: Text  # translated (lazy) text for headers
    kind: ColumnKind


@dataclass(frozen=True)
class TileResult:
    key: str
    title: Text
    description: Text
    query: TileQuery
    chart: ChartKind
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    previous_rows: list[dict[str, Any]]
    headline: dict[str, Any]
    previous_headline: dict[str, Any]
    series: list[dict[str, Any]]
    computed_at: datetime
    source_version: str
    # The metric definitions (academy.insights.metrics keys) this tile shows.
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class TileSpec:
    key: str
    title: Text
    description: Text
    dashboard: Dashboard
    params: Mapping[str, Any]  # tile-specific params with their defaults
    breakdowns: tuple[str, ...]  # the breakdowns this tile supports
    chart: ChartKind = "table"
    metrics: tuple[str, ...] = ()  # the metric definitions it shows (academy.insights.metrics)


ALL = BREAKDOWNS

DEFAULT_FUNNEL_STEPS = "impression@for_you_card,click@for_you_card,lesson_start,lesson_complete"

_SPECS = (
    TileSpec(
        key="reach",
        title=_("Academy reach"),
        description=_("Creators who were shown Academy content at least once (Academy reach)."),
        dashboard="overview",
        params={},
        breakdowns=ALL,
        chart="line",
        metrics=("academy_reach",),
    ),
    TileSpec(
        key="active_creators",
        title=_("Active creators (DAU, WAU, MAU)"),
        description=_(
            "Creators who did anything in the Academy on a day, in the 7 and in the 30 days "
            "up to the period's last day (DAU, WAU, MAU)."
        ),
        dashboard="overview",
        params={},
        breakdowns=ALL,
        chart="line",
        metrics=("dau", "wau", "mau", "stickiness"),
    ),
    TileSpec(
        key="north_star",
        title=_("North Star: learning creators"),
        description=_(
            "Creators who completed at least one lesson, with its inputs: reach, click-through, "
            "lesson start and lesson completion (North Star)."
        ),
        dashboard="overview",
        params={},
        breakdowns=ALL,
        chart="line",
        metrics=(
            "learning_creators",
            "academy_reach",
            "clicking_creators",
            "starting_creators",
            "reach_click_rate",
            "click_start_rate",
            "start_complete_rate",
        ),
    ),
    TileSpec(
        key="entry_point_ctr",
        title=_("Impressions, clicks and CTR per entry point"),
        description=_(
            "Impressions, clicks and click-through rate of each entry point (Impressions, "
            "Clicks, CTR)."
        ),
        dashboard="entry_points",
        params={},
        breakdowns=ALL,
        chart="line",
        metrics=("impressions", "clicks", "ctr"),
    ),
    TileSpec(
        key="lessons",
        title=_("Lesson starts and completions"),
        description=_(
            "Lessons started and completed and the completion rate (Lesson starts, Lesson "
            "completions, Completion rate)."
        ),
        dashboard="learning",
        params={},
        breakdowns=ALL,
        chart="line",
        metrics=("lesson_starts", "lesson_completions", "completion_rate"),
    ),
    TileSpec(
        key="watch_percentage",
        title=_("Average watch percentage"),
        description=_(
            "How far creators got into the lessons they watched, on average (Average watch "
            "percentage)."
        ),
        dashboard="learning",
        params={},
        breakdowns=ALL,
        chart="line",
        metrics=("average_watch_percentage",),
    ),
    TileSpec(
        key="course_completion",
        title=_("Course completion"),
        description=_(
            "Creators who enrolled in a course and creators who earned its badge (Course "
            "completion)."
        ),
        dashboard="learning",
        params={},
        breakdowns=ALL,
        chart="bar",
        metrics=("course_enrollments", "course_completions", "course_completion_rate"),
    ),
    TileSpec(
        key="retention",
        title=_("Retention by weekly cohort"),
        description=_(
            "Of the creators first active in a week, the share active again N days later, and "
            "N days later or any day after (Retention)."
        ),
        dashboard="retention",
        params={"days": "1,7,14,28"},
        breakdowns=CREATOR_BREAKDOWNS,
        chart="heatmap",
        metrics=("retention_n_day", "retention_unbounded"),
    ),
    TileSpec(
        key="funnel",
        title=_("Funnel"),
        description=_(
            "How many creators reach each step, in order or in any order, within the "
            "conversion window, and how long they take (Funnel)."
        ),
        dashboard="funnels",
        params={"steps": DEFAULT_FUNNEL_STEPS, "window_hours": 168, "order": "strict"},
        breakdowns=ALL,
        chart="funnel",
        metrics=("funnel_conversion", "funnel_time_to_convert"),
    ),
    TileSpec(
        key="content_performance",
        title=_("Content performance"),
        description=_(
            "Per lesson: creators who watched it, how many completed it, how far they got "
            "and where those who stopped left off (Content performance)."
        ),
        dashboard="content",
        params={"limit": 50},
        breakdowns=(),
        chart="table",
        metrics=(
            "item_viewers",
            "item_completion_rate",
            "average_watch_percentage",
            "drop_off_point",
        ),
    ),
    TileSpec(
        key="search_gaps",
        title=_("Search gaps"),
        description=_(
            "The searches that most often found nothing or that nobody clicked (Search gaps)."
        ),
        dashboard="content",
        params={"limit": 20},
        breakdowns=(),
        chart="table",
        metrics=("search_gaps",),
    ),
)

TILES: Mapping[str, TileSpec] = {spec.key: spec for spec in _SPECS}
