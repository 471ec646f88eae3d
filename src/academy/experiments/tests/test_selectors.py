"""The served GrowthBook payload: kill switch, experiment states, scheduled changes, caching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from academy.core.tests.helpers import SetTime
from academy.experiments.models import Flag
from academy.experiments.selectors import flags_payload
from academy.experiments.services import (
    experiment_ship,
    experiment_start,
    experiment_stop,
    flag_set_enabled,
    flag_update,
    scheduled_change_create,
    scheduled_changes_apply,
)
from academy.experiments.tests.factories import make_experiment, make_flag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BRAZIL = {"region": "BR"}


def rules_of(key: str) -> list[dict[str, Any]]:
    return list(flags_payload().payload["features"][key]["rules"])


def test_a_flag_serves_its_rules_then_running_experiments_in_start_order(
    frozen_clock: SetTime,
) -> None:
    flag = make_flag(rules=[{"force": "bold", "condition": BRAZIL}])
    first = make_experiment("first", flag=flag, namespace="cards", namespace_end=0.5)
    second = make_experiment(
        "second", flag=flag, namespace="cards", namespace_start=0.5, condition={"level": "pro"}
    )
    make_experiment("draft-one", flag=flag)
    experiment_start(experiment=second)
    frozen_clock(CLOCK_START + timedelta(minutes=5))
    experiment_start(experiment=first)
    rules = rules_of("card-design")
    assert [rule.get("id") for rule in rules] == [None, "experiment-second", "experiment-first"]
    second_rule = rules[1]
    assert second_rule["key"] == "second"
    assert second_rule["variations"] == ["classic", "bold"]
    assert second_rule["meta"] == [
        {"key": "control", "name": "Control"},
        {"key": "treatment-1", "name": "Treatment-1"},
    ]
    assert second_rule["namespace"] == ["cards", 0.5, 1.0]
    assert second_rule["condition"] == {"level": "pro"}
    assert (second_rule["hashVersion"], second_rule["seed"], second_rule["bucketVersion"]) == (
        2,
        "second",
        0,
    )
    assert flags_payload().payload["features"]["card-design"]["defaultValue"] == "classic"


def test_a_killed_flag_serves_its_default_with_no_rules() -> None:
    flag = make_flag(rules=[{"force": "bold"}])
    experiment_start(experiment=make_experiment(flag=flag))
    flag_set_enabled(flag=flag, enabled=False)
    assert flags_payload().payload["features"]["card-design"] == {
        "defaultValue": "classic",
        "rules": [],
    }
    assert flags_payload().experiments == {}


def test_stopped_experiments_are_dropped_and_shipped_ones_force_their_value() -> None:
    flag = make_flag()
    stopped = make_experiment("stopped", flag=flag)
    shipped = make_experiment("shipped", flag=flag, condition=BRAZIL)
    experiment_start(experiment=stopped)
    experiment_start(experiment=shipped)
    experiment_stop(experiment=stopped)
    experiment_ship(experiment=shipped, variation="treatment-1")
    assert rules_of("card-design") == [
        {"id": "shipped-shipped", "force": "bold", "condition": BRAZIL}
    ]


def test_a_holdout_with_a_namespace_carries_the_namespace_as_a_filter() -> None:
    holdout = [{"seed": "holdout-2026", "ranges": [[0.05, 1]], "hashVersion": 2}]
    experiment_start(
        experiment=make_experiment(holdout=holdout, namespace="cards", namespace_end=0.5)
    )
    (rule,) = rules_of("card-design")
    assert "namespace" not in rule
    assert rule["filters"] == [
        holdout[0],
        {"seed": "__cards", "ranges": [[0.0, 0.5]], "hashVersion": 1, "attribute": "id"},
    ]


def test_a_scheduled_change_is_served_once_due_even_before_the_worker_runs(
    frozen_clock: SetTime,
) -> None:
    flag = make_flag(rules=[{"force": "bold"}])
    experiment = make_experiment("later", flag=make_flag("other"))
    at = CLOCK_START + timedelta(hours=2)
    scheduled_change_create(flag=flag, at=at, change={"enabled": False, "default_value": "new"})
    scheduled_change_create(experiment=experiment, at=at, change={"action": "start"})
    before = flags_payload().payload["features"]
    assert before["card-design"] == {"defaultValue": "classic", "rules": [{"force": "bold"}]}
    assert before["other"]["rules"] == []

    frozen_clock(at)
    due = flags_payload()
    assert due.payload["features"]["card-design"] == {"defaultValue": "new", "rules": []}
    assert [rule["id"] for rule in due.payload["features"]["other"]["rules"]] == [
        "experiment-later"
    ]
    assert set(due.experiments) == {"later"}
    # The worker writes the same state; the payload does not change.
    assert scheduled_changes_apply() == 2
    assert flags_payload().payload == due.payload
    assert Flag.objects.get(key="card-design").default_value == "new"


def test_the_cached_payload_follows_every_write() -> None:
    flag = make_flag()
    first = flags_payload()
    assert flags_payload() is first  # cached while nothing changed
    flag_update(flag=flag, default_value="fresh")
    assert flags_payload().payload["features"]["card-design"]["defaultValue"] == "fresh"
