"""Every insights metric, defined once: what it counts, over what, from which events.

The tiles (``academy.insights.selectors``) compute these definitions and docs/METRICS.md lists
them — its reference section is generated from this module (``academy insights_docs --write``)
and a test keeps the two in sync. Common rules for every metric:

- Days are UTC days (the lake's partitions); a date range is inclusive of both ends.
- A creator is the ``creator_id`` of an event; anonymous events (no creator) count for nothing
  here except where a metric says so.
- The previous period is the range of the same number of days ending the day before ``start``.
- A breakdown splits a metric by a value of the event's context (region, language, platform,
  entry point) or of the creator (follower tier, experiment variation). A creator seen with two
  values of a context breakdown (say two platforms) counts once under each, so the rows of a
  distinct-creator metric may add up to more than its total.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    definition: str  # what it is, in one or two sentences
    numerator: str
    denominator: str  # "—" for a count
    unit: str  # the unit of analysis: events, creators, (creator, lesson) pairs…
    events: tuple[str, ...]  # the events it reads
    source: str  # the rollup (or the lake) it is computed from


_SEGMENTS = (
    "rollup creator_daily; creator_segment_daily with a region, language, platform or entry "
    "point filter; with such a breakdown alone, the segment sets (per day and value, the keys "
    "of the creators, from the funnels' step store)"
)
_COUNTS = (
    "rollup segment_daily; creator_daily (creator_segment_daily with a context filter) with a "
    "follower tier or experiment breakdown"
)
_LESSONS = "rollup creator_lesson_daily"
_STEPS = (
    "the funnels' step store (the lake's events of the steps, by creator, for the period's days); "
    "the lake for files the store does not have yet"
)

METRICS: tuple[Metric, ...] = (
    Metric(
        key="academy_reach",
        name="Academy reach",
        definition="Distinct creators shown at least one Academy item (an impression) in the "
        "period, at any entry point.",
        numerator="creators with ≥ 1 impression",
        denominator="—",
        unit="creators",
        events=("impression",),
        source=_SEGMENTS,
    ),
    Metric(
        key="dau",
        name="DAU",
        definition="Daily active creators: distinct creators with at least one event of any "
        "kind on a UTC day. The headline is the average over the period's days.",
        numerator="creators with ≥ 1 event on the day",
        denominator="—",
        unit="creators per day",
        events=("any",),
        source=_SEGMENTS,
    ),
    Metric(
        key="wau",
        name="WAU",
        definition="Weekly active creators: distinct creators with at least one event in the 7 "
        "days ending on the period's last day (that day included).",
        numerator="creators with ≥ 1 event in the 7 days",
        denominator="—",
        unit="creators",
        events=("any",),
        source=_SEGMENTS,
    ),
    Metric(
        key="mau",
        name="MAU",
        definition="Monthly active creators: distinct creators with at least one event in the "
        "30 days ending on the period's last day (that day included).",
        numerator="creators with ≥ 1 event in the 30 days",
        denominator="—",
        unit="creators",
        events=("any",),
        source=_SEGMENTS,
    ),
    Metric(
        key="stickiness",
        name="Stickiness",
        definition="Average DAU divided by MAU: how many days of a month an active creator "
        "comes back, as a share.",
        numerator="average DAU",
        denominator="MAU",
        unit="ratio",
        events=("any",),
        source=_SEGMENTS,
    ),
    Metric(
        key="learning_creators",
        name="North Star: learning creators",
        definition="The North Star: distinct creators who completed at least one lesson in the "
        "period. Its inputs are Academy reach, clicking creators, starting creators and the "
        "three step rates between them (reach → click → start → complete).",
        numerator="creators with ≥ 1 lesson_complete",
        denominator="—",
        unit="creators",
        events=("lesson_complete",),
        source=_SEGMENTS,
    ),
    Metric(
        key="clicking_creators",
        name="Clicking creators",
        definition="North Star input: distinct creators who clicked at least one Academy item "
        "in the period.",
        numerator="creators with ≥ 1 click",
        denominator="—",
        unit="creators",
        events=("click",),
        source=_SEGMENTS,
    ),
    Metric(
        key="starting_creators",
        name="Starting creators",
        definition="North Star input: distinct creators who started at least one lesson in the "
        "period.",
        numerator="creators with ≥ 1 lesson_start",
        denominator="—",
        unit="creators",
        events=("lesson_start",),
        source=_SEGMENTS,
    ),
    Metric(
        key="reach_click_rate",
        name="Reach → click rate",
        definition="North Star input: clicking creators divided by Academy reach.",
        numerator="clicking creators",
        denominator="Academy reach",
        unit="ratio of creators",
        events=("impression", "click"),
        source=_SEGMENTS,
    ),
    Metric(
        key="click_start_rate",
        name="Click → start rate",
        definition="North Star input: starting creators divided by clicking creators.",
        numerator="starting creators",
        denominator="clicking creators",
        unit="ratio of creators",
        events=("click", "lesson_start"),
        source=_SEGMENTS,
    ),
    Metric(
        key="start_complete_rate",
        name="Start → complete rate",
        definition="North Star input: learning creators divided by starting creators.",
        numerator="learning creators",
        denominator="starting creators",
        unit="ratio of creators",
        events=("lesson_start", "lesson_complete"),
        source=_SEGMENTS,
    ),
    Metric(
        key="impressions",
        name="Impressions",
        definition="Impression events (an item at least half visible for one second) of "
        "signed-in creators, per entry point.",
        numerator="impression events",
        denominator="—",
        unit="events",
        events=("impression",),
        source=_COUNTS,
    ),
    Metric(
        key="clicks",
        name="Clicks",
        definition="Click events (a shown item opened) of signed-in creators, per entry point.",
        numerator="click events",
        denominator="—",
        unit="events",
        events=("click",),
        source=_COUNTS,
    ),
    Metric(
        key="ctr",
        name="CTR",
        definition="Click-through rate: clicks divided by impressions, both counted per entry "
        "point as events (a creator clicking twice counts twice). Empty when there were no "
        "impressions.",
        numerator="click events",
        denominator="impression events",
        unit="events",
        events=("impression", "click"),
        source=_COUNTS,
    ),
    Metric(
        key="lesson_starts",
        name="Lesson starts",
        definition="lesson_start events: a creator opening a lesson for the first time in a "
        "session.",
        numerator="lesson_start events",
        denominator="—",
        unit="events",
        events=("lesson_start",),
        source=_COUNTS,
    ),
    Metric(
        key="lesson_completions",
        name="Lesson completions",
        definition="lesson_complete events: a lesson watched or read to 90%, marked done, or "
        "its quiz passed.",
        numerator="lesson_complete events",
        denominator="—",
        unit="events",
        events=("lesson_complete",),
        source=_COUNTS,
    ),
    Metric(
        key="completion_rate",
        name="Completion rate",
        definition="Lesson completions divided by lesson starts in the same period and "
        "segment (events). A completion in the period of a lesson started before it counts, "
        "so a short period can show more than 100%.",
        numerator="lesson_complete events",
        denominator="lesson_start events",
        unit="events",
        events=("lesson_start", "lesson_complete"),
        source=_COUNTS,
    ),
    Metric(
        key="average_watch_percentage",
        name="Average watch percentage",
        definition="For each (creator, lesson) with at least one readable lesson_progress "
        "heartbeat in the period, the furthest `percent` reached (clamped to 0–100); the "
        "average of those. Per day, the same over that day's heartbeats.",
        numerator="sum of the furthest percent per (creator, lesson)",
        denominator="(creator, lesson) pairs with a heartbeat",
        unit="(creator, lesson) pairs",
        events=("lesson_progress",),
        source=_LESSONS,
    ),
    Metric(
        key="course_enrollments",
        name="Course enrollments",
        definition="Distinct (creator, course) pairs with an enroll event in the period.",
        numerator="(creator, course) pairs enrolled",
        denominator="—",
        unit="(creator, course) pairs",
        events=("enroll",),
        source=_LESSONS,
    ),
    Metric(
        key="course_completions",
        name="Course completions",
        definition="Distinct (creator, course) pairs whose badge was earned (badge_earned, "
        "item = the course) in the period, whenever they enrolled.",
        numerator="(creator, course) pairs with a badge",
        denominator="—",
        unit="(creator, course) pairs",
        events=("badge_earned",),
        source=_LESSONS,
    ),
    Metric(
        key="course_completion_rate",
        name="Course completion rate",
        definition="Of the (creator, course) pairs enrolled in the period, the share that also "
        "earned the course's badge in the period.",
        numerator="pairs enrolled and badged in the period",
        denominator="pairs enrolled in the period",
        unit="(creator, course) pairs",
        events=("enroll", "badge_earned"),
        source=_LESSONS,
    ),
    Metric(
        key="retention_n_day",
        name="N-day retention",
        definition="Cohorts are the creators whose first active day ever (any event, over all "
        "rollup history) falls in a week (Monday to Sunday, UTC) whose first active day is in "
        "the period. N-day retention of a cohort: the share active exactly N days after their "
        "first day. Only creators whose day N is on or before the period's last day count, "
        "in the numerator and the denominator; a cohort with none shows no value.",
        numerator="cohort creators active on first day + N",
        denominator="cohort creators whose first day + N ≤ the period's end",
        unit="creators",
        events=("any",),
        source="rollup creator_daily",
    ),
    Metric(
        key="retention_unbounded",
        name="Unbounded retention",
        definition="As N-day retention, but a creator counts as retained when active on day N "
        "after their first day or on any later day up to the period's end.",
        numerator="cohort creators active on any day ≥ first day + N",
        denominator="cohort creators whose first day + N ≤ the period's end",
        unit="creators",
        events=("any",),
        source="rollup creator_daily",
    ),
    Metric(
        key="funnel_conversion",
        name="Funnel conversion",
        definition="Ordered steps, each an event name with an optional entry point. A creator "
        "enters at their first step-1 event in the period. Strict order: step k is their first "
        "step-k event at or after step k−1 (equal timestamps count as in order) and no later "
        "than step 1 + the conversion window (an event exactly on the boundary counts). Any "
        "order: the window starts at the creator's first event of any step, and step k is "
        "reached when steps 1..k each have an event inside it. Every event must lie in the "
        "period. Conversion of step k: creators reaching it divided by creators reaching step "
        "k−1 (step conversion) and by step 1 (overall).",
        numerator="creators reaching step k",
        denominator="creators reaching step k−1 (or step 1)",
        unit="creators",
        events=("the steps' events",),
        source=_STEPS,
    ),
    Metric(
        key="funnel_time_to_convert",
        name="Time to convert",
        definition="For the creators reaching step k, the median time from entering the funnel "
        "to reaching step k (strict order: step k's event; any order: the last of steps 1..k).",
        numerator="median seconds",
        denominator="—",
        unit="creators",
        events=("the steps' events",),
        source=_STEPS,
    ),
    Metric(
        key="item_viewers",
        name="Viewers",
        definition="Per lesson: distinct creators who started it or sent a progress heartbeat "
        "for it in the period.",
        numerator="creators with lesson_start or lesson_progress",
        denominator="—",
        unit="creators",
        events=("lesson_start", "lesson_progress"),
        source=_LESSONS,
    ),
    Metric(
        key="item_completion_rate",
        name="Item completion rate",
        definition="Per lesson: viewers who also completed it in the period divided by its "
        "viewers.",
        numerator="viewers with lesson_complete",
        denominator="viewers",
        unit="creators",
        events=("lesson_start", "lesson_progress", "lesson_complete"),
        source=_LESSONS,
    ),
    Metric(
        key="drop_off_point",
        name="Drop-off point",
        definition="Per lesson: the median of the furthest `percent` reached by the viewers "
        "who did not complete it in the period (those with a heartbeat): where watchers stop.",
        numerator="median furthest percent of non-completing viewers",
        denominator="—",
        unit="creators",
        events=("lesson_progress", "lesson_complete"),
        source=_LESSONS,
    ),
    Metric(
        key="search_gaps",
        name="Search gaps",
        definition="Queries searched in the period that returned nothing (zero results) or "
        "whose searches were rarely followed by a click; as on the Search content-gaps page "
        "(academy.search.analytics.content_gaps).",
        numerator="searches with zero results; searches clicked",
        denominator="searches of the query",
        unit="searches",
        events=("search", "search_click"),
        source="the lake (search events)",
    ),
)

BY_KEY: dict[str, Metric] = {metric.key: metric for metric in METRICS}


def reference() -> str:
    """The generated reference section of docs/METRICS.md."""
    lines = []
    for metric in METRICS:
        lines += [
            f"#### {metric.name}",
            "",
            f"`{metric.key}` — {metric.definition}",
            "",
            f"- Numerator: {metric.numerator}",
            f"- Denominator: {metric.denominator}",
            f"- Unit of analysis: {metric.unit}",
            f"- Events: {', '.join(f'`{name}`' for name in metric.events)}",
            f"- Computed from: {metric.source}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
