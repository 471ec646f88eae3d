"""The search API: /search, /search/suggest, /hashtags/{tag}, and the host app's search entry
point with its request id and event."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from academy.accounts.models import Creator
from academy.accounts.tests.factories import make_creator_user
from academy.core.tests.helpers import signed_in
from academy.events.capture import read_segment
from academy.search.tests.conftest import Committed
from academy.search.tests.factories import published_course, published_wiki

pytestmark = pytest.mark.django_db


def captured(events_dir: Path) -> list[dict[str, Any]]:
    folder = events_dir / "capture"
    if not folder.exists():
        return []
    return [record for path in sorted(folder.iterdir()) for record in read_segment(path)]


@pytest.fixture
def content(committed: Committed) -> None:
    with committed():
        published_course(
            title="Hooks that hold",
            hashtags=["hook", "retention"],
            lessons=[("Five hook types", "Question, claim, surprise.")],
        )
        published_wiki(
            title="Qué es un gancho", body="El gancho engancha.", hashtags=["hook"], language="es"
        )


@pytest.fixture
def reader(api_key_client: Callable[..., Client]) -> Client:
    return api_key_client("feed:read")


@pytest.mark.usefixtures("content")
class TestSearch:
    def test_results_with_highlights_and_a_request_id(
        self, reader: Client, events_dir: Path, committed: Committed
    ) -> None:
        with committed():
            response = reader.get("/api/v1/search", {"q": "hook types", "kind": "article"})
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1
        hit = body["results"][0]
        assert hit["title"] == "Five hook types"
        assert hit["title_html"] == "Five <mark>hook</mark> <mark>types</mark>"
        assert hit["kind"] == "article"
        assert hit["course_title"] == "Hooks that hold"
        assert hit["url"].startswith("/learn/")
        assert len(body["request_id"]) == 32
        [event] = captured(events_dir)
        assert event["name"] == "search"
        assert event["request_id"] == body["request_id"]
        assert event["entry_point"] == "search"
        assert event["properties"]["query"] == "hook types"
        assert event["properties"]["results"] == 1
        assert event["properties"]["surface"] == "api"

    def test_did_you_mean_and_hashtag_in_the_answer(self, reader: Client) -> None:
        body = reader.get("/api/v1/search", {"q": "hokk"}).json()
        assert body["corrected"] is True
        assert body["searched"] == "hook"
        assert body["hashtag"] is None
        assert reader.get("/api/v1/search", {"q": "#Hook"}).json()["hashtag"] == "hook"

    def test_the_searchers_language_first(self, reader: Client) -> None:
        titles = [
            hit["title"]
            for hit in reader.get("/api/v1/search", {"q": "hook gancho", "locale": "es"}).json()[
                "results"
            ]
        ]
        assert titles[0] == "Qué es un gancho"

    def test_refuses_queries_over_200_characters(self, reader: Client) -> None:
        response = reader.get("/api/v1/search", {"q": "a" * 201})
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "q"

    @pytest.mark.parametrize(
        ("params", "field"),
        [({"kind": "podcast"}, "kind"), ({"topic": "astrology"}, "topic"), ({"page": 0}, "page")],
    )
    def test_bad_filters_are_400_naming_the_field(
        self, reader: Client, params: dict[str, Any], field: str
    ) -> None:
        response = reader.get("/api/v1/search", {"q": "hook", **params})
        assert response.status_code == 400
        assert field in {error["field"] for error in response.json()["errors"]}

    def test_operators_and_sql_are_just_words(self, reader: Client) -> None:
        for query in ['"hook" NEAR *', "'; DROP TABLE search_searchdocument; --", "   "]:
            assert reader.get("/api/v1/search", {"q": query}).status_code == 200
        assert reader.get("/api/v1/search", {"q": "hook"}).json()["total"] == 3

    def test_needs_a_key_or_a_session(self, content: None) -> None:
        assert Client().get("/api/v1/search", {"q": "hook"}).status_code == 401
        creator_client = signed_in(make_creator_user(language="es"))
        body = creator_client.get("/api/v1/search", {"q": "hook gancho"}).json()
        # A signed-in creator's language orders their results.
        assert body["results"][0]["language"] == "es"

    def test_suggest(self, reader: Client) -> None:
        body = reader.get("/api/v1/search/suggest", {"q": "hoo"}).json()
        texts = [suggestion["text"] for suggestion in body["suggestions"]]
        assert "hook" in texts
        assert "Hooks that hold" in texts
        item = next(s for s in body["suggestions"] if s["text"] == "Hooks that hold")
        assert (item["kind"], item["url"]) == ("course", item["url"])
        assert item["url"].startswith("/learn/")


def test_query_count_does_not_grow_with_results(reader: Client, committed: Committed) -> None:
    with committed():
        published_wiki(title="Caption tips", body="Captions help.")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert reader.get("/api/v1/search", {"q": "captions"}).status_code == 200
        return len(context.captured_queries)

    queries()  # the key's first use of the minute is recorded: not part of the search
    few = queries()
    with committed():
        for number in range(10):
            published_wiki(title=f"Caption idea {number}", body="Captions help.")
    queries()  # the index changed: its popularity and hashtag names are read once, then cached
    assert queries() == few


@pytest.mark.usefixtures("content")
class TestHashtags:
    def test_items_and_related_hashtags(self, reader: Client) -> None:
        response = reader.get("/api/v1/hashtags/Hook")
        assert response.status_code == 200
        body = response.json()
        assert body["tag"] == "hook"
        assert body["total"] == 3
        assert {hit["title"] for hit in body["results"]} == {
            "Hooks that hold",
            "Five hook types",
            "Qué es un gancho",
        }
        assert body["related"] == [{"tag": "retention", "items": 2}]
        assert len(body["request_id"]) == 32

    def test_unknown_hashtag_is_a_404_problem(self, reader: Client) -> None:
        response = reader.get("/api/v1/hashtags/nosuchtag")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert "nosuchtag" in response.json()["detail"]


@pytest.mark.usefixtures("content")
class TestSearchEntryPoint:
    URL = "/api/v1/entry-points/search"

    @pytest.fixture
    def creator(self) -> Creator:
        creator = make_creator_user(language="es", region="MX").creator
        assert creator is not None
        return creator

    def test_needs_a_key_with_search_read(
        self, api_key_client: Callable[..., Client], creator: Creator
    ) -> None:
        params = {"creator": creator.external_id, "q": "hook"}
        assert Client().get(self.URL, params).status_code == 401
        forbidden = api_key_client("feed:read").get(self.URL, params)
        assert forbidden.status_code == 403
        assert "search:read" in forbidden.json()["detail"]

    def test_unknown_creator_is_a_404_problem(self, api_key_client: Callable[..., Client]) -> None:
        response = api_key_client("search:read").get(self.URL, {"creator": "nobody", "q": "hook"})
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert "nobody" in response.json()["detail"]

    def test_results_for_the_creator_with_a_request_id_and_an_event(
        self,
        api_key_client: Callable[..., Client],
        creator: Creator,
        events_dir: Path,
        committed: Committed,
    ) -> None:
        client = api_key_client("search:read")
        with committed():
            response = client.get(
                self.URL, {"creator": creator.external_id, "q": "hook gancho", "limit": "2"}
            )
        assert response.status_code == 200
        body = response.json()
        assert body["creator"] == creator.external_id
        assert len(body["results"]) == 2
        assert body["results"][0]["title"] == "Qué es un gancho"  # the creator's language first
        [event] = captured(events_dir)
        assert (event["name"], event["entry_point"]) == ("search", "search")
        assert event["creator_id"] == creator.external_id
        assert event["request_id"] == body["request_id"]
        assert event["region"] == "MX"
        assert event["properties"]["surface"] == "host"
        assert event["properties"]["results"] == body["total"]
