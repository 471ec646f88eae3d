"""A starting metrics catalog: the For You card, learning, enrolment, return, a guardrail."""

from __future__ import annotations

from typing import Any

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import timezone

CATALOG: list[dict[str, Any]] = [
    {
        "key": "for_you_ctr",
        "name": "For You card CTR",
        "description": "Clicks per impression of For You cards in the 7 days from exposure.",
        "kind": "ratio",
        "numerator": "clicks",
        "numerator_entry_point": "for_you_card",
        "denominator": "impressions",
        "denominator_entry_point": "for_you_card",
    },
    {
        "key": "lesson_completions",
        "name": "Lessons completed per creator",
        "description": "Lessons a creator completed in the 7 days from exposure, capped at the "
        "99th percentile so a few binge learners do not decide the result.",
        "kind": "mean",
        "numerator": "lesson_completes",
        "capping": "percentile",
        "cap_value": 0.99,
    },
    {
        "key": "completed_lesson",
        "name": "Completed a lesson",
        "description": "Share of creators who completed at least one lesson in the 7 days from "
        "exposure.",
        "kind": "proportion",
        "numerator": "lesson_completes",
    },
    {
        "key": "enrolled",
        "name": "Enrolled in a course",
        "description": "Share of creators who enrolled in a course in the 7 days from exposure.",
        "kind": "proportion",
        "numerator": "enrolls",
    },
    {
        "key": "active_days",
        "name": "Active days",
        "description": "Days with any activity in the 7 days from exposure.",
        "kind": "mean",
        "numerator": "active_days",
    },
    {
        "key": "returned_second_week",
        "name": "Returned in the second week",
        "description": "Share of creators active again 7 to 13 days after exposure.",
        "kind": "proportion",
        "numerator": "active_days",
        "delay_days": 7,
    },
    {
        "key": "not_interested_rate",
        "name": "“Not interested” rate",
        "description": "“Not interested” taps per For You card impression. A guardrail: it may "
        "not rise by more than 5 %.",
        "kind": "ratio",
        "numerator": "not_interested",
        "numerator_entry_point": "for_you_card",
        "denominator": "impressions",
        "denominator_entry_point": "for_you_card",
        "lower_is_better": True,
        "guardrail": True,
        "guardrail_margin": 0.05,
    },
]


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Metric = apps.get_model("experiments", "Metric")
    now = timezone.now()
    for fields in CATALOG:
        Metric.objects.get_or_create(
            key=fields["key"],
            defaults={**fields, "created_at": now, "updated_at": now},
        )


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Metric = apps.get_model("experiments", "Metric")
    Metric.objects.filter(key__in=[fields["key"] for fields in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("experiments", "0002_metrics_snapshots")]

    operations = [migrations.RunPython(seed, unseed)]
