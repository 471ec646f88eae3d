"""Console pages for flags and experiments: who may open them, forms with errors on their fields,
the lifecycle buttons, the kill switch and scheduled changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.core.tests.helpers import signed_in, visible_text
from academy.experiments.models import Experiment, ExperimentStatus, Flag, ScheduledChange
from academy.experiments.services import experiment_start
from academy.experiments.tests.factories import make_experiment, make_flag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def analyst() -> Client:
    return signed_in(make_staff_user(role=Role.ANALYST))


def test_only_console_staff_open_the_pages() -> None:
    make_experiment()
    pages = ["/console/flags/", "/console/flags/card-design/", "/console/experiments/card-2026/"]
    for page in pages:
        assert Client().get(page).status_code == 403
        assert signed_in(make_creator_user()).get(page).status_code == 403
        assert signed_in(make_staff_user(role=Role.EDITOR)).get(page).status_code == 403
        assert signed_in(make_staff_user(role=Role.ANALYST)).get(page).status_code == 200
    blocked = signed_in(make_creator_user()).post(
        "/console/experiments/card-2026/action/", {"action": "start"}
    )
    assert blocked.status_code == 403
    assert Experiment.objects.get().status == ExperimentStatus.DRAFT


def test_the_list_shows_flags_and_experiments(analyst: Client) -> None:
    flag = make_flag(enabled=False)
    make_experiment(flag=flag)
    text = visible_text(analyst.get("/console/flags/").content.decode())
    assert "card-design" in text
    assert "Off (kill switch)" in text
    assert "card-2026 Card design card-design Draft" in text


def test_create_a_flag_with_errors_shown_then_fixed(analyst: Client) -> None:
    bad = analyst.post(
        "/console/flags/new/",
        {"key": "New Editor", "value_type": "boolean", "default_value": "false", "rules": "[]"},
    )
    assert bad.status_code == 400
    assert "Use 1 to 64 lowercase letters" in bad.content.decode()
    assert "aria-invalid" in bad.content.decode()
    wrong_rules = analyst.post(
        "/console/flags/new/",
        {
            "key": "new-editor",
            "value_type": "boolean",
            "default_value": "false",
            "rules": '[{"force": "yes"}]',
        },
    )
    assert wrong_rules.status_code == 400
    assert "Force values must be of the flag" in wrong_rules.content.decode()
    assert not Flag.objects.exists()
    created = analyst.post(
        "/console/flags/new/",
        {
            "key": "new-editor",
            "value_type": "boolean",
            "default_value": "false",
            "enabled": "on",
            "rules": '[{"force": true, "condition": {"region": "BR"}}]',
        },
    )
    assert created.status_code == 302
    flag = Flag.objects.get()
    assert (flag.default_value, flag.rules) == (
        False,
        [{"force": True, "condition": {"region": "BR"}}],
    )


def test_kill_switch_and_schedule_from_the_flag_page(analyst: Client) -> None:
    make_flag()
    analyst.post("/console/flags/card-design/kill-switch/", {})
    assert Flag.objects.get().enabled is False
    page = visible_text(analyst.get("/console/flags/card-design/").content.decode())
    assert "Off: the kill switch serves the default value to everyone." in page
    past = analyst.post(
        "/console/flags/card-design/schedule/",
        {"at": "2026-11-21T09:00", "change": "enable"},
    )
    assert past.status_code == 400
    assert "must be in the future" in past.content.decode()
    analyst.post(
        "/console/flags/card-design/schedule/",
        {"at": "2026-11-23T09:00", "change": "default_value", "value": "bold"},
    )
    scheduled = ScheduledChange.objects.get()
    assert (scheduled.at, scheduled.change) == (
        datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        {"default_value": "bold"},
    )


def experiment_post(**changes: str) -> dict[str, str]:
    fields = {
        "key": "cta-copy",
        "name": "Call to action copy",
        "hypothesis": "A question converts better.",
        "flag": "card-design",
        "variations": "control | Control | classic\nquestion | Question | Ready to grow?",
        "weights": "0.5, 0.5",
        "coverage": "1",
        "namespace": "",
        "namespace_start": "0",
        "namespace_end": "1",
        "hash_attribute": "id",
        "seed": "",
        "condition": "{}",
        "holdout": "[]",
        "primary_metrics": "completed_lesson",
        "guardrail_metrics": "",
    }
    fields.update(changes)
    return fields


def test_create_an_experiment_with_errors_on_their_fields(analyst: Client) -> None:
    make_flag()
    bad = analyst.post("/console/experiments/new/", experiment_post(weights="0.5, 0.6"))
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "they must add up to 1" in html
    assert 'id="id_weights_error"' in html
    assert not Experiment.objects.exists()
    created = analyst.post("/console/experiments/new/", experiment_post())
    assert created.status_code == 302
    experiment = Experiment.objects.get()
    assert experiment.variations[1] == {
        "key": "question",
        "name": "Question",
        "value": "Ready to grow?",
    }
    assert experiment.primary_metrics == ["completed_lesson"]


def test_start_stop_ship_from_the_experiment_page(analyst: Client) -> None:
    make_experiment()
    url = "/console/experiments/card-2026/action/"
    page = analyst.get("/console/experiments/card-2026/").content.decode()
    assert 'value="start"' in page
    assert 'value="ship"' not in page
    assert analyst.post(url, {"action": "start"}).status_code == 302
    assert Experiment.objects.get().status == ExperimentStatus.RUNNING
    assert analyst.post(url, {"action": "stop"}).status_code == 302
    assert Experiment.objects.get().status == ExperimentStatus.STOPPED
    unknown = analyst.post(url, {"action": "ship", "variation": "nope"})
    assert unknown.status_code == 400
    assert "has no variation" in unknown.content.decode()
    assert analyst.post(url, {"action": "ship", "variation": "treatment-1"}).status_code == 302
    shipped = Experiment.objects.get()
    assert (shipped.status, shipped.shipped_variation) == ("shipped", "treatment-1")
    again = analyst.post(url, {"action": "start"})
    assert again.status_code == 409
    assert "cannot start" in again.content.decode()


def test_editing_a_running_experiment_points_to_a_restart(analyst: Client) -> None:
    experiment_start(experiment=make_experiment())
    changed = experiment_post(
        key="card-2026",
        name="Card design",
        variations="control | Control | classic\ntreatment-1 | Treatment-1 | neon",
    )
    refused = analyst.post("/console/experiments/card-2026/", changed)
    assert refused.status_code == 400
    assert "Restart the experiment to change this." in refused.content.decode()
    restarted = analyst.post(
        "/console/experiments/card-2026/action/",
        {"action": "restart", "variations": changed["variations"], "weights": "0.3, 0.7"},
    )
    assert restarted.status_code == 302
    experiment = Experiment.objects.get()
    assert (experiment.bucket_version, experiment.weights) == (1, [0.3, 0.7])
    assert experiment.variations[1]["value"] == "neon"
