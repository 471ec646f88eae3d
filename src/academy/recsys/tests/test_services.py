"""The For You feed against the real database, catalogue and capture log, before any
training (the heuristic ranking) — training and the learned ranker are in test_training.py."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academy.accounts.models import Creator
from academy.accounts.services import creator_upsert
from academy.core.errors import NotFound, ValidationFailed
from academy.events.capture import read_segment
from academy.events.services import events_ingest
from academy.learning.services import enrollment_ensure, lesson_complete
from academy.privacy.services import creator_erase, creator_export
from academy.recsys.models import CardDelivery, RecentInteraction, Suppression
from academy.recsys.services import (
    CARDS_PER_DAY,
    feed_not_interested,
    feed_reset,
    feed_serve,
    feed_settings_update,
    feed_suppression_remove,
    for_you_card,
    hashtag_cards,
)
from academy.recsys.tests.conftest import Committed
from academy.search.tests.factories import published_course, published_wiki

pytestmark = pytest.mark.django_db


def captured(events_dir: Path) -> list[dict[str, Any]]:
    folder = events_dir / "capture"
    if not folder.exists():
        return []
    return [record for path in sorted(folder.iterdir()) for record in read_segment(path)]


@pytest.fixture
def content(committed: Committed) -> dict[str, Any]:
    with committed():
        hooks = published_course(
            title="Hooks that hold",
            topic="creation-essentials",
            hashtags=["hook"],
            lessons=[("Five hook types", "Question, claim."), ("Hook drills", "Practice.")],
        )
        live = published_course(
            title="Going live", topic="live", hashtags=["live"], lessons=[("Why live", "x")]
        )
        money = published_course(
            title="Brand deals 101",
            topic="brand-partnerships",
            level="intermediate",
            lessons=[("Your rate card", "x")],
        )
        growth = published_course(
            title="Reading analytics", topic="growth-analytics", lessons=[("Reach", "x")]
        )
        glossary = published_wiki(title="Retention rate", body="Share who stay.", hashtags=["hook"])
    return {"hooks": hooks, "live": live, "money": money, "growth": growth, "wiki": glossary}


def creator(external_id: str = "c-1", **fields: Any) -> Creator:
    made, _created = creator_upsert(external_id=external_id, **fields)
    return made


def items(page: Any) -> list[str]:
    return [card.item for card in page.cards]


@pytest.mark.usefixtures("content")
class TestFeed:
    def test_a_page_of_explained_cards_with_a_request_id(self, events_dir: Path) -> None:
        page = feed_serve(creator=creator(), limit=5)
        assert len(page.cards) == 5
        assert len(page.request_id) == 32
        assert [card.position for card in page.cards] == [0, 1, 2, 3, 4]
        assert all(card.reason and card.url.startswith("/") for card in page.cards)
        assert page.model_version == ""  # nothing trained yet: the documented heuristic

    def test_served_cards_are_logged_with_position_score_and_propensity(
        self, events_dir: Path, committed: Committed
    ) -> None:
        with committed():
            page = feed_serve(creator=creator(), limit=3)
        logged = [r for r in captured(events_dir) if r["name"] == "recommended"]
        assert [(r["request_id"], r["position"]) for r in logged] == [
            (page.request_id, position) for position in range(3)
        ]
        assert {f"{r['item_kind']}:{r['item_id']}" for r in logged} == set(items(page))
        assert all(0 < r["properties"]["propensity"] <= 1 for r in logged)

    def test_the_cursor_continues_without_repeating_a_card(self) -> None:
        someone = creator()
        first = feed_serve(creator=someone, limit=4)
        second = feed_serve(creator=someone, limit=4, cursor=first.cursor)
        assert second.cursor == first.cursor
        assert not set(items(first)) & set(items(second))
        assert second.request_id != first.request_id

    def test_a_cursor_of_someone_else_or_made_up_is_refused(self) -> None:
        first = feed_serve(creator=creator("a"), limit=2)
        for cursor, who in ((first.cursor, creator("b")), ("made-up", creator("a"))):
            with pytest.raises(ValidationFailed) as refused:
                feed_serve(creator=who, limit=2, cursor=cursor)
            assert "cursor" in refused.value.errors

    def test_limits_outside_1_to_50_are_refused(self) -> None:
        for limit in (0, 51):
            with pytest.raises(ValidationFailed):
                feed_serve(creator=creator(), limit=limit)

    @pytest.mark.usefixtures("no_exploration")
    def test_the_next_lesson_of_a_course_in_progress_comes_first(
        self, content: dict[str, Any]
    ) -> None:
        someone = creator()
        course = content["hooks"]
        first, second = course.lessons.order_by("position")
        enrollment_ensure(creator=someone, course=course)
        lesson_complete(creator=someone, lesson=first)
        card = feed_serve(creator=someone, limit=3).cards[0]
        assert card.item == f"lesson:{second.pk}"
        assert card.reason_code == "next_lesson"
        assert card.reason == "Next in “Hooks that hold”"

    def test_completed_lessons_are_not_shown_again(self, content: dict[str, Any]) -> None:
        someone = creator()
        lesson = content["live"].lessons.get()
        lesson_complete(creator=someone, lesson=lesson)
        assert f"lesson:{lesson.pk}" not in items(feed_serve(creator=someone, limit=50))

    @pytest.mark.usefixtures("no_exploration")
    def test_no_two_cards_in_a_row_from_the_same_course(self) -> None:
        cards = feed_serve(creator=creator(), limit=50).cards
        groups = [card.course_title or card.title for card in cards]
        # Two neighbours may share a course only when nothing else is left to put between.
        repeats = sum(1 for a, b in itertools.pairwise(groups) if a == b)
        assert repeats <= max(0, len(groups) - 2 * len(set(groups)) + 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("content")
def test_a_page_is_ranked_before_its_write_transaction_opens() -> None:
    """On SQLite a transaction holds the database's write lock from its BEGIN. Every read of a
    page (the creator's state, the flags) comes before it and only the page's writes inside it;
    ranking inside it made concurrent feed requests wait for each other."""
    if connection.vendor != "sqlite":
        pytest.skip("about SQLite's write lock")
    someone = creator()
    feed_serve(creator=someone, limit=3)  # the catalogue is loaded
    with CaptureQueriesContext(connection) as queries:
        page = feed_serve(creator=someone, limit=3)
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    begin, commit = statements.index("BEGIN"), statements.index("COMMIT")
    assert "SELECT" in statements[:begin]
    assert statements[begin + 1 : commit] == ["INSERT"]  # the page's session
    assert len(page.cards) == 3


@pytest.mark.usefixtures("content")
class TestControls:
    def test_not_interested_removes_the_item_from_the_next_page(self) -> None:
        someone = creator()
        shown = items(feed_serve(creator=someone, limit=50))
        feed_not_interested(creator=someone, item=shown[0])
        assert shown[0] not in items(feed_serve(creator=someone, limit=50))
        assert RecentInteraction.objects.count() == 0  # the store of feed clicks is apart

    def test_hiding_a_topic_hides_every_item_of_it(self) -> None:
        someone = creator()
        feed_not_interested(creator=someone, topic="live")
        assert all(card.topic != "live" for card in feed_serve(creator=someone, limit=50).cards)
        assert feed_suppression_remove(creator=someone, topic="live") == 1
        assert any(card.topic == "live" for card in feed_serve(creator=someone, limit=50).cards)

    def test_unknown_items_and_topics_are_404s_and_nothing_is_written(self) -> None:
        someone = creator()
        with pytest.raises(NotFound):
            feed_not_interested(creator=someone, item="lesson:999999")
        with pytest.raises(NotFound):
            feed_not_interested(creator=someone, topic="no-such-topic")
        with pytest.raises(ValidationFailed):
            feed_not_interested(creator=someone, item="", topic="")
        assert not Suppression.objects.exists()

    def test_reset_forgets_hidden_items_and_recent_signals(self) -> None:
        someone = creator()
        shown = items(feed_serve(creator=someone, limit=50))
        feed_not_interested(creator=someone, item=shown[0])
        events_ingest(
            raw_events=[{"name": "click", "creator_id": "c-1", "item_kind": "course",
                         "item_id": "x", "timestamp": "2026-11-30T08:00:00Z",
                         "uuid": "00000000-0000-4000-8000-000000000001"}]
        )  # fmt: skip
        feed_reset(creator=someone)
        assert not Suppression.objects.filter(creator=someone).exists()
        assert not RecentInteraction.objects.filter(creator=someone).exists()
        assert shown[0] in items(feed_serve(creator=someone, limit=50))

    @pytest.mark.usefixtures("no_exploration")
    def test_personalisation_off_gives_everyone_the_same_feed(self) -> None:
        beginner = creator("a", niche="food")
        other = creator("b", niche="gaming")
        for someone in (beginner, other):
            feed_settings_update(creator=someone, personalised=False)
        first = feed_serve(creator=beginner, limit=6)
        second = feed_serve(creator=other, limit=6)
        assert not first.personalised
        assert items(first) == items(second)
        assert {card.reason_code for card in first.cards} <= {"editorial", "fresh", "trending"}


@pytest.mark.usefixtures("content")
class TestRealTime:
    def test_clicks_arriving_as_events_are_remembered_for_the_next_page(
        self, content: dict[str, Any]
    ) -> None:
        creator()
        result = events_ingest(
            raw_events=[
                {"name": "click", "creator_id": "c-1", "item_kind": "course",
                 "item_id": content["live"].slug, "timestamp": "2026-11-30T08:00:00Z",
                 "uuid": "00000000-0000-4000-8000-000000000002"},
                {"name": "click", "creator_id": "unknown", "item_kind": "course",
                 "item_id": "x", "timestamp": "2026-11-30T08:00:00Z",
                 "uuid": "00000000-0000-4000-8000-000000000003"},
            ]
        )  # fmt: skip
        assert result.accepted == 2
        kept = RecentInteraction.objects.get()
        assert (kept.creator.external_id, kept.item) == ("c-1", f"course:{content['live'].slug}")


@pytest.mark.usefixtures("content")
class TestEntryPoints:
    def test_the_card_is_capped_per_day_and_never_repeats(self) -> None:
        someone = creator()
        given = []
        for _ in range(CARDS_PER_DAY + 2):
            found = for_you_card(creator=someone)
            if found is not None:
                given.append(found[0].item)
        assert len(given) == CARDS_PER_DAY
        assert len(set(given)) == CARDS_PER_DAY
        assert CardDelivery.objects.filter(creator=someone).count() == CARDS_PER_DAY

    def test_no_card_when_the_creator_turned_cards_off(self) -> None:
        someone = creator()
        feed_settings_update(creator=someone, cards_off=True)
        assert for_you_card(creator=someone) is None

    def test_never_a_card_the_creator_said_not_interested_to(self) -> None:
        someone = creator()
        found = for_you_card(creator=someone)
        assert found is not None
        CardDelivery.objects.all().delete()
        feed_not_interested(creator=someone, item=found[0].item)
        again = for_you_card(creator=someone)
        assert again is None or again[0].item != found[0].item

    def test_the_hashtag_entry_point_lists_only_tagged_content(self) -> None:
        cards, request_id = hashtag_cards(creator=creator(), tag="#Hook")
        assert {card.title for card in cards} == {
            "Hooks that hold", "Five hook types", "Hook drills", "Retention rate"
        }  # fmt: skip
        assert len(request_id) == 32


@pytest.mark.usefixtures("content")
def test_export_and_erase_cover_the_feeds_store() -> None:
    someone = creator()
    feed_serve(creator=someone, limit=2)
    feed_not_interested(creator=someone, topic="live")
    exported = creator_export(creator=someone)["stores"]["recsys"]
    assert exported["not_interested"][0]["topic"] == "live"
    assert len(exported["feeds"]) == 1
    creator_erase(creator=someone)
    assert not Suppression.objects.exists()
