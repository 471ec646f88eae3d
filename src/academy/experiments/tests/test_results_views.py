"""The results page of an experiment, on analyses of simulated creators: who may open it, the
empty state, the recommendation, metric tables with and without CUPED, the cumulative chart and
its table, dimension breakdowns, the snapshot picker, and the SRM and guardrail banners."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.core import clock
from academy.core.tests.helpers import signed_in, visible_text
from academy.experiments.analysis import ExperimentResults, Power
from academy.experiments.models import Assignment, Experiment
from academy.experiments.results_views import percent, power_lines
from academy.experiments.selectors import experiment_results
from academy.experiments.services import experiment_analyze, experiment_start
from academy.experiments.tests.factories import make_experiment, make_flag
from academy.simulation.services import (
    DEMO_EXPERIMENT,
    ExperimentEffect,
    demo_experiment_ensure,
    simulation_run,
)
from academy.simulation.tests.factories import make_simulation_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
RESULTS = f"/console/experiments/{DEMO_EXPERIMENT}/results/"


@pytest.fixture
def analyst() -> Client:
    return signed_in(make_staff_user(role=Role.ANALYST))


def simulated(experiment: Experiment, events_dir: Path, *, lift: float, days: int = 5) -> None:
    """Simulated creators use the Academy for ``days`` days with the experiment running."""
    make_simulation_catalog()
    simulation_run(
        creators=2_500,
        days=days,
        seed=13,
        events_dir=events_dir,
        rollups=True,
        experiment=ExperimentEffect(experiment.key, lift),
    )


def analysed(
    experiment: Experiment, events_dir: Path, day: date | None = None
) -> ExperimentResults:
    day = day or clock.now().date()
    snapshot = experiment_analyze(experiment=experiment, as_of=day, events_dir=events_dir)
    assert snapshot.status == "ok", snapshot.error
    results = experiment_results(experiment, as_of=day)
    assert results is not None
    return results


def demo(events_dir: Path, *, lift: float = 0.6) -> tuple[Experiment, ExperimentResults]:
    experiment = demo_experiment_ensure(started_at=clock.now() - timedelta(days=5))
    assert experiment is not None
    simulated(experiment, events_dir, lift=lift)
    return experiment, analysed(experiment, events_dir)


def chart_specs(html: str) -> dict[str, Any]:
    found = re.findall(r'<script id="(chart-[^"]+)" type="application/json">(.*?)</script>', html)
    return {key: json.loads(text) for key, text in found}


def test_only_console_staff_open_the_results() -> None:
    make_experiment()
    page = "/console/experiments/card-2026/results/"
    assert Client().get(page).status_code == 403
    assert signed_in(make_creator_user()).get(page).status_code == 403
    assert signed_in(make_staff_user(role=Role.EDITOR)).get(page).status_code == 403
    assert signed_in(make_staff_user(role=Role.ANALYST)).get(page).status_code == 200
    assert signed_in(make_staff_user(role=Role.ADMIN)).get(page).status_code == 200
    missing = signed_in(make_staff_user(role=Role.ANALYST)).get(
        "/console/experiments/no-such-test/results/"
    )
    assert missing.status_code == 404


def test_before_any_analysis_the_page_says_how_to_get_one(analyst: Client) -> None:
    experiment = make_experiment()
    experiment_start(experiment=experiment)
    for linking in ("/console/experiments/card-2026/", "/console/flags/"):
        page = analyst.get(linking).content.decode()
        assert 'href="/console/experiments/card-2026/results/"' in page  # linked once started
    text = visible_text(analyst.get("/console/experiments/card-2026/results/").content.decode())
    assert "No results yet" in text
    assert "academy experiments analyze card-2026" in text
    assert "Recommendation" not in text


def test_the_demo_experiment_shows_its_effect_chart_breakdowns_and_power(
    analyst: Client, events_dir: Path
) -> None:
    _experiment, results = demo(events_dir, lift=0.6)
    ctr = results.metric("for_you_ctr")
    assert ctr is not None
    (comparison,) = ctr.comparisons
    assert comparison.fixed.relative is not None
    assert comparison.fixed.relative.low > 0  # a +60 % true effect, found

    response = analyst.get(RESULTS)
    html = response.content.decode()
    text = visible_text(html)
    assert response.status_code == 200
    assert "Results: For You card design" in text
    decision = results.decisions[0]
    assert {"ship": "Ship: thumbnail", "keep_running": "Keep running"}[decision.action] in text
    assert "For You card CTR is significantly better." in text
    # The metric table: values per variation and the effect with its interval, as computed.
    relative = comparison.fixed.relative
    effect = f"+{percent(relative.estimate)} {percent(relative.low, signed=True)} to "
    assert f"Relative effect (95 % CI) {effect}".replace("\xa0", " ") in text
    assert "Always-valid interval (relative)" in text
    assert "Chance to beat control" in text
    assert f"classic {comparison.control.creators:,}" in text
    # The chart draws exactly the cumulative table's numbers, one point per day.
    specs = chart_specs(html)
    spec = specs["chart-for_you_ctr"]
    drawn = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    assert drawn["encoding"]["y"]["field"] == "effect"
    data = drawn.get("data") or spec["data"]
    rows = spec["datasets"][data["name"]] if "name" in data else data["values"]
    points = ctr.cumulative[0].points
    assert [row["effect"] for row in rows] == [
        point.relative.estimate for point in points if point.relative
    ]
    assert text.count("Cumulative effect by day") == len(results.metrics)
    assert 'src="/static/vendor/vega/vega-embed.min.js"' in html
    # Breakdowns by every dimension, and power.
    for dimension in ("Region", "Language", "Follower tier", "Platform"):
        assert f"{dimension} " in text
    assert "android" in text  # the platform the host app passed when it read the flags
    assert "Smallest effect detectable now (80 % power)" in text.replace("\xa0", " ")
    # The snapshot picker names the analysed day.
    assert f'<option value="{results.as_of.isoformat()}" selected>' in html


def test_cuped_can_be_switched_off(analyst: Client, events_dir: Path) -> None:
    _experiment, results = demo(events_dir, lift=0.0)
    lessons = results.metric("completed_lesson")
    assert lessons is not None
    (comparison,) = lessons.comparisons
    assert comparison.cuped_fixed is not None
    assert comparison.cuped_fixed.relative is not None
    assert comparison.fixed.relative is not None

    def shown(query: str) -> str:
        html = analyst.get(RESULTS + query).content.decode()
        card = html.split('id="metric-completed_lesson"')[1].split("</article>")[0]
        return visible_text(card).replace("\xa0", " ")

    adjusted, plain = shown(""), shown("?cuped=off")
    cuped_effect = percent(comparison.cuped_fixed.relative.estimate, signed=True)
    plain_effect = percent(comparison.fixed.relative.estimate, signed=True)
    assert f"Relative effect (95 % CI) {cuped_effect}".replace("\xa0", " ") in adjusted
    assert "Adjusted with CUPED" in adjusted
    assert f"Relative effect (95 % CI) {plain_effect}".replace("\xa0", " ") in plain
    assert "Adjusted with CUPED" not in plain
    # A Spanish reader gets the same figures with a decimal comma.
    analyst.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = visible_text(analyst.get(RESULTS).content.decode()).replace("\xa0", " ")
    with translation.override("es"):
        localized = percent(comparison.cuped_fixed.relative.estimate, signed=True)
    assert "," in localized
    assert localized.replace("\xa0", " ") in spanish


def test_an_older_snapshot_can_be_picked(analyst: Client, events_dir: Path) -> None:
    experiment, latest = demo(events_dir)
    older = analysed(experiment, events_dir, latest.as_of - timedelta(days=2))
    assert sum(v.creators for v in older.variations) < sum(v.creators for v in latest.variations)

    text = visible_text(analyst.get(f"{RESULTS}?date={older.as_of.isoformat()}").content.decode())
    assert f"to {older.as_of:%b}. {older.as_of.day}, {older.as_of.year}" in text
    creators = sum(v.creators for v in older.variations)
    assert f"{creators:,} creators" in text  # in the picker
    bad = analyst.get(f"{RESULTS}?date=yesterday")
    assert bad.status_code == 400
    assert "Choose a snapshot date from the list." in visible_text(bad.content.decode())
    odd = analyst.get(f"{RESULTS}?cuped=maybe")
    assert odd.status_code == 400
    assert "Choose with or without CUPED." in visible_text(odd.content.decode())


def test_a_sample_ratio_mismatch_is_flagged_and_blocks_the_decision(
    analyst: Client, events_dir: Path
) -> None:
    experiment = demo_experiment_ensure(started_at=clock.now() - timedelta(days=5))
    assert experiment is not None
    simulated(experiment, events_dir, lift=0.0)
    # A logging bug loses a third of the thumbnail creators' exposures.
    lost = Assignment.objects.filter(experiment=experiment, variation="thumbnail")
    lost.filter(pk__in=list(lost.values_list("pk", flat=True)[::3])).delete()
    results = analysed(experiment, events_dir)
    assert results.srm is not None
    assert results.srm.mismatch

    response = analyst.get(RESULTS)
    text = visible_text(response.content.decode())
    assert "Sample ratio mismatch" in text
    assert 'role="alert"' in response.content.decode()
    assert "Keep running" in text
    assert "does not match the weights (sample ratio mismatch)" in text


def test_a_guardrail_made_worse_is_flagged_and_rolled_back(
    analyst: Client, events_dir: Path
) -> None:
    experiment = make_experiment(
        flag=make_flag(),
        primary_metrics=["completed_lesson"],
        guardrail_metrics=["for_you_ctr"],
    )
    experiment_start(experiment=experiment, at=clock.now() - timedelta(days=5))
    simulated(experiment, events_dir, lift=-0.6)
    results = analysed(experiment, events_dir)
    assert results.decisions[0].action == "roll_back"

    text = visible_text(analyst.get("/console/experiments/card-2026/results/").content.decode())
    assert "A guardrail fails" in text
    assert "For You card CTR (treatment-1)" in text
    assert "Roll back: treatment-1" in text
    assert "Guardrail For You card CTR is worse than its margin allows." in text


def test_a_failed_analysis_shows_why(analyst: Client, events_dir: Path) -> None:
    flagged = make_experiment(primary_metrics=["for_you_ctr"])
    experiment_start(experiment=flagged, at=clock.now() - timedelta(days=2))
    snapshot = experiment_analyze(
        experiment=flagged, as_of=clock.now().date(), events_dir=events_dir
    )
    assert snapshot.status == "failed"

    text = visible_text(analyst.get("/console/experiments/card-2026/results/").content.decode())
    assert "This analysis failed" in text
    assert snapshot.error in text
    assert "failed" in text  # in the picker too


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (0, "Enough creators to detect a 5.0 % effect."),
        (12, "About 12 more days to detect a 5.0 % effect."),
        (
            2537,
            "At today's rate of new creators, a 5.0 % effect would take more than a year to "
            "detect: plan for a larger effect or more creators.",
        ),
    ],
)
def test_power_says_how_long_to_wait_or_that_waiting_is_not_a_plan(days: int, said: str) -> None:
    power = Power(
        target_effect=0.05,
        minimum_detectable_effect=0.2,
        required_per_variation=10_000,
        days_remaining=days,
    )
    lines = [line.replace("\xa0", " ") for line in power_lines(power)]
    assert lines[-1] == said
    assert lines[0] == "Smallest effect detectable now (80 % power): 20.0 %."
