"""The experiments services: each validation rule, the lifecycle, and scheduled changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from academy.core.errors import AcademyError, Conflict, ValidationFailed
from academy.core.tests.helpers import SetTime
from academy.experiments.models import Experiment, ExperimentStatus, Flag, ScheduledChange
from academy.experiments.services import (
    VariationInput,
    experiment_restart,
    experiment_ship,
    experiment_start,
    experiment_stop,
    experiment_update,
    flag_set_enabled,
    flag_update,
    scheduled_change_create,
    scheduled_changes_apply,
)
from academy.experiments.tests.factories import experiment_input, make_experiment, make_flag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def refused(error: pytest.ExceptionInfo[AcademyError], field: str) -> str:
    """The field the error points at must be `field`; returns the message."""
    assert field in error.value.errors, error.value.errors
    return error.value.detail


# ---------------------------------------------------------------------------------------------
# Flags


@pytest.mark.parametrize("key", ["", "Card", "card design", "-card", "card--x", "k" * 65])
def test_flag_keys_must_be_slug_like(key: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        make_flag(key)
    refused(error, "key")
    assert not Flag.objects.exists()


def test_flag_keys_are_unique() -> None:
    make_flag("card-design")
    with pytest.raises(Conflict) as error:
        make_flag("card-design", value_type="boolean", default_value=False)
    assert "exists already" in refused(error, "key")
    assert Flag.objects.count() == 1


@pytest.mark.parametrize(
    ("value_type", "value"),
    [("boolean", "yes"), ("boolean", 1), ("string", 3), ("number", True), ("number", "3")],
)
def test_default_value_must_be_of_the_flag_type(value_type: str, value: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        make_flag(value_type=value_type, default_value=value)
    refused(error, "default_value")


def test_json_flags_take_any_json_value() -> None:
    flag = make_flag(value_type="json", default_value={"cards": [1, 2]})
    assert flag.default_value == {"cards": [1, 2]}


@pytest.mark.parametrize(
    "rules",
    [
        {"force": "bold"},  # not a list
        [{"condition": {"region": "BR"}}],  # no force value
        [{"force": 3}],  # the wrong type for a string flag
        [{"variations": ["a", "b"], "force": "a"}],  # an experiment written as a rule
        [{"force": "bold", "coverage": "half"}],  # unreadable by the SDKs
        [{"force": "bold", "parentConditions": [{"id": "x"}]}],  # prerequisites: unsupported
    ],
)
def test_flag_rules_are_typed_force_rules_the_sdks_read(rules: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        make_flag(rules=rules)
    refused(error, "rules")
    assert not Flag.objects.exists()


def test_a_bad_update_leaves_the_flag_as_it_was() -> None:
    flag = make_flag(rules=[{"force": "bold", "condition": {"region": "BR"}}])
    with pytest.raises(ValidationFailed):
        flag_update(flag=Flag.objects.get(), default_value="new", rules=[{"force": False}])
    flag.refresh_from_db()
    assert flag.default_value == "classic"
    assert flag.rules == [{"force": "bold", "condition": {"region": "BR"}}]


def test_kill_switch_turns_a_flag_off_and_on() -> None:
    flag = make_flag()
    flag_set_enabled(flag=flag, enabled=False)
    assert Flag.objects.get().enabled is False
    flag_set_enabled(flag=flag, enabled=True)
    assert Flag.objects.get().enabled is True


# ---------------------------------------------------------------------------------------------
# Experiments


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weights": [0.5, 0.4]}, "weights"),  # sums to 0.9
        ({"weights": [0.5, 0.5000001]}, None),  # within 1e-6: accepted
        ({"weights": [0.5, 0.500002]}, "weights"),  # outside 1e-6
        ({"weights": [1.0]}, "weights"),  # one weight for two variations
        ({"weights": [1.5, -0.5]}, "weights"),
        ({"coverage": 1.2}, "coverage"),
        ({"coverage": -0.1}, "coverage"),
        ({"values": ("classic",), "weights": [1.0]}, "variations"),  # one variation
        ({"values": ("classic", 2)}, "variations"),  # the wrong type for the flag
        ({"namespace": "cards", "namespace_start": 0.6, "namespace_end": 0.4}, "namespace_end"),
        ({"namespace": "cards", "namespace_end": 1.5}, "namespace_end"),
        ({"namespace": "Cards!"}, "namespace"),
        ({"condition": ["region", "BR"]}, "condition"),
        ({"holdout": [{"seed": "h"}]}, "holdout"),  # a filter needs ranges
        ({"name": " "}, "name"),
        ({"primary_metrics": ["Lesson Completion"]}, "primary_metrics"),
    ],
)
def test_experiment_settings_are_checked(overrides: dict[str, Any], field: str | None) -> None:
    flag = make_flag()
    if field is None:
        make_experiment(flag=flag, **overrides)
        assert Experiment.objects.count() == 1
        return
    with pytest.raises(ValidationFailed) as error:
        make_experiment(flag=flag, **overrides)
    refused(error, field)
    assert not Experiment.objects.exists()


def test_variation_keys_are_slug_like_and_distinct() -> None:
    flag = make_flag()
    same = [VariationInput("control", "A", "classic"), VariationInput("control", "B", "bold")]
    with pytest.raises(ValidationFailed) as error:
        make_experiment(flag=flag, variations=same)
    assert "control" in refused(error, "variations")


def test_experiment_keys_are_unique() -> None:
    experiment = make_experiment()
    with pytest.raises(Conflict) as error:
        make_experiment(experiment.key, flag=experiment.flag)
    refused(error, "key")


def test_experiment_seed_defaults_to_its_key_and_hashes_with_version_2() -> None:
    experiment = make_experiment("card-2026")
    assert (experiment.seed, experiment.hash_version, experiment.bucket_version) == (
        "card-2026",
        2,
        0,
    )


def test_lifecycle_start_stop_resume_ship(frozen_clock: SetTime) -> None:
    experiment = make_experiment()
    with pytest.raises(Conflict):
        experiment_stop(experiment=experiment)
    with pytest.raises(Conflict):
        experiment_ship(experiment=experiment, variation="control")
    experiment_start(experiment=experiment)
    assert experiment.started_at == CLOCK_START
    with pytest.raises(Conflict):
        experiment_start(experiment=experiment)
    later = frozen_clock(CLOCK_START + timedelta(days=14))
    experiment_stop(experiment=experiment)
    assert (experiment.status, experiment.stopped_at) == (ExperimentStatus.STOPPED, later)
    experiment_start(experiment=experiment)
    assert experiment.started_at == CLOCK_START  # resumed, not restarted
    with pytest.raises(ValidationFailed) as error:
        experiment_ship(experiment=experiment, variation="treatment-9")
    refused(error, "variation")
    experiment_ship(experiment=experiment, variation="treatment-1")
    stored = Experiment.objects.get()
    assert (stored.status, stored.shipped_variation) == (ExperimentStatus.SHIPPED, "treatment-1")
    with pytest.raises(Conflict):
        experiment_restart(experiment=stored)


def test_running_experiments_cannot_share_a_namespace_range() -> None:
    flag = make_flag()
    first = make_experiment("first", flag=flag, namespace="cards", namespace_end=0.5)
    second = make_experiment(
        "second", flag=flag, namespace="cards", namespace_start=0.4, namespace_end=1
    )
    third = make_experiment(
        "third", flag=flag, namespace="cards", namespace_start=0.5, namespace_end=1
    )
    other = make_experiment("other", flag=flag, namespace="other", namespace_start=0.2)
    experiment_start(experiment=first)
    with pytest.raises(Conflict) as error:
        experiment_start(experiment=second)
    assert "first" in refused(error, "namespace_start")
    assert Experiment.objects.get(key="second").status == ExperimentStatus.DRAFT
    experiment_start(experiment=third)  # [0.5, 1) touches [0, 0.5) without overlapping
    experiment_start(experiment=other)
    # Widening a running experiment's range onto another is refused too.
    with pytest.raises(Conflict):
        experiment_update(
            experiment=first,
            data=experiment_input(namespace="cards", namespace_start=0, namespace_end=0.7),
        )
    assert Experiment.objects.get(key="first").namespace_end == 0.5


def test_variations_change_only_by_restart_and_weights_only_while_stopped() -> None:
    experiment = make_experiment()
    experiment_update(experiment=experiment, data=experiment_input(weights=[0.3, 0.7]))
    experiment_start(experiment=experiment)
    with pytest.raises(Conflict) as error:
        experiment_update(experiment=experiment, data=experiment_input(weights=[0.2, 0.8]))
    assert "stop it" in refused(error, "weights")
    with pytest.raises(Conflict) as error:
        experiment_update(experiment=experiment, data=experiment_input(values=("classic", "neon")))
    refused(error, "variations")
    # Other settings may change while it runs.
    experiment_update(
        experiment=experiment,
        data=experiment_input(weights=[0.3, 0.7], coverage=0.5, name="Cards, bolder"),
    )
    stored = Experiment.objects.get()
    assert (stored.weights, stored.coverage, stored.name) == ([0.3, 0.7], 0.5, "Cards, bolder")
    experiment_stop(experiment=stored)
    experiment_update(experiment=stored, data=experiment_input(weights=[0.2, 0.8]))
    with pytest.raises(Conflict):
        experiment_update(experiment=stored, data=experiment_input(values=("classic", "neon")))
    experiment_restart(
        experiment=stored,
        variations=[
            VariationInput("control", "Control", "classic"),
            VariationInput("neon", "Neon", "neon"),
        ],
        weights=[0.4, 0.6],
    )
    stored.refresh_from_db()
    assert (stored.variation_keys, stored.weights, stored.bucket_version) == (
        ["control", "neon"],
        [0.4, 0.6],
        1,
    )
    assert stored.status == ExperimentStatus.RUNNING


def test_restart_checks_its_new_weights() -> None:
    experiment = make_experiment()
    experiment_start(experiment=experiment)
    with pytest.raises(ValidationFailed):
        experiment_restart(experiment=experiment, weights=[0.9, 0.9])
    assert Experiment.objects.get().bucket_version == 0


# ---------------------------------------------------------------------------------------------
# Scheduled changes


def test_scheduled_changes_are_checked() -> None:
    flag = make_flag()
    experiment = make_experiment(flag=flag)
    soon = CLOCK_START + timedelta(hours=1)
    with pytest.raises(ValidationFailed) as error:
        scheduled_change_create(flag=flag, at=CLOCK_START, change={"enabled": False})
    refused(error, "at")
    with pytest.raises(ValidationFailed) as error:
        scheduled_change_create(flag=flag, at=soon, change={"default_value": 7})
    refused(error, "value")
    with pytest.raises(ValidationFailed):
        scheduled_change_create(flag=flag, at=soon, change={"key": "other"})
    with pytest.raises(ValidationFailed):
        scheduled_change_create(experiment=experiment, at=soon, change={"action": "ship"})
    assert not ScheduledChange.objects.exists()


def test_the_worker_applies_due_changes_and_records_what_no_longer_fits(
    frozen_clock: SetTime,
) -> None:
    flag = make_flag()
    first = make_experiment("first", flag=flag, namespace="cards")
    second = make_experiment("second", flag=flag, namespace="cards")
    at = CLOCK_START + timedelta(hours=1)
    scheduled_change_create(flag=flag, at=at, change={"enabled": False})
    scheduled_change_create(experiment=first, at=at, change={"action": "start"})
    scheduled_change_create(experiment=second, at=at, change={"action": "start"})
    later = scheduled_change_create(flag=flag, at=at + timedelta(days=1), change={"enabled": True})
    assert scheduled_changes_apply() == 0  # nothing is due yet
    frozen_clock(at + timedelta(minutes=1))
    assert scheduled_changes_apply() == 2
    assert Flag.objects.get().enabled is False
    assert Experiment.objects.get(key="first").status == ExperimentStatus.RUNNING
    assert Experiment.objects.get(key="first").started_at == at
    refused_change = ScheduledChange.objects.get(experiment__key="second")
    assert refused_change.applied_at is not None
    assert "overlaps the running experiment “first”" in refused_change.error
    assert Experiment.objects.get(key="second").status == ExperimentStatus.DRAFT
    later.refresh_from_db()
    assert later.applied_at is None
