"""The flags API: /flags for a creator (scopes, stickiness, restarts, exposure events) and
/flags/payload, checked against the official GrowthBook SDK."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.core.tests.helpers import signed_in
from academy.events.capture import read_segment
from academy.experiments.models import Assignment, Flag
from academy.experiments.selectors import flags_payload
from academy.experiments.services import (
    experiment_restart,
    experiment_start,
    experiment_stop,
    experiment_update,
)
from academy.experiments.tests.factories import (
    experiment_input,
    make_creators,
    make_experiment,
    make_flag,
)
from academy.experiments.tests.growthbook_reference import growthbook_eval

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "events_dir")]

Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Callable[..., Any]) -> Committed:
    """``with committed():`` runs what waits for the commit (the events) at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def reader(api_key_client: Callable[..., Client]) -> Client:
    return api_key_client("flags:read")


def exposures(events_dir: Path) -> list[dict[str, Any]]:
    folder = events_dir / "capture"
    if not folder.exists():
        return []
    return [
        record
        for path in sorted(folder.iterdir())
        for record in read_segment(path)
        if record["name"] == "exposure"
    ]


def flags_of(client: Client, creator: str | None, committed: Committed) -> dict[str, Any]:
    with committed():
        response = client.get("/api/v1/flags", {"creator": creator} if creator else {})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def variations_by_creator(
    client: Client, creators: list[str], committed: Committed
) -> dict[str, str]:
    found = {}
    for creator in creators:
        (assignment,) = flags_of(client, creator, committed)["experiments"]
        found[creator] = assignment["variation"]
    return found


@pytest.fixture
def running() -> None:
    flag = make_flag(rules=[{"id": "brazil", "force": "brasil", "condition": {"region": "BR"}}])
    experiment_start(experiment=make_experiment(flag=flag))


def test_scopes_and_unknown_creators(
    api_key_client: Callable[..., Client], reader: Client, running: None
) -> None:
    assert Client().get("/api/v1/flags", {"creator": "c1"}).status_code == 401
    wrong = api_key_client("feed:read").get("/api/v1/flags", {"creator": "c1"})
    assert wrong.status_code == 403
    assert "flags:read" in wrong.json()["detail"]
    assert api_key_client("feed:read").get("/api/v1/flags/payload").status_code == 403
    missing = reader.get("/api/v1/flags", {"creator": "nobody"})
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert "nobody" in missing.json()["detail"]
    unnamed = reader.get("/api/v1/flags")
    assert unnamed.status_code == 400
    assert unnamed.json()["errors"][0]["field"] == "creator"


def test_a_creator_gets_values_and_one_sticky_assignment(
    reader: Client, running: None, committed: Committed, events_dir: Path
) -> None:
    make_creators(1, prefix="br", region="BR")
    make_creators(1, prefix="us", region="US")
    brazil = flags_of(reader, "br0", committed)
    assert brazil["flags"] == [
        {
            "key": "card-design",
            "value": "brasil",
            "source": "force",
            "rule_id": "brazil",
            "experiment": None,
        }
    ]
    assert brazil["experiments"] == []
    first = flags_of(reader, "us0", committed)
    (flag,) = first["flags"]
    (assignment,) = first["experiments"]
    assert (flag["source"], flag["experiment"], assignment["new"]) == (
        "experiment",
        "card-2026",
        True,
    )
    assert flag["value"] == {"control": "classic", "treatment-1": "bold"}[assignment["variation"]]
    again = flags_of(reader, "us0", committed)
    assert again["experiments"] == [{**assignment, "new": False}]
    (exposure,) = exposures(events_dir)
    assert exposure["creator_id"] == "us0"
    assert exposure["properties"] == {
        "experiment": "card-2026",
        "variation": assignment["variation"],
        "bucket_version": 0,
    }
    assert Assignment.objects.get().variation == assignment["variation"]


def test_a_signed_in_creator_reads_their_own_flags(running: None, committed: Committed) -> None:
    user = make_creator_user()
    client = signed_in(user)
    body = flags_of(client, None, committed)
    assert body["creator"] == user.creator.external_id
    assert len(body["experiments"]) == 1
    # Reading someone else's flags needs the flags:read scope.
    make_creators(1)
    assert client.get("/api/v1/flags", {"creator": "c0"}).status_code == 403
    analyst = signed_in(make_staff_user(role=Role.ANALYST))
    assert flags_of(analyst, "c0", committed)["creator"] == "c0"


