"""The console's interleaving page: who may open it, the flag's state, the preference of each
interleaving served, and a period that is not offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.core.tests.helpers import signed_in, visible_text
from academy.events import taxonomy
from academy.events.capture import capture_log
from academy.events.lake import compact
from academy.events.services import server_event, track_events
from academy.experiments.services import flag_create
from academy.recsys.interleaving import FLAG
from academy.recsys.tests.conftest import Committed

pytestmark = pytest.mark.django_db

PAGE = "/console/experiments/interleaving/for-you/"


@pytest.fixture
def analyst() -> Client:
    return signed_in(make_staff_user(role=Role.ANALYST))


def served(events_dir: Path, committed: Committed, pages: list[tuple[str, str, str]]) -> None:
    """Pages of two cards (A's, then B's) of "model~popularity", as (creator, page, clicked
    teams) — e.g. ("c-1", "p1", "A")."""
    events = []
    for creator, page, clicked in pages:
        for position, team in enumerate("AB"):
            fields = {
                "creator_id": creator, "entry_point": "academy_home", "item_kind": "course",
                "item_id": f"{page}-{team}", "request_id": page, "position": position,
            }  # fmt: skip
            properties = {
                "score": 1.0,
                "propensity": 1.0,
                "source": "trending",
                "team": team,
                "interleaving": "model~popularity",
                "ranker": "model" if team == "A" else "popularity",
            }
            events.append(server_event(taxonomy.Recommended, properties=properties, **fields))
            if team in clicked:
                events.append(server_event(taxonomy.Click, **fields))
    with committed():
        track_events(events)
    capture_log().seal()
    compact(events_dir=events_dir)


def test_only_console_staff_open_the_page() -> None:
    assert Client().get(PAGE).status_code == 403
    assert signed_in(make_creator_user()).get(PAGE).status_code == 403
    assert signed_in(make_staff_user(role=Role.EDITOR)).get(PAGE).status_code == 403
    assert signed_in(make_staff_user(role=Role.ANALYST)).get(PAGE).status_code == 200


def test_without_the_flag_the_page_says_how_to_turn_interleaving_on(
    analyst: Client, events_dir: Path
) -> None:
    text = visible_text(analyst.get(PAGE).content.decode())
    assert f"there is no flag {FLAG}" in text
    assert '{"a": "model", "b": "popularity"}' in text
    assert "No feed page was interleaved in the last 28 days." in text
    assert "Interleaving For You rankers" in visible_text(
        analyst.get("/console/flags/").content.decode()
    )


def test_the_preference_of_each_interleaving_with_its_interval(
    analyst: Client, events_dir: Path, committed: Committed
) -> None:
    flag_create(key=FLAG, value_type="json", default_value={"a": "model", "b": "popularity"})
    pages = [(f"c-{n}", f"p{n}-{k}", "A") for n in range(12) for k in range(2)]
    pages += [("c-20", "p20", "B"), ("c-21", "p21", "AB"), ("c-22", "p22", "")]
    served(events_dir, committed, pages)
    response = analyst.get(PAGE, {"days": "7"})
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "interleaves model (A) and popularity (B) by default" in text
    assert "model (A) against popularity (B)" in text
    assert "27 pages served" in text
    assert "Creators prefer “model”." in text
    # 24 pages won by A, 1 by B, 1 tie: (24 + 0.5) / 26.
    assert "Share won by model 94.2 %" in text
    assert "Clicked pages: A wins / B wins / ties 24 / 1 / 1" in text
    assert "Creators preferring A / B / neither 12 / 1 / 1" in text
    assert "Creators with a clicked page 14" in text
    assert 'role="img" aria-label="Share of clicked pages won by “model”: 94.2 %' in (
        response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    )


def test_a_period_that_is_not_offered_is_refused(analyst: Client) -> None:
    response = analyst.get(PAGE, {"days": "5"})
    assert response.status_code == 400
    assert "Choose a period from the list." in visible_text(response.content.decode())


def test_a_pair_with_too_few_clicked_pages_says_so(
    analyst: Client, events_dir: Path, committed: Committed
) -> None:
    served(events_dir, committed, [("c-1", "p1", "A"), ("c-2", "p2", "")])
    text = visible_text(analyst.get(PAGE).content.decode())
    assert "model (A) against popularity (B)" in text
    assert "2 pages served" in text
    assert "Not enough clicked pages to compare yet" in text
    assert "Creators prefer" not in text


def test_a_flag_value_that_interleaves_nothing_says_why(analyst: Client) -> None:
    flag_create(key=FLAG, value_type="json", default_value={"a": "model", "b": "recent"})
    text = visible_text(analyst.get(PAGE).content.decode())
    assert (
        "The flag's default value interleaves nothing: “recent” is neither one of model, "
        "heuristic, popularity nor a model version id."
    ) in text
