"""Interleaved For You pages behind the `for-you-interleaving` flag, their logging, and the
analysis of the logged pages and clicks from the lake (docs/RECSYS.md, "Interleaving")."""

from __future__ import annotations

import itertools
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from academy.accounts.models import Creator
from academy.accounts.services import creator_upsert
from academy.events.capture import capture_log, read_segment
from academy.events.lake import compact
from academy.experiments.models import Flag
from academy.experiments.services import flag_create, flag_update
from academy.recsys.interleaving import FLAG, interleaving_analysis
from academy.recsys.services import feed_click_record, feed_serve, feed_settings_update
from academy.recsys.tests.conftest import Committed
from academy.search.tests.factories import published_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_exploration")]

TOPICS = ("creation-essentials", "live", "brand-partnerships", "growth-analytics", "monetisation")


@pytest.fixture
def content(committed: Committed) -> None:
    with committed():
        for number in range(10):
            published_course(
                title=f"Course {number}",
                topic=TOPICS[number % len(TOPICS)],
                lessons=[(f"Lesson {number}.1", "x"), (f"Lesson {number}.2", "y")],
            )


def creator(external_id: str, **fields: Any) -> Creator:
    made, _created = creator_upsert(external_id=external_id, **fields)
    return made


def recommended(events_dir: Path) -> list[dict[str, Any]]:
    folder = events_dir / "capture"
    records = [r for path in sorted(folder.iterdir()) for r in read_segment(path)]
    return [r for r in records if r["name"] == "recommended"]


def interleave(a: str, b: str) -> None:
    flag_create(key=FLAG, value_type="json", default_value={"a": a, "b": b})


@pytest.mark.usefixtures("content")
def test_an_interleaved_page_mixes_both_rankers_first_picks_and_logs_each_cards_team(
    events_dir: Path, committed: Committed
) -> None:
    goals = {"niche": "gaming"}
    model_first = feed_serve(creator=creator("c-1", **goals), limit=1).cards[0].item
    popular_first = feed_serve(creator=creator("c-2", personalisation_consent=False), limit=1)
    assert model_first != popular_first.cards[0].item  # the two rankers disagree at the top
    interleave("model", "popularity")
    with committed():
        page = feed_serve(creator=creator("c-3", **goals), limit=6)
    logged = [r for r in recommended(events_dir) if r["request_id"] == page.request_id]
    teams = {f"{r['item_kind']}:{r['item_id']}": r["properties"]["team"] for r in logged}
    assert [card.item for card in page.cards] == [
        f"{r['item_kind']}:{r['item_id']}" for r in logged
    ]
    # Each ranker's best card is among the first two, picked by its own team.
    assert {card.item for card in page.cards[:2]} == {model_first, popular_first.cards[0].item}
    assert teams[model_first] == "A"
    assert teams[popular_first.cards[0].item] == "B"
    assert sorted(teams.values()) == ["A", "A", "A", "B", "B", "B"]
    assert {r["properties"]["interleaving"] for r in logged} == {"model~popularity"}
    assert {r["properties"]["ranker"] for r in logged} == {"model", "popularity"}
    # The usual rules still hold: never two cards of one topic in a row (when avoidable).
    topics = [card.topic for card in page.cards]
    assert all(first != second for first, second in itertools.pairwise(topics))


@pytest.mark.usefixtures("content")
def test_the_flag_off_a_bad_value_or_no_personalisation_serve_the_usual_feed(
    events_dir: Path,
    committed: Committed,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("academy.recsys.interleaving._warned", set())
    someone = creator("c-1")
    with committed():
        feed_serve(creator=someone, limit=3)
    interleave("model", "model")  # the same ranker twice: nothing to compare
    with committed():
        feed_serve(creator=someone, limit=3)
        feed_serve(creator=someone, limit=3)
    flag = Flag.objects.get(key=FLAG)
    flag_update(flag=flag, default_value={"a": "model", "b": "20990101T000000000000Z"})
    with committed():
        feed_serve(creator=someone, limit=3)  # a model version that does not exist
    flag_update(flag=flag, default_value={"a": "model", "b": "popularity"})
    feed_settings_update(creator=someone, personalised=False)
    with committed():
        feed_serve(creator=someone, limit=3)
    assert len(recommended(events_dir)) == 15
    assert not any("team" in r["properties"] for r in recommended(events_dir))
    # Why, once in the log (not on every page).
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        f"{FLAG}: interleaving is off: the two rankers are the same",
        f"{FLAG}: interleaving is off: there is no trained model version “20990101T000000000000Z”",
    ]


