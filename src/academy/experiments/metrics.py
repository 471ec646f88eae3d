"""The metrics catalog: what a metric may be, checked, and how the pipeline sees it.

`check_metric_input` is the one place a metric's fields are validated (the console form and the
services use it); `metric_spec` turns a stored `Metric` into the pipeline's `MetricSpec`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from academy.core.errors import ValidationFailed
from academy.events.taxonomy import ENTRY_POINTS, ITEM_KINDS
from academy.experiments.models import Capping, Metric, MetricColumn, MetricKind
from academy.experiments.pipeline import Count, MetricSpec

MAX_WINDOW_DAYS = 90
MAX_DELAY_DAYS = 90


@dataclass(frozen=True)
class MetricInput:
    """What staff set on a metric; the key is given at creation only."""

    name: str
    kind: str
    numerator: str
    description: str = ""
    numerator_entry_point: str = ""
    numerator_item_kind: str = ""
    denominator: str = ""
    denominator_entry_point: str = ""
    denominator_item_kind: str = ""
    window_days: int = 7
    delay_days: int = 0
    capping: str = Capping.NONE
    cap_value: float | None = None
    lower_is_better: bool = False
    guardrail: bool = False
    guardrail_margin: float = 0.02
    target_effect: float = 0.05


def _fail(field: str, summary: str, detail: str) -> ValidationFailed:
    return ValidationFailed(summary, errors={field: detail})


def _check_filter(value: str, field: str) -> str:
    value = value.strip()
    allowed = ITEM_KINDS if field.endswith("item_kind") else ENTRY_POINTS
    if value and value not in allowed:
        raise _fail(
            field,
            _("“%(value)s” is not one of the options.") % {"value": value},
            _("Choose one of: %(options)s.") % {"options": ", ".join(allowed)},
        )
    return value


def check_metric_input(data: MetricInput) -> dict[str, object]:
    """The metric's fields from `data`, checked; raises `ValidationFailed` naming the field."""
    if not data.name.strip():
        raise _fail("name", _("Name the metric."), _("This field is required."))
    if data.kind not in MetricKind.values:
        raise _fail(
            "kind",
            _("“%(value)s” is not one of the options.") % {"value": data.kind},
            _("Choose one of the offered options."),
        )
    if data.numerator not in MetricColumn.values:
        raise _fail(
            "numerator",
            _("“%(value)s” is not one of the options.") % {"value": data.numerator},
            _("Choose what the metric counts."),
        )
    numerator_entry_point = _check_filter(data.numerator_entry_point, "numerator_entry_point")
    numerator_item_kind = _check_filter(data.numerator_item_kind, "numerator_item_kind")
    denominator = data.denominator.strip()
    denominator_entry_point = _check_filter(data.denominator_entry_point, "denominator_entry_point")
    denominator_item_kind = _check_filter(data.denominator_item_kind, "denominator_item_kind")
    if data.kind == MetricKind.RATIO:
        if denominator not in MetricColumn.values:
            raise _fail(
                "denominator",
                _("A ratio needs a denominator."),
                _("Choose what the metric divides by."),
            )
    elif denominator or denominator_entry_point or denominator_item_kind:
        raise _fail(
            "denominator",
            _("Only a ratio has a denominator."),
            _("Leave the denominator empty, or make the metric a ratio."),
        )
    for column, entry_point, item_kind, field in (
        (data.numerator, numerator_entry_point, numerator_item_kind, "numerator"),
        (denominator, denominator_entry_point, denominator_item_kind, "denominator"),
    ):
        if column == MetricColumn.ACTIVE_DAYS and (entry_point or item_kind):
            raise _fail(
                field,
                _("Active days cannot be limited to an entry point or item kind."),
                _("Count a column (clicks, lessons…) for an entry point, or remove the filter."),
            )
    if not (1 <= data.window_days <= MAX_WINDOW_DAYS):
        raise _fail(
            "window_days",
            _("The window must last 1 to %(max)d days.") % {"max": MAX_WINDOW_DAYS},
            _("Give a number of days from 1 to %(max)d.") % {"max": MAX_WINDOW_DAYS},
        )
    if not (0 <= data.delay_days <= MAX_DELAY_DAYS):
        raise _fail(
            "delay_days",
            _("The delay must be 0 to %(max)d days.") % {"max": MAX_DELAY_DAYS},
            _("Give a number of days from 0 to %(max)d.") % {"max": MAX_DELAY_DAYS},
        )
    if data.capping not in Capping.values:
        raise _fail(
            "capping",
            _("“%(value)s” is not one of the options.") % {"value": data.capping},
            _("Choose one of the offered options."),
        )
    cap_value = data.cap_value
    if data.capping == Capping.NONE:
        cap_value = None
    elif data.kind == MetricKind.PROPORTION:
        raise _fail(
            "capping",
            _("A proportion is 0 or 1 per creator: there is nothing to cap."),
            _("Choose “No capping” for a proportion."),
        )
    elif data.capping == Capping.ABSOLUTE and not (
        cap_value is not None and math.isfinite(cap_value) and cap_value > 0
    ):
        raise _fail(
            "cap_value",
            _("Give the value per creator to cap at."),
            _("Give a number above 0."),
        )
    elif data.capping == Capping.PERCENTILE and not (cap_value is not None and 0 < cap_value < 1):
        raise _fail(
            "cap_value",
            _("Give the percentile to cap at as a fraction, e.g. 0.99."),
            _("Give a number between 0 and 1."),
        )
    if not (math.isfinite(data.guardrail_margin) and 0 <= data.guardrail_margin < 1):
        raise _fail(
            "guardrail_margin",
            _("The guardrail margin is a relative change from 0 to 1 (0.02 = 2 %)."),
            _("Give a number from 0 up to 1."),
        )
    if not (math.isfinite(data.target_effect) and 0 < data.target_effect < 10):
        raise _fail(
            "target_effect",
            _("The effect to detect is a relative change above 0 (0.05 = 5 %)."),
            _("Give a number above 0, such as 0.05."),
        )
    return {
        "name": data.name.strip(),
        "description": data.description.strip(),
        "kind": data.kind,
        "numerator": data.numerator,
        "numerator_entry_point": numerator_entry_point,
        "numerator_item_kind": numerator_item_kind,
        "denominator": denominator if data.kind == MetricKind.RATIO else "",
        "denominator_entry_point": denominator_entry_point,
        "denominator_item_kind": denominator_item_kind,
        "window_days": data.window_days,
        "delay_days": data.delay_days,
        "capping": data.capping,
        "cap_value": cap_value,
        "lower_is_better": data.lower_is_better,
        "guardrail": data.guardrail,
        "guardrail_margin": data.guardrail_margin,
        "target_effect": data.target_effect,
    }


def metric_spec(metric: Metric, *, guardrail: bool | None = None) -> MetricSpec:
    """The pipeline's view of a catalog metric (`guardrail` overrides the metric's own flag:
    an experiment decides which of its metrics are guardrails)."""
    denominator = (
        Count(metric.denominator, metric.denominator_entry_point, metric.denominator_item_kind)
        if metric.kind == MetricKind.RATIO
        else None
    )
    return MetricSpec(
        key=metric.key,
        name=metric.name,
        kind=metric.kind,  # type: ignore[arg-type]
        numerator=Count(metric.numerator, metric.numerator_entry_point, metric.numerator_item_kind),
        denominator=denominator,
        window_days=metric.window_days,
        delay_days=metric.delay_days,
        capping=metric.capping,  # type: ignore[arg-type]
        cap_value=metric.cap_value,
        lower_is_better=metric.lower_is_better,
        guardrail=metric.guardrail if guardrail is None else guardrail,
        guardrail_margin=metric.guardrail_margin,
        target_effect=metric.target_effect,
    )
