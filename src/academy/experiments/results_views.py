"""The console's results page of an experiment: /console/experiments/<key>/results/.

Thin: read the chosen snapshot (`selectors.experiment_results`) and turn its typed results into
what the template shows — the recommendation with its reasons, SRM and guardrail banners, a card
per metric (values, effects with intervals, p-values and chance to win, with or without CUPED,
the sequential interval), the cumulative-effect chart with its table, dimension breakdowns and
power. Numbers are formatted here, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from academy.experiments.analysis import (
    Bayesian,
    Comparison,
    ExperimentResults,
    Frequentist,
    Interval,
    MetricResult,
    Power,
    SnapshotSummary,
)
from academy.experiments.charts import cumulative_chart, cumulative_rows, relative_scale
from academy.experiments.models import Experiment
from academy.experiments.selectors import experiment_get, experiment_results, experiment_snapshots
from academy.experiments.views import _found, console_required

DIMENSION_LABELS = {
    "region": gettext_lazy("Region"),
    "language": gettext_lazy("Language"),
    "follower_tier": gettext_lazy("Follower tier"),
    "platform": gettext_lazy("Platform"),
}
ACTION_LABELS = {
    "ship": gettext_lazy("Ship"),
    "roll_back": gettext_lazy("Roll back"),
    "keep_running": gettext_lazy("Keep running"),
}
VERDICT_LABELS = {
    "better": gettext_lazy("Better"),
    "worse": gettext_lazy("Worse"),
    "inconclusive": gettext_lazy("Inconclusive"),
}


# ---------------------------------------------------------------------------------------------
# Numbers as the page writes them


def _number(value: float, places: int) -> str:
    return number_format(
        round(value, places), decimal_pos=places, use_l10n=True, force_grouping=True
    )


def percent(value: float | None, *, signed: bool = False, places: int = 1) -> str:
    """0.0812 -> "8.1 %" ("+8.1 %" signed), in the reader's number format."""
    if value is None:
        return "–"
    text = _number(value * 100, places) + "\u00a0%"
    return f"+{text}" if signed and value > 0 else text.replace("-", "−")