@pytest.mark.usefixtures("content")
def test_the_analysis_credits_clicked_pages_per_creator_from_the_lake(
    events_dir: Path, committed: Committed
) -> None:
    interleave("heuristic", "popularity")
    # Creators 0-2 click the first card ranker A picked on each of their two pages; creator 3
    # clicks B's twice on one page and A's once; creator 4 clicks nothing.
    for number in range(5):
        someone = creator(f"c-{number}", niche="gaming")
        cursor = ""
        for _page in range(2):
            with committed():
                page = feed_serve(creator=someone, limit=6, cursor=cursor)
            cursor = page.cursor
            logged = {
                f"{r['item_kind']}:{r['item_id']}": r["properties"]["team"]
                for r in recommended(events_dir)
                if r["request_id"] == page.request_id
            }
            by_team = {team: [card for card in page.cards if logged[card.item] == team]
                       for team in ("A", "B")}  # fmt: skip
            clicks = []
            if number < 3:
                clicks = by_team["A"][:1]
            elif number == 3 and _page == 0:
                clicks = [*by_team["B"][:2], by_team["A"][0]]
            with committed():
                for card in clicks:
                    feed_click_record(
                        creator=someone, item=card.item, request_id=page.request_id,
                        position=card.position,
                    )  # fmt: skip
    capture_log().seal()
    compact(events_dir=events_dir)
    [comparison] = interleaving_analysis(events_dir=events_dir)
    assert (comparison.interleaving, comparison.a, comparison.b) == (
        "heuristic~popularity",
        "heuristic",
        "popularity",
    )
    assert comparison.pages == 10
    result = comparison.result
    assert result is not None
    assert (result.creators, result.impressions) == (4, 7)
    assert (result.wins_a, result.wins_b, result.ties) == (6, 1, 0)
    assert result.share_a == pytest.approx(6 / 7)
    assert result.creators_preferring_a == 3
    assert result.creators_preferring_b == 1
    out = StringIO()
    call_command("recsys", "interleaving", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed[0]["interleaving"] == "heuristic~popularity"
    assert printed[0]["result"]["share_a"] == pytest.approx(6 / 7)
    assert printed[0]["result"]["wins_a"] == 6
    out = StringIO()
    call_command("recsys", "interleaving", "--since", "7", stdout=out)
    text = out.getvalue()
    assert "heuristic (A) against popularity (B): 10 pages" in text
    assert "share of clicked pages won by A: 0.857 (95 % interval" in text
    assert "4 creators with a clicked page; A wins / B wins / ties: 6 / 1 / 0" in text
    assert "preferred: heuristic" in text


@pytest.mark.usefixtures("content")
def test_a_rollout_rule_interleaves_the_feed_for_a_share_of_creators(
    events_dir: Path, committed: Committed
) -> None:
    rule = {"force": {"a": "heuristic", "b": "popularity"}, "coverage": 0.5}
    flag_create(key=FLAG, value_type="json", default_value={}, rules=[rule])
    for number in range(20):
        with committed():
            feed_serve(creator=creator(f"r-{number}"), limit=2)
    interleaved = {r["creator_id"] for r in recommended(events_dir) if "team" in r["properties"]}
    assert 5 <= len(interleaved) <= 15
    assert len({r["creator_id"] for r in recommended(events_dir)}) == 20