def test_assignments_survive_weight_changes_until_a_restart(
    reader: Client, committed: Committed, events_dir: Path
) -> None:
    experiment = make_experiment()
    experiment_start(experiment=experiment)
    creators = [creator.external_id for creator in make_creators(40)]
    before = variations_by_creator(reader, creators, committed)
    assert set(before.values()) == {"control", "treatment-1"}
    # Everyone new would now get the control; those assigned keep their variation.
    experiment_stop(experiment=experiment)
    experiment_update(experiment=experiment, data=experiment_input(weights=[1.0, 0.0]))
    experiment_start(experiment=experiment)
    assert variations_by_creator(reader, creators, committed) == before
    newcomers = [creator.external_id for creator in make_creators(10, prefix="new")]
    assert set(variations_by_creator(reader, newcomers, committed).values()) == {"control"}
    assert len(exposures(events_dir)) == 50  # one per creator, however often they were read
    # A restart assigns everyone again: all of them now get the control, and are exposed again.
    experiment_restart(experiment=experiment)
    after = flags_of(reader, creators[0], committed)["experiments"]
    assert after[0]["bucket_version"] == 1
    assert after[0]["new"] is True
    assert set(variations_by_creator(reader, creators, committed).values()) == {"control"}
    assert len(exposures(events_dir)) == 90
    stored = Assignment.objects.filter(creator__external_id__in=creators)
    assert set(stored.values_list("bucket_version", flat=True)) == {1}


def test_the_payload_evaluates_in_the_growthbook_sdk_as_the_api_answers(
    reader: Client, committed: Committed
) -> None:
    cards = make_flag(rules=[{"id": "brazil", "force": "brasil", "condition": {"region": "BR"}}])
    make_flag("new-editor", value_type="boolean", default_value=False)
    make_flag("retired", value_type="number", default_value=1, enabled=False)
    experiment_start(
        experiment=make_experiment(
            "three-way",
            flag=cards,
            values=("classic", "bold", "neon"),
            weights=[0.2, 0.3, 0.5],
            coverage=0.8,
            namespace="cards",
            namespace_end=0.7,
            holdout=[{"seed": "holdout", "ranges": [[0.1, 1]], "hashVersion": 2}],
        )
    )
    experiment_start(
        experiment=make_experiment(
            "editor",
            flag=Flag.objects.get(key="new-editor"),
            values=(False, True),
            condition={"region": {"$in": ["US", "GB"]}},
        )
    )
    response = reader.get("/api/v1/flags/payload")
    assert response.status_code == 200
    payload = response.json()
    assert payload == {"features": dict(flags_payload().payload["features"])}
    creators = make_creators(30, region="US") + make_creators(10, prefix="br", region="BR")
    in_experiments = 0
    for creator in creators:
        attributes = {"id": creator.external_id, "region": creator.region}
        reference = growthbook_eval(payload, attributes)
        ours = flags_of(reader, creator.external_id, committed)
        assigned = {item["experiment"]: item["variation"] for item in ours["experiments"]}
        in_experiments += len(assigned)
        for flag in ours["flags"]:
            theirs = reference[flag["key"]]
            assert (flag["value"], flag["source"]) == (theirs.value, theirs.source), creator
            if theirs.experiment is not None:
                assert theirs.experimentResult is not None
                assert flag["experiment"] == theirs.experiment.key
                assert assigned[theirs.experiment.key] == theirs.experimentResult.key
    assert in_experiments > 10  # the comparison covered assignments, not only defaults


def test_reading_flags_costs_the_same_queries_however_many_flags(
    reader: Client, committed: Committed, django_assert_max_num_queries: Any
) -> None:
    for index in range(8):
        flag = make_flag(f"flag-{index}")
        experiment_start(experiment=make_experiment(f"experiment-{index}", flag=flag))
    make_creators(1)
    flags_of(reader, "c0", committed)  # assigns (8 rows, 8 events) and warms the payload cache
    with django_assert_max_num_queries(6):
        body = flags_of(reader, "c0", committed)
    assert len(body["experiments"]) == 8
    assert not any(item["new"] for item in body["experiments"])
