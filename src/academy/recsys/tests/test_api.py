"""The For You API: /feed, the host app's entry points and the creator's controls, with
scopes, problem+json errors and the request id that comes back with events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from ninja import Schema

from academy.accounts.services import creator_upsert
from academy.accounts.tests.factories import make_creator_user
from academy.core.tests.helpers import signed_in
from academy.recsys.models import Suppression
from academy.recsys.schemas import EntryCardOut, FeedOut, HashtagEntryOut
from academy.recsys.tests.conftest import Committed
from academy.search.tests.factories import published_course, published_wiki

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def content(committed: Committed) -> None:
    with committed():
        published_course(title="Hooks that hold", hashtags=["hook"], lessons=[("Hook types", "x")])
        published_course(title="Going live", topic="live", lessons=[("Why live", "x")])
        published_wiki(title="Retention rate", body="Share who stay.", hashtags=["hook"])
    creator_upsert(external_id="c-1")


@pytest.fixture
def host(api_key_client: Callable[..., Client]) -> Client:
    return api_key_client("feed:read", "feed:write")


def documented(schema: type[Schema], body: dict[str, Any]) -> dict[str, Any]:
    """``body``, after checking it is exactly what the OpenAPI schema documents: the fields, no
    more, of the documented types (the feed writes its JSON directly, not through the model)."""
    assert schema.model_validate(body, strict=True).model_dump() == body
    return body


def send(client: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


class TestFeed:
    def test_a_host_app_reads_a_creators_feed_page_by_page(self, host: Client) -> None:
        params: dict[str, str | int] = {"creator": "c-1", "limit": 3}
        first = host.get("/api/v1/feed", params)
        assert first.status_code == 200
        body = documented(FeedOut, first.json())
        assert body["creator"] == "c-1"
        assert body["personalised"] is True
        assert [card["position"] for card in body["cards"]] == [0, 1, 2]
        card = body["cards"][0]
        assert card["item"] == f"{card['item_kind']}:{card['id']}"
        assert card["reason"]
        assert card["url"].startswith("/")
        second = host.get("/api/v1/feed", {"creator": "c-1", "limit": 3, "cursor": body["cursor"]})
        assert not {c["item"] for c in body["cards"]} & {c["item"] for c in second.json()["cards"]}

    def test_a_signed_in_creator_reads_their_own_feed(self) -> None:
        client = signed_in(make_creator_user())
        response = client.get("/api/v1/feed", {"limit": 2})
        assert response.status_code == 200
        assert len(response.json()["cards"]) == 2
        refused = client.get("/api/v1/feed", {"creator": "c-1"})
        assert refused.status_code == 400

    @pytest.mark.parametrize(
        ("params", "status"),
        [
            ({"creator": "nobody"}, 404),
            ({}, 400),
            ({"creator": "c-1", "limit": 0}, 422),
            ({"creator": "c-1", "limit": 51}, 422),
            ({"creator": "c-1", "cursor": "made-up"}, 400),
        ],
    )
    def test_bad_requests_are_problems(
        self, host: Client, params: dict[str, str | int], status: int
    ) -> None:
        response = host.get("/api/v1/feed", params)
        assert response.status_code in {status, 400}
        assert response["Content-Type"] == "application/problem+json"

    def test_a_key_without_the_feed_scope_is_refused(
        self, api_key_client: Callable[..., Client]
    ) -> None:
        response = api_key_client("events:write").get("/api/v1/feed", {"creator": "c-1"})
        assert response.status_code == 403
        assert "feed:read" in response.json()["detail"]


class TestEntryPoints:
    def test_for_you_card_then_204_when_cards_are_off(self, host: Client) -> None:
        response = host.get("/api/v1/entry-points/for-you-card", {"creator": "c-1"})
        assert response.status_code == 200
        assert documented(EntryCardOut, response.json())["card"]["reason"]
        send(host, "patch", "/api/v1/feed/settings", {"creator": "c-1", "cards_off": True})
        off = host.get("/api/v1/entry-points/for-you-card", {"creator": "c-1"})
        assert off.status_code == 204
        assert off.content == b""

    def test_hashtag_entry_point(self, host: Client) -> None:
        response = host.get("/api/v1/entry-points/hashtag/%23hook", {"creator": "c-1"})
        assert response.status_code == 200
        body = documented(HashtagEntryOut, response.json())
        assert body["tag"] == "hook"
        assert {card["title"] for card in body["cards"]} == {
            "Hooks that hold", "Hook types", "Retention rate"
        }  # fmt: skip


class TestControls:
    def test_not_interested_then_undo(self, host: Client) -> None:
        item = host.get("/api/v1/feed", {"creator": "c-1", "limit": "1"}).json()["cards"][0]["item"]
        created = send(
            host, "post", "/api/v1/feed/not-interested", {"creator": "c-1", "item": item}
        )
        assert created.status_code == 201
        cards = host.get("/api/v1/feed", {"creator": "c-1", "limit": "50"}).json()["cards"]
        assert item not in {card["item"] for card in cards}
        settings = host.get("/api/v1/feed/settings", {"creator": "c-1"}).json()
        assert [hidden["item"] for hidden in settings["hidden"]] == [item]
        undone = send(
            host, "delete", "/api/v1/feed/not-interested", {"creator": "c-1", "item": item}
        )
        assert undone.status_code == 204
        again = send(
            host, "delete", "/api/v1/feed/not-interested", {"creator": "c-1", "item": item}
        )
        assert again.status_code == 404

    def test_a_read_only_key_cannot_change_controls(
        self, api_key_client: Callable[..., Client]
    ) -> None:
        reader = api_key_client("feed:read")
        response = send(reader, "post", "/api/v1/feed/reset", {"creator": "c-1"})
        assert response.status_code == 403

    def test_personalisation_off_and_reset(self, host: Client) -> None:
        body = send(
            host, "patch", "/api/v1/feed/settings", {"creator": "c-1", "personalised": False}
        ).json()
        assert body["personalised"] is False
        assert host.get("/api/v1/feed", {"creator": "c-1"}).json()["personalised"] is False
        send(host, "post", "/api/v1/feed/not-interested", {"creator": "c-1", "topic": "live"})
        assert send(host, "post", "/api/v1/feed/reset", {"creator": "c-1"}).status_code == 204
        assert not Suppression.objects.exists()

    def test_naming_both_an_item_and_a_topic_is_refused(self, host: Client) -> None:
        response = send(
            host, "post", "/api/v1/feed/not-interested",
            {"creator": "c-1", "item": "course:x", "topic": "live"},
        )  # fmt: skip
        assert response.status_code == 400
        assert not Suppression.objects.exists()
