"""`academy simulate` and `academy simulate fit` as an operator runs them."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from academy.accounts.models import Creator
from academy.core.tests.helpers import SetTime
from academy.simulation.engine.parameters import DEFAULT_DATA_DIR, USERS_FILE
from academy.simulation.tests.factories import make_simulation_catalog

pytestmark = pytest.mark.django_db
needs_kuairand = pytest.mark.skipif(
    not (DEFAULT_DATA_DIR / USERS_FILE).exists(), reason="KuaiRand-Pure is not in ../shared/data"
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def test_simulate_reports_what_the_creators_did(frozen_clock: SetTime, events_dir: Path) -> None:
    make_simulation_catalog()
    report = json.loads(run("--creators", "80", "--days", "2", "--seed", "3", "--json"))
    assert report["sink"] == "lake"
    assert report["rolled_up"]
    assert report["report"]["events"] > 100
    assert set(report["report"]["entry_points"]) == {
        "for_you_card", "academy_home", "search", "hashtag",
    }  # fmt: skip
    assert (events_dir / "rollups" / "entry_point_daily").is_dir()
    printed = run("--creators", "80", "--days", "2", "--seed", "3", "--policy", "oracle")
    assert "oracle policy" in printed
    assert "next-day return rate" in printed
    assert Creator.objects.filter(external_id__startswith="sim-").count() == 80


def test_simulate_refuses_bad_arguments_with_the_reason(db: None) -> None:
    make_simulation_catalog()
    with pytest.raises(CommandError, match="Choose a policy: random, popularity, oracle"):
        run("--policy", "best")
    with pytest.raises(CommandError, match="Choose a sink: capture, lake"):
        run("--sink", "kafka")
    assert not Creator.objects.exists()


def test_fit_explains_where_the_data_should_be(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="point --data at the KuaiRand-Pure folder"):
        run("fit", "--data", str(tmp_path))


@needs_kuairand
def test_the_committed_parameters_are_a_fresh_fit_of_kuairand() -> None:
    assert "matches the data" in run("fit", "--check")