def p_value_text(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.001:
        return "< " + _number(0.001, 3)
    return _number(value, 3)


@dataclass(frozen=True)
class Scale:
    """How a metric's values and absolute effects read: rates as percentages (effects in
    percentage points), other values as plain numbers."""

    rate: bool

    def value(self, value: float | None) -> str:
        if value is None:
            return "–"
        return percent(value, places=2) if self.rate else _number(value, 3)

    def absolute(self, value: float) -> str:
        text = f"{_number(value * 100, 2)}\u00a0{_('pp')}" if self.rate else _number(value, 3)
        return f"+{text}" if value > 0 else text.replace("-", "−")


def _scale(metric: MetricResult) -> Scale:
    """Proportions are rates; so is a ratio whose every value lies in [0, 1] (clicks per
    impression); means and other ratios are plain numbers."""
    if metric.kind == "proportion":
        return Scale(rate=True)
    values = [arm.value for arm in metric.arms if arm.value is not None]
    return Scale(rate=metric.kind == "ratio" and bool(values) and all(0 <= v <= 1 for v in values))


@dataclass(frozen=True)
class Cell:
    """A figure and, under it, its interval ("" for none)."""

    value: str
    interval: str = ""


def _interval_cell(interval: Interval | None, formatter: Any) -> Cell:
    if interval is None:
        return Cell("–")
    return Cell(
        formatter(interval.estimate),
        _("%(low)s to %(high)s")
        % {"low": formatter(interval.low), "high": formatter(interval.high)},
    )


def _relative(value: float) -> str:
    return percent(value, signed=True)


# ---------------------------------------------------------------------------------------------
# What the template shows


@dataclass(frozen=True)
class Row:
    label: str
    values: list[Cell]  # one per treatment
    help: str = ""


@dataclass(frozen=True)
class CumulativeRow:
    day: str
    variation: str  # "" with a single treatment
    creators: str
    effect: Cell


@dataclass(frozen=True)
class MetricCard:
    key: str
    name: str
    role: str
    direction: str
    window: str
    error: str
    arms: list[tuple[str, str, str]]  # variation, creators, value
    treatments: list[str]
    verdicts: list[tuple[str, str, str]]  # (variation, verdict code, label) per treatment
    rows: list[Row]
    cuped_note: str
    chart: dict[str, Any] | None
    chart_id: str
    cumulative_headers: list[str]
    cumulative: list[CumulativeRow]
    dimensions: list[dict[str, Any]]
    power: list[str]


@dataclass(frozen=True)
class Recommendation:
    variation: str
    action: str
    label: str
    reasons: list[str]


@dataclass
class ResultsPage:
    experiment: Experiment
    results: ExperimentResults | None
    snapshots: list[SnapshotSummary]
    chosen: SnapshotSummary | None
    cuped: bool
    cuped_available: bool = False
    recommendations: list[Recommendation] = field(default_factory=list)
    srm: str = ""
    guardrails_harmed: list[str] = field(default_factory=list)
    guardrails_pending: list[str] = field(default_factory=list)
    cards: list[MetricCard] = field(default_factory=list)
    variations: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def snapshot_options(self) -> list[tuple[str, str, bool]]:
        """The picker's (value, label, selected) per snapshot, newest first."""
        options = []
        for snapshot in self.snapshots:
            day = date_format(snapshot.date, "SHORT_DATE_FORMAT")
            if snapshot.status == "failed":
                label = _("%(day)s — failed") % {"day": day}
            else:
                label = ngettext(
                    "%(day)s — %(creators)s creator",
                    "%(day)s — %(creators)s creators",
                    snapshot.creators,
                ) % {"day": day, "creators": _number(snapshot.creators, 0)}
            options.append((snapshot.date.isoformat(), label, snapshot == self.chosen))
        return options


class ResultsFilter(forms.Form):
    date = forms.DateField(required=False)
    cuped = forms.ChoiceField(choices=[("on", "on"), ("off", "off")], required=False)


def _reason_text(code: str, metric: str | None, names: dict[str, str]) -> str:
    name = names.get(metric or "", metric or "")
    texts = {
        "sample_ratio_mismatch": _(
            "The split of creators between the variations does not match the weights (sample "
            "ratio mismatch): find the cause before trusting any number."
        ),
        "guardrail_harmed": _("Guardrail %(metric)s is worse than its margin allows."),
        "guardrail_inconclusive": _(
            "Guardrail %(metric)s is not yet shown to stay within its margin."
        ),
        "guardrails_hold": _("Every guardrail stays within its margin."),
        "primary_worse": _("%(metric)s is significantly worse."),
        "primary_better": _("%(metric)s is significantly better."),
        "primary_inconclusive": _("%(metric)s shows no significant difference yet."),
    }
    text = texts.get(code, code)
    return text % {"metric": name} if "%(metric)s" in text else text


def _frequentist(comparison: Comparison, cuped: bool) -> tuple[Frequentist, Frequentist, Bayesian]:
    if (
        cuped
        and comparison.cuped_fixed
        and comparison.cuped_sequential
        and comparison.cuped_bayesian
    ):
        return comparison.cuped_fixed, comparison.cuped_sequential, comparison.cuped_bayesian
    return comparison.fixed, comparison.sequential, comparison.bayesian


def _rows(metric: MetricResult, scale: Scale, cuped: bool) -> list[Row]:
    fixed, sequential, bayesian = zip(
        *(_frequentist(comparison, cuped) for comparison in metric.comparisons), strict=True
    )
    comparisons = metric.comparisons
    rows = [
        Row(
            _("Relative effect (95 % CI)"),
            [_interval_cell(result.relative, _relative) for result in fixed],
        ),
        Row(
            _("Absolute effect (95 % CI)"),
            [_interval_cell(result.absolute, scale.absolute) for result in fixed],
        ),
        Row(
            _("Always-valid interval (relative)"),
            [
                _interval_cell(result.relative, _relative)
                if result.relative is not None
                else _interval_cell(result.absolute, scale.absolute)
                for result in sequential
            ],
            _("Valid however often it is read; the recommendation uses it."),
        ),
        Row(_("p-value"), [Cell(p_value_text(result.p_value)) for result in fixed]),
        Row(
            _("p-value, sequential"),
            [Cell(p_value_text(result.p_value)) for result in sequential],
        ),
    ]
    if any(comparison.adjusted_p_value is not None for comparison in comparisons):
        rows.append(
            Row(
                _("Adjusted p-value (Holm)"),
                [Cell(p_value_text(comparison.adjusted_p_value)) for comparison in comparisons],
                _("Corrected for several metrics and variations."),
            )
        )
    rows.append(
        Row(
            _("Chance to beat control"),
            [Cell(percent(result.chance_to_beat_control)) for result in bayesian],
        )
    )
    if metric.role == "guardrail":
        rows.append(
            Row(
                _("Worst case (one-sided bound)"),
                [
                    Cell(
                        _relative(comparison.non_inferiority.worst_case),
                        _("margin %(margin)s")
                        % {"margin": percent(comparison.non_inferiority.margin)},
                    )
                    if comparison.non_inferiority is not None
                    else Cell("–")
                    for comparison in comparisons
                ],
            )
        )
    return rows


@dataclass(frozen=True)
class SliceRow:
    label: str
    creators: str
    control: str
    treatment: str
    effect: Cell
    p_value: str


def _dimensions(metric: MetricResult, scale: Scale) -> list[dict[str, Any]]:
    found: dict[str, list[SliceRow]] = {}
    for piece in metric.dimensions:
        rows = found.setdefault(piece.dimension, [])
        value = _("Other") if piece.value == "other" else piece.value
        creators = _number(piece.creators, 0)
        if not piece.comparisons:
            rows.append(SliceRow(value, creators, "–", "–", Cell(piece.error or "–"), "–"))
            continue
        for comparison in piece.comparisons:
            rows.append(
                SliceRow(
                    value if len(metric.comparisons) == 1 else f"{value} · {comparison.variation}",
                    creators,
                    scale.value(comparison.control.value),
                    scale.value(comparison.treatment.value),
                    _interval_cell(comparison.relative, _relative)
                    if comparison.relative is not None
                    else _interval_cell(comparison.absolute, scale.absolute),
                    p_value_text(comparison.adjusted_p_value),
                )
            )
    return [
        {"key": dimension, "label": DIMENSION_LABELS.get(dimension, dimension), "rows": rows}
        for dimension, rows in found.items()
    ]


# Beyond this many days an estimate of days remaining is not a plan (nobody runs a test that
# long), so the page says so instead of printing the number.
LONGEST_PLAN_DAYS = 365


def power_lines(power: Power | None) -> list[str]:
    """What the results page says about a metric's power."""
    if power is None:
        return []
    lines = []
    if power.minimum_detectable_effect is not None:
        lines.append(
            _("Smallest effect detectable now (80 %% power): %(effect)s.")
            % {"effect": percent(power.minimum_detectable_effect)}
        )
    target = percent(power.target_effect)
    if power.days_remaining == 0:
        lines.append(_("Enough creators to detect a %(effect)s effect.") % {"effect": target})
    elif power.days_remaining is not None and power.days_remaining > LONGEST_PLAN_DAYS:
        lines.append(
            _(
                "At today's rate of new creators, a %(effect)s effect would take more than a "
                "year to detect: plan for a larger effect or more creators."
            )
            % {"effect": target}
        )
    elif power.days_remaining is not None:
        lines.append(
            _("About %(days)s more days to detect a %(effect)s effect.")
            % {"days": _number(power.days_remaining, 0), "effect": target}
        )
    elif power.required_per_variation is not None:
        lines.append(
            _("%(creators)s creators per variation are needed to detect a %(effect)s effect.")
            % {"creators": _number(power.required_per_variation, 0), "effect": target}
        )
    return lines


def _card(metric: MetricResult, cuped: bool) -> MetricCard:
    scale = _scale(metric)
    treatments = [comparison.variation for comparison in metric.comparisons]
    chart = cumulative_chart(metric) if metric.cumulative else None
    relative = relative_scale(metric)
    formatter = _relative if relative else scale.absolute
    several = len(metric.comparisons) > 1
    cumulative = [
        CumulativeRow(
            day=date_format(date.fromisoformat(row["day"]), "SHORT_DATE_FORMAT"),
            variation=row["variation"] if several else "",
            creators=_number(row["creators"], 0),
            effect=Cell(
                formatter(row["effect"]),
                _("%(low)s to %(high)s")
                % {"low": formatter(row["low"]), "high": formatter(row["high"])},
            ),
        )
        for row in cumulative_rows(metric)
    ]
    reductions = [
        comparison.cuped_variance_reduction
        for comparison in metric.comparisons
        if comparison.cuped_variance_reduction is not None
    ]
    cuped_note = ""
    if cuped and reductions:
        cuped_note = _(
            "Adjusted with CUPED on each creator's value before exposure: variance %(reduction)s "
            "lower."
        ) % {"reduction": percent(max(reductions))}
    return MetricCard(
        key=metric.key,
        name=metric.name,
        role=_("Guardrail") if metric.role == "guardrail" else _("Primary metric"),
        direction=_("lower is better") if metric.lower_is_better else _("higher is better"),
        window=_("%(window)s days after exposure") % {"window": metric.window_days}
        if not metric.delay_days
        else _("%(window)s days, from %(delay)s days after exposure")
        % {"window": metric.window_days, "delay": metric.delay_days},
        error=metric.error,
        arms=[
            (arm.variation, _number(arm.creators, 0), scale.value(arm.value)) for arm in metric.arms
        ],
        treatments=treatments,
        verdicts=[
            (comparison.variation, comparison.verdict, str(VERDICT_LABELS[comparison.verdict]))
            for comparison in metric.comparisons
        ],
        rows=_rows(metric, scale, cuped) if metric.comparisons else [],
        cuped_note=cuped_note,
        chart=chart,
        chart_id=f"chart-{metric.key}",
        cumulative_headers=[
            _("Day"),
            *([_("Variation")] if several else []),
            _("Creators"),
            _("Relative effect (always-valid interval)")
            if relative
            else _("Absolute effect (always-valid interval)"),
        ],
        cumulative=cumulative,
        dimensions=_dimensions(metric, scale),
        power=power_lines(metric.power),
    )


def results_page(experiment: Experiment, *, as_of: date | None, cuped: bool) -> ResultsPage:
    snapshots = experiment_snapshots(experiment)
    chosen = next((s for s in snapshots if s.date == as_of), None) if as_of else None
    if chosen is None:
        chosen = next(
            (s for s in snapshots if s.status == "ok"), snapshots[0] if snapshots else None
        )
    results = experiment_results(experiment, as_of=chosen.date) if chosen else None
    page = ResultsPage(
        experiment=experiment, results=results, snapshots=snapshots, chosen=chosen, cuped=cuped
    )
    if results is None:
        return page
    names = {metric.key: metric.name for metric in results.metrics}
    page.cuped_available = any(
        comparison.cuped_fixed is not None
        for metric in results.metrics
        for comparison in metric.comparisons
    )
    page.recommendations = [
        Recommendation(
            variation=decision.variation,
            action=decision.action,
            label=str(ACTION_LABELS[decision.action]),
            reasons=[_reason_text(r.code, r.metric, names) for r in decision.reasons],
        )
        for decision in results.decisions
    ]
    if results.srm is not None and results.srm.mismatch:
        page.srm = _(
            "Sample ratio mismatch: %(observed)s creators where the weights expect %(expected)s "
            "(p = %(p)s). Something assigns or logs creators unevenly; the results cannot be "
            "trusted until the cause is found."
        ) % {
            "observed": " / ".join(_number(n, 0) for n in results.srm.observed),
            "expected": " / ".join(_number(n, 0) for n in results.srm.expected),
            "p": p_value_text(results.srm.p_value),
        }
    for metric in results.guardrails:
        for comparison in metric.comparisons:
            check = comparison.non_inferiority
            if check is None:
                continue
            label = _("%(metric)s (%(variation)s)") % {
                "metric": metric.name,
                "variation": comparison.variation,
            }
            if check.inferior:
                page.guardrails_harmed.append(label)
            elif not check.non_inferior:
                page.guardrails_pending.append(label)
    page.cards = [_card(metric, cuped) for metric in results.metrics]
    total = sum(variation.creators for variation in results.variations) or 1
    page.variations = [
        (
            variation.key,
            variation.name,
            percent(variation.weight, places=0),
            _("%(creators)s (%(share)s)")
            % {
                "creators": _number(variation.creators, 0),
                "share": percent(variation.creators / total),
            },
        )
        for variation in results.variations
    ]
    return page


@console_required
@require_GET
def experiment_results_page(request: HttpRequest, key: str) -> HttpResponse:
    experiment = _found(experiment_get, key=key)
    choice = ResultsFilter(request.GET)
    as_of = cuped_choice = None
    if choice.is_valid():
        as_of = choice.cleaned_data["date"]
        cuped_choice = choice.cleaned_data["cuped"] or None
    page = results_page(experiment, as_of=as_of, cuped=cuped_choice != "off")
    return render(
        request,
        "experiments/results.html",
        {"page": page, "experiment": experiment, "filter_errors": choice.errors},
        status=200 if choice.is_valid() else 400,
    )
