"""The metrics catalog: the seeded metrics, each validation rule, and experiments naming metrics."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.core.errors import AcademyError, Conflict, ValidationFailed
from academy.core.tests.helpers import signed_in, visible_text
from academy.experiments.metrics import MetricInput, metric_spec
from academy.experiments.models import Metric
from academy.experiments.pipeline import Count
from academy.experiments.services import experiment_update, metric_create, metric_update
from academy.experiments.tests.factories import experiment_input, make_experiment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

SEEDED = {
    "for_you_ctr",
    "lesson_completions",
    "completed_lesson",
    "enrolled",
    "active_days",
    "returned_second_week",
    "not_interested_rate",
}

RATIO = MetricInput(
    name="Search CTR",
    kind="ratio",
    numerator="clicks",
    numerator_entry_point="search",
    denominator="impressions",
    denominator_entry_point="search",
)


def refused(error: pytest.ExceptionInfo[AcademyError], field: str) -> str:
    assert field in error.value.errors, error.value.errors
    return error.value.detail


def as_input(metric: Metric) -> MetricInput:
    fields = {name: getattr(metric, name) for name in MetricInput.__dataclass_fields__}
    return MetricInput(**fields)


def test_the_catalog_starts_with_the_seeded_metrics_and_each_is_valid() -> None:
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    assert set(metrics) >= SEEDED
    for metric in metrics.values():
        metric_update(metric=metric, data=as_input(metric))  # every seeded metric passes
    guardrail = metrics["not_interested_rate"]
    assert guardrail.guardrail
    assert guardrail.lower_is_better
    spec = metric_spec(metrics["for_you_ctr"])
    assert spec.kind == "ratio"
    assert spec.numerator == Count("clicks", entry_point="for_you_card")
    assert spec.denominator == Count("impressions", entry_point="for_you_card")


def test_a_ratio_metric_is_created_with_its_filters() -> None:
    metric = metric_create(key="search_ctr", data=RATIO)
    assert (metric.kind, metric.numerator_entry_point, metric.denominator) == (
        "ratio",
        "search",
        "impressions",
    )
    assert metric_spec(metric, guardrail=True).guardrail


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"kind": "median"}, "kind"),
        ({"numerator": "likes"}, "numerator"),
        ({"denominator": ""}, "denominator"),
        ({"kind": "mean"}, "denominator"),  # only a ratio has a denominator
        ({"numerator_entry_point": "homepage"}, "numerator_entry_point"),
        ({"numerator_item_kind": "video"}, "numerator_item_kind"),
        ({"numerator": "active_days"}, "numerator"),  # active days per entry point
        ({"window_days": 0}, "window_days"),
        ({"window_days": 91}, "window_days"),
        ({"delay_days": -1}, "delay_days"),
        ({"capping": "absolute", "cap_value": None}, "cap_value"),
        ({"capping": "absolute", "cap_value": -3.0}, "cap_value"),
        ({"capping": "percentile", "cap_value": 99.0}, "cap_value"),
        ({"capping": "sometimes"}, "capping"),
        ({"guardrail_margin": 1.5}, "guardrail_margin"),
        ({"target_effect": 0.0}, "target_effect"),
    ],
)
def test_bad_metric_settings_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        metric_create(key="search_ctr", data=replace(RATIO, **changes))
    assert refused(error, field)
    assert not Metric.objects.filter(key="search_ctr").exists()


def test_a_proportion_cannot_be_capped() -> None:
    data = MetricInput(
        name="Clicked", kind="proportion", numerator="clicks", capping="percentile", cap_value=0.9
    )
    with pytest.raises(ValidationFailed) as error:
        metric_create(key="clicked", data=data)
    assert "nothing to cap" in refused(error, "capping")


@pytest.mark.parametrize("key", ["", "Search CTR", "-ctr", "k" * 65])
def test_metric_keys_are_slug_like(key: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        metric_create(key=key, data=RATIO)
    refused(error, "key")


def test_metric_keys_are_unique() -> None:
    with pytest.raises(Conflict) as error:
        metric_create(key="for_you_ctr", data=RATIO)
    assert "exists already" in refused(error, "key")
    assert Metric.objects.get(key="for_you_ctr").name == "For You card CTR"


def test_a_bad_update_leaves_the_metric_as_it_was() -> None:
    metric = Metric.objects.get(key="lesson_completions")
    with pytest.raises(ValidationFailed):
        metric_update(metric=metric, data=replace(as_input(metric), window_days=0))
    metric.refresh_from_db()
    assert metric.window_days == 7
    metric_update(metric=metric, data=replace(as_input(metric), window_days=14))
    metric.refresh_from_db()
    assert metric.window_days == 14


def test_experiments_name_metrics_of_the_catalog() -> None:
    experiment = make_experiment(
        primary_metrics=["for_you_ctr"], guardrail_metrics=["not_interested_rate"]
    )
    assert experiment.primary_metrics == ["for_you_ctr"]
    with pytest.raises(ValidationFailed) as error:
        experiment_update(
            experiment=experiment, data=experiment_input(guardrail_metrics=["crash_rate"])
        )
    assert "crash_rate" in refused(error, "guardrail_metrics")
    with pytest.raises(ValidationFailed) as error:
        make_experiment("other", flag=experiment.flag, primary_metrics=["watch_time"])
    assert "watch_time" in refused(error, "primary_metrics")
    with pytest.raises(ValidationFailed) as error:
        experiment_update(
            experiment=experiment,
            data=experiment_input(
                primary_metrics=["for_you_ctr"], guardrail_metrics=["for_you_ctr"]
            ),
        )
    assert "both a primary metric and a guardrail" in refused(error, "guardrail_metrics")


# ---------------------------------------------------------------------------------------------
# Console pages


@pytest.fixture
def analyst() -> Client:
    return signed_in(make_staff_user(role=Role.ANALYST))


FORM = {
    "key": "search_ctr",
    "name": "Search CTR",
    "description": "",
    "kind": "ratio",
    "numerator": "clicks",
    "numerator_entry_point": "search",
    "numerator_item_kind": "",
    "denominator": "impressions",
    "denominator_entry_point": "search",
    "denominator_item_kind": "",
    "window_days": "7",
    "delay_days": "0",
    "capping": "none",
    "cap_value": "",
    "guardrail_margin": "0.02",
    "target_effect": "0.05",
}


def test_only_console_staff_open_the_metric_pages() -> None:
    for page in ["/console/metrics/", "/console/metrics/new/", "/console/metrics/for_you_ctr/"]:
        assert Client().get(page).status_code == 403
        assert signed_in(make_creator_user()).get(page).status_code == 403
        assert signed_in(make_staff_user(role=Role.ANALYST)).get(page).status_code == 200
    assert signed_in(make_creator_user()).post("/console/metrics/new/", FORM).status_code == 403
    assert not Metric.objects.filter(key="search_ctr").exists()


def test_the_list_shows_the_catalog(analyst: Client) -> None:
    text = visible_text(analyst.get("/console/metrics/").content.decode())
    assert "For You card CTR for_you_ctr · higher is better Ratio 7 days" in text
    assert "“Not interested” rate not_interested_rate · guardrail · lower is better" in text
    assert "Returned in the second week returned_second_week" in text
    assert "days 7–13" in text


def test_create_a_metric_with_errors_beside_the_fields_then_fixed(analyst: Client) -> None:
    bad = analyst.post("/console/metrics/new/", {**FORM, "denominator": ""})
    assert bad.status_code == 400
    assert "A ratio needs a denominator." in bad.content.decode()
    assert "aria-invalid" in bad.content.decode()
    assert not Metric.objects.filter(key="search_ctr").exists()
    good = analyst.post("/console/metrics/new/", FORM)
    assert good.status_code == 302
    assert good["Location"] == "/console/metrics/search_ctr/"
    assert Metric.objects.get(key="search_ctr").denominator_entry_point == "search"


def test_edit_a_metric_and_see_the_experiments_using_it(analyst: Client) -> None:
    make_experiment(primary_metrics=["for_you_ctr"])
    page = visible_text(analyst.get("/console/metrics/for_you_ctr/").content.decode())
    assert "Experiments using this metric Card design (Draft)" in page
    changed = {**FORM, "key": "for_you_ctr", "name": "For You CTR (14 days)", "window_days": "14"}
    response = analyst.post("/console/metrics/for_you_ctr/", changed)
    assert response.status_code == 302
    metric = Metric.objects.get(key="for_you_ctr")
    assert (metric.name, metric.window_days) == ("For You CTR (14 days)", 14)
    refused_page = analyst.post("/console/metrics/for_you_ctr/", {**changed, "window_days": "0"})
    assert refused_page.status_code == 400
    assert "The window must last 1 to 90 days." in refused_page.content.decode()
    assert analyst.get("/console/metrics/nothing/").status_code == 404
