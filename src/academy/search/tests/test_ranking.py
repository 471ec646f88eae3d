"""The ranking blend (docs/SEARCH.md): each component moves results on its own."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from academy.accounts.tests.factories import make_creator_user
from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.rollups import rollup_days
from academy.search.models import ItemPopularity
from academy.search.ranking import (
    Ranked,
    Scored,
    SearcherProfile,
    level_match,
    rank,
    topics_for_goals,
)
from academy.search.selectors import search_documents, searcher_profile
from academy.search.services import search_popularity_refresh
from academy.search.tests.conftest import Committed
from academy.search.tests.factories import published_wiki

ENGLISH = SearcherProfile(language="en")


def scored(
    item: str, *, text: float = 1.0, language: str = "en", level: str = "", topic: str = "t"
) -> Scored:
    return Scored(
        document_id=hash(item + language) % 10_000,
        item=item,
        language=language,
        level=level,
        topic=topic,
        text=text,
    )


def order(ranked: list[Ranked]) -> list[str]:
    return [entry.item for entry in ranked]


class TestBlend:
    def test_text_relevance_orders_equal_items(self) -> None:
        ranked = rank(
            [scored("a", text=2.0), scored("b", text=8.0), scored("c", text=4.0)],
            profile=ENGLISH,
            popularity={},
        )
        assert order(ranked) == ["b", "c", "a"]
        assert ranked[0].text == 1.0  # normalised by the best match

    def test_popularity_lifts_an_item_past_a_slightly_better_match(self) -> None:
        candidates = [scored("quiet", text=10.0), scored("popular", text=9.0)]
        assert order(rank(candidates, profile=ENGLISH, popularity={})) == ["quiet", "popular"]
        lifted = rank(candidates, profile=ENGLISH, popularity={"popular": 1.0})
        assert order(lifted) == ["popular", "quiet"]
        # ...but not past a much better one: text weighs most.
        far = [scored("quiet", text=10.0), scored("popular", text=5.0)]
        assert order(rank(far, profile=ENGLISH, popularity={"popular": 1.0})) == [
            "quiet",
            "popular",
        ]

    def test_profile_lifts_the_creators_level_and_goal_topics(self) -> None:
        candidates = [
            scored("advanced-other", text=10.0, level="advanced", topic="commerce"),
            scored("beginner-live", text=9.5, level="beginner", topic="live"),
        ]
        profile = SearcherProfile(language="en", level="beginner", topics=frozenset({"live"}))
        assert order(rank(candidates, profile=ENGLISH, popularity={}))[0] == "advanced-other"
        assert order(rank(candidates, profile=profile, popularity={}))[0] == "beginner-live"

    def test_the_searchers_language_comes_first_and_items_appear_once(self) -> None:
        candidates = [
            scored("hook", text=10.0, language="en"),
            scored("hook", text=3.0, language="es"),
            scored("live", text=8.0, language="en"),
            scored("niche", text=1.0, language="es"),
        ]
        ranked = rank(candidates, profile=SearcherProfile(language="es"), popularity={})
        assert [(entry.item, entry.language) for entry in ranked] == [
            ("hook", "es"),
            ("niche", "es"),
            ("live", "en"),
        ]

    def test_level_match_and_goal_topics(self) -> None:
        assert level_match("beginner", "beginner") == 1.0
        assert level_match("intermediate", "beginner") == 0.5
        assert level_match("advanced", "beginner") == 0.0
        assert level_match("", "beginner") == 0.5  # wiki articles suit every level
        assert level_match("advanced", "") == 0.0
        assert topics_for_goals(["go_live", "stay_safe"]) == {"live", "community-safety"}


def click(creator: str, wiki_slug: str) -> dict[str, Any]:
    """A tracker click on a wiki card, as the capture log stores it."""
    return {
        "uuid": str(uuid.uuid4()), "name": "click", "timestamp": "2026-11-20T12:00:00Z",
        "creator_id": creator, "anonymous_id": "", "session_id": "", "entry_point": "wiki",
        "item_kind": "wiki", "item_id": wiki_slug, "request_id": "", "position": 0,
        "experiments": {}, "region": "BR", "language": "en", "platform": "web",
        "app_version": "", "properties": {},
    }  # fmt: skip


@pytest.mark.django_db
def test_clicks_from_the_rollups_lift_an_item_in_search(
    committed: Committed, events_dir: Path
) -> None:
    with committed():
        plain = published_wiki(title="Lighting kit", body="Two lights and a reflector.")
        clicked = published_wiki(title="Lighting on a budget", body="Two lights, window light.")

    def top() -> str:
        return search_documents(query="lights", profile=ENGLISH).hits[0].item

    assert top() == f"wiki:{plain.slug}"

    log = CaptureLog(events_dir / "capture")
    log.append([click(f"creator-{number}", clicked.slug) for number in range(30)])
    log.seal()
    compact(events_dir=events_dir)
    rollup_days(events_dir=events_dir, days=["2026-11-20"])
    assert search_popularity_refresh(events_dir=events_dir, today=date(2026, 11, 22)) == 1
    assert ItemPopularity.objects.get(item=f"wiki:{clicked.slug}").clicks == 30
    assert top() == f"wiki:{clicked.slug}"

    # Clicks older than 28 days no longer count.
    assert search_popularity_refresh(events_dir=events_dir, today=date(2026, 12, 30)) == 0
    assert top() == f"wiki:{plain.slug}"


@pytest.mark.django_db
def test_personalisation_off_means_no_profile() -> None:
    creator = make_creator_user().creator
    assert searcher_profile(creator=creator, language="en").level == "beginner"
    creator.personalisation_consent = False
    profile = searcher_profile(creator=creator, language="en")
    assert (profile.level, profile.topics) == ("", frozenset())
