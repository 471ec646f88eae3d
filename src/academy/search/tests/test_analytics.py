"""Search analytics against events whose answers were worked out by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.core.tests.helpers import SetTime, signed_in, visible_text
from academy.events.capture import capture_log
from academy.events.lake import compact
from academy.events.services import events_ingest
from academy.search.analytics import content_gaps
from academy.search.services import Searcher, search_click_logged, search_logged
from academy.search.tests.conftest import Committed

pytestmark = pytest.mark.django_db

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
VISITOR = Searcher(anonymous_id="visitor-1", language="en")


def rid(number: int) -> str:
    return f"{number:032x}"


def tracker_click(request: int, item_id: str, entry_point: str = "search") -> dict[str, object]:
    return {
        "uuid": str(uuid.uuid4()),
        "name": "click",
        "timestamp": "2026-11-22T09:00:00Z",
        "creator_id": "host-7",
        "entry_point": entry_point,
        "item_kind": "wiki",
        "item_id": item_id,
        "request_id": rid(request),
    }


@pytest.fixture
def searches(events_dir: Path, committed: Committed, frozen_clock: SetTime) -> Path:
    frozen_clock(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    with committed():  # before the range: never counted
        search_logged(searcher=VISITOR, query="hooks", results=5, request_id=rid(99), surface="web")
    frozen_clock(CLOCK_START)
    logged = [
        (1, "Hooks", 5), (2, "hooks  ", 5), (3, "hooks", 5),
        (4, "monetizacion para gamers", 0), (5, "Monetizacion  para gamers", 0),
        *((number, "lighting", 3) for number in range(6, 12)),
    ]  # fmt: skip
    with committed():
        for number, query, results in logged:
            search_logged(
                searcher=VISITOR, query=query, results=results, request_id=rid(number),
                surface="web",
            )  # fmt: skip
        # Search 1: the same result opened through the page and counted by the tracker too.
        search_click_logged(
            searcher=VISITOR, query="Hooks", item="wiki:a", rank=1, request_id=rid(1)
        )
        # Search 3: two different results opened.
        search_click_logged(
            searcher=VISITOR, query="hooks", item="wiki:a", rank=1, request_id=rid(3)
        )
        # Search 6: one of the six "lighting" searches is clicked.
        search_click_logged(
            searcher=VISITOR, query="lighting", item="wiki:c", rank=2, request_id=rid(6)
        )
    events_ingest(
        raw_events=[
            tracker_click(1, "a"),
            tracker_click(3, "b"),
            tracker_click(2, "a", entry_point="wiki"),  # not a click on a search result
            tracker_click(42, "a"),  # a request id no search carries
        ]
    )
    capture_log().seal()
    compact(events_dir=events_dir)
    return events_dir


def test_content_gaps_match_the_hand_computed_numbers(searches: Path) -> None:
    gaps = content_gaps(events_dir=searches, start=date(2026, 11, 1), end=date(2026, 11, 22))
    assert (gaps.searches, gaps.clicked, gaps.zero_result, gaps.queries) == (11, 3, 2, 3)
    rows = [(q.query, q.searches, q.zero_result, q.clicked, q.clicks) for q in gaps.top]
    assert rows == [
        ("lighting", 6, 0, 1, 1),
        ("hooks", 3, 0, 2, 3),
        ("monetizacion para gamers", 2, 2, 0, 0),
    ]
    assert [q.query for q in gaps.zero_results] == ["monetizacion para gamers"]
    assert [(q.query, q.ctr_percent) for q in gaps.low_click] == [("lighting", 17)]
    assert gaps.ctr_percent == 27


def test_the_range_is_inclusive_and_empty_days_are_fine(searches: Path) -> None:
    october = content_gaps(events_dir=searches, start=date(2026, 10, 1), end=date(2026, 10, 1))
    assert [(q.query, q.searches) for q in october.top] == [("hooks", 1)]
    empty = content_gaps(events_dir=searches, start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert (empty.searches, empty.top) == (0, [])


class TestStudioPage:
    URL = "/studio/content-gaps/"

    def test_editors_see_the_gaps(self, searches: Path) -> None:
        editor = signed_in(make_staff_user(role=Role.EDITOR))
        response = editor.get(self.URL)
        assert response.status_code == 200
        text = visible_text(response.content.decode())
        assert "11 searches from Oct. 26, 2026 to Nov. 22, 2026" in text
        assert "Searches with no result Searches monetizacion para gamers 2 2" in text
        assert "Searches with few clicks" in text
        assert "lighting 6 1 17%" in text
        html = response.content.decode()
        assert 'aria-current="page">Content gaps</a>' in html

    def test_a_chosen_range(self, searches: Path) -> None:
        editor = signed_in(make_staff_user(role=Role.EDITOR))
        text = visible_text(
            editor.get(self.URL, {"start": "2026-10-01", "end": "2026-10-31"}).content.decode()
        )
        assert "1 search from Oct. 1, 2026 to Oct. 31, 2026" in text

    def test_a_backwards_range_is_400(self, searches: Path) -> None:
        editor = signed_in(make_staff_user(role=Role.EDITOR))
        response = editor.get(self.URL, {"start": "2026-11-22", "end": "2026-11-01"})
        assert response.status_code == 400
        assert "The start date is after the end date." in response.content.decode()

    def test_creators_may_not(self) -> None:
        assert signed_in(make_creator_user()).get(self.URL).status_code == 403
