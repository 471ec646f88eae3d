"""The creator's For You page: cards with reasons and tracking, the click-through, the card
controls (with and without JavaScript), the endless feed and the settings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from academy.accounts.choices import Role
from academy.accounts.models import User
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.catalog.models import Course
from academy.core.tests.helpers import signed_in, visible_text
from academy.recsys.catalogue import catalogue_forget
from academy.recsys.models import FeedPreference, RecentInteraction, Suppression
from academy.search.tests.factories import published_course, published_wiki
from academy.search.tests.test_api import captured

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<article class="feed-card"[^>]*>')


@pytest.fixture
def content(django_capture_on_commit_callbacks: Callable[..., Any]) -> Iterator[None]:
    """Sixteen published items in three topics, indexed as publishing indexes them."""
    catalogue_forget()
    with django_capture_on_commit_callbacks(execute=True):
        published_course(
            title="Go LIVE with confidence",
            topic="live",
            slug="live-confidence",
            lessons=[("Plan your first LIVE", "A run sheet."), ("Answer comments live", "Q&A.")],
        )
        published_course(
            title="Light and sound",
            topic="creation-essentials",
            slug="light-sound",
            lessons=[("Three-point light", "Key, fill, back."), ("Clean audio", "Mics.")],
        )
        for number in range(10):
            published_wiki(
                title=f"Strategy note {number}",
                body="Post when your audience is awake.",
                summary=f"Strategy summary {number}",
                topic="content-strategy",
                slug=f"strategy-{number}",
            )
    yield
    catalogue_forget()


@pytest.fixture
def creator_user(events_dir: Path) -> User:
    return make_creator_user(display_name="Ana")


def cards_of(html: str) -> list[dict[str, str]]:
    """Each card's tracking attributes and title, in page order."""
    found = []
    for match in re.finditer(r'(<article class="feed-card"[^>]*>)(.*?)</article>', html, re.S):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
        title = re.search(r"<h3[^>]*><a href=\"([^\"]+)\">(.*?)</a>", match.group(2))
        assert title is not None
        attributes["link"] = unescape(title.group(1))
        attributes["title"] = unescape(title.group(2))
        attributes["body"] = match.group(2)
        found.append(attributes)
    return found


def more_url(html: str) -> str:
    match = re.search(r'<div id="feed-more"[^>]*>\s*<a href="([^"]+)"', html)
    assert match is not None, "no More link"
    return unescape(match.group(1))


@pytest.mark.usefixtures("content")
class TestFeedPage:
    def test_cards_carry_reasons_controls_and_tracking(self, creator_user: User) -> None:
        response = signed_in(creator_user).get("/for-you/")
        assert response.status_code == 200
        html = response.content.decode()
        cards = cards_of(html)
        assert len(cards) == 10
        request_ids = {card["data-track-request-id"] for card in cards}
        assert len(request_ids) == 1
        assert re.fullmatch(r"[0-9a-f]{32}", request_ids.pop())
        assert [card["data-track-position"] for card in cards] == [str(n) for n in range(10)]
        for card in cards:
            assert card["data-track-entry-point"] == "academy_home"
            kind, _sep, item_id = card["data-track-item"].partition(":")
            assert (card["data-track-item-kind"], card["data-track-item-id"]) == (kind, item_id)
            assert "Why am I seeing this?" in card["body"]
            assert re.search(r'<p class="feed-reason">.*\w', card["body"])
            assert 'action="/for-you/not-interested/"' in card["body"]
            assert "csrfmiddlewaretoken" in card["body"]
        text = visible_text(html)
        assert "Hide topic “Content strategy”" in text
        assert "Personalisation is off" not in text
        assert 'href="/for-you/" aria-current="page"' in html

    def test_a_lesson_card_names_its_course(self, creator_user: User) -> None:
        html = signed_in(creator_user).get("/for-you/").content.decode()
        lessons = [c for c in cards_of(html) if c["data-track-item-kind"] == "lesson"]
        assert lessons, "the feed shows no lesson"
        assert all("Lesson in" in visible_text(card["body"]) for card in lessons)

    def test_more_continues_the_feed_without_repeating_a_card(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        first = client.get("/for-you/").content.decode()
        more = more_url(first)
        # Without JavaScript: the whole page again, with the next cards.
        second = client.get(more).content.decode()
        # With JavaScript: only the cards and the next "More", swapped in by htmx.
        partial = client.get(more + "&partial=1").content.decode()
        first_items = {c["data-track-item"] for c in cards_of(first)}
        second_items = {c["data-track-item"] for c in cards_of(second)}
        assert len(second_items) == 6
        assert not first_items & second_items
        assert "<html" not in partial
        assert 'hx-swap-oob="true"' in partial
        assert cards_of(partial) == [], "everything was already shown"
        assert "You have seen everything we can suggest for now." in visible_text(partial)

    def test_a_partial_page_has_cards_and_the_next_more_link(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        first = client.get("/for-you/").content.decode()
        partial = client.get(more_url(first) + "&partial=1").content.decode()
        assert len(cards_of(partial)) == 6
        assert "<html" not in partial
        assert 'hx-trigger="intersect once, click"' in partial

    def test_the_feed_logs_what_it_served(
        self,
        creator_user: User,
        events_dir: Path,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            html = signed_in(creator_user).get("/for-you/").content.decode()
        rid = cards_of(html)[0]["data-track-request-id"]
        served = [e for e in captured(events_dir) if e["name"] == "recommended"]
        assert len(served) == 10
        assert {e["request_id"] for e in served} == {rid}
        assert {e["entry_point"] for e in served} == {"academy_home"}

    def test_personalisation_off_is_said_at_the_top(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        client.post("/for-you/settings/", {"cards_on": "on"})
        text = visible_text(client.get("/for-you/").content.decode())
        assert "Personalisation is off: you see the same popular and new content" in text

    def test_spanish_page(self, events_dir: Path) -> None:
        user = make_creator_user(language="es")
        client = signed_in(user)
        client.cookies["django_language"] = "es"
        html = client.get("/for-you/", headers={"accept-language": "es"}).content.decode()
        assert '<html lang="es">' in html
        assert len(cards_of(html)) == 10
        # The English content says it is English inside a Spanish page.
        assert re.search(r'<h3 id="[^"]+" lang="en">', html)


def test_the_empty_state_links_to_the_catalogue(creator_user: User) -> None:
    catalogue_forget()
    html = signed_in(creator_user).get("/for-you/").content.decode()
    assert cards_of(html) == []
    assert "Nothing to suggest yet" in visible_text(html)
    assert 'href="/learn/"' in html


class TestWhoMayOpenIt:
    def test_visitors_are_sent_to_sign_in(self) -> None:
        response = Client().get("/for-you/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/for-you/")

    def test_staff_without_a_creator_profile_are_told_why(self) -> None:
        response = signed_in(make_staff_user(role=Role.EDITOR)).get("/for-you/")
        assert response.status_code == 403
        assert "made for creator accounts only" in visible_text(response.content.decode())

    def test_controls_need_a_signed_in_creator(self) -> None:
        response = Client().post("/for-you/not-interested/", {"topic": "live"})
        assert response.status_code == 302
        assert not Suppression.objects.exists()


@pytest.mark.usefixtures("content")
class TestClickThrough:
    def test_opening_a_card_records_a_click_and_goes_to_it(
        self,
        creator_user: User,
        events_dir: Path,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        client = signed_in(creator_user)
        html = client.get("/for-you/").content.decode()
        card = next(c for c in cards_of(html) if c["data-track-item-kind"] == "wiki")
        assert card["link"].startswith("/for-you/go/?")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(card["link"])
        assert response.status_code == 302
        assert response["Location"] == f"/wiki/{card['data-track-item-id']}/"
        [click] = RecentInteraction.objects.filter(creator=creator_user.creator)
        assert (click.kind, click.item) == ("click", card["data-track-item"])
        [event] = [e for e in captured(events_dir) if e["name"] == "click"]
        params = parse_qs(urlsplit(card["link"]).query)
        assert event["request_id"] == params["rid"][0] == card["data-track-request-id"]
        assert event["position"] == int(card["data-track-position"])

    @pytest.mark.parametrize(
        "query",
        [
            {},
            {"item": "lesson:1", "rid": "not-an-id", "pos": "0"},
            {"item": "video:1", "rid": "a" * 32, "pos": "0"},
            {"item": "wiki:strategy-1", "rid": "a" * 32, "pos": "-1"},
        ],
    )
    def test_a_broken_link_is_a_friendly_400_and_records_nothing(
        self, creator_user: User, query: dict[str, str]
    ) -> None:
        response = signed_in(creator_user).get("/for-you/go/", query)
        assert response.status_code == 400
        assert "This link to a recommendation is broken." in visible_text(response.content.decode())
        assert not RecentInteraction.objects.exists()

    def test_an_unknown_item_is_a_friendly_404(self, creator_user: User) -> None:
        response = signed_in(creator_user).get(
            "/for-you/go/", {"item": "wiki:no-such-article", "rid": "a" * 32, "pos": "3"}
        )
        assert response.status_code == 404
        assert "no longer available" in visible_text(response.content.decode())
        assert not RecentInteraction.objects.exists()


@pytest.mark.usefixtures("content")
class TestControls:
    def test_not_interested_without_javascript_redirects_and_hides_the_card(
        self, creator_user: User
    ) -> None:
        client = signed_in(creator_user)
        first = cards_of(client.get("/for-you/").content.decode())[0]
        response = client.post(
            "/for-you/not-interested/",
            {"item": first["data-track-item"], "rid": first["data-track-request-id"]},
            follow=True,
        )
        assert response.redirect_chain == [("/for-you/", 302)]
        html = response.content.decode()
        assert f"You won’t see “{first['title']}” again." in visible_text(html)
        assert first["data-track-item"] not in {c["data-track-item"] for c in cards_of(html)}

    def test_not_interested_with_javascript_answers_json(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        first = cards_of(client.get("/for-you/").content.decode())[0]
        response = client.post(
            "/for-you/not-interested/",
            {"item": first["data-track-item"]},
            headers={"accept": "application/json"},
        )
        assert response.status_code == 201
        assert response.json() == {
            "message": f"You won’t see “{first['title']}” again.",
            "item": first["data-track-item"],
            "topic": "",
        }
        # Undo: the card may come back.
        undo = client.post(
            "/for-you/show-again/",
            {"item": first["data-track-item"]},
            headers={"accept": "application/json"},
        )
        assert undo.status_code == 200
        assert not Suppression.objects.exists()

    def test_hide_topic_takes_the_whole_topic_out(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        response = client.post("/for-you/not-interested/", {"topic": "content-strategy"})
        assert response.status_code == 302
        cards = cards_of(client.get("/for-you/").content.decode())
        assert len(cards) == 6
        assert all(c["data-track-item-kind"] != "wiki" for c in cards)
        settings_html = client.get("/for-you/settings/").content.decode()
        assert "Topic: Content strategy" in visible_text(settings_html)

    def test_show_again_from_the_settings_brings_the_topic_back(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        client.post("/for-you/not-interested/", {"topic": "content-strategy"})
        response = client.post(
            "/for-you/show-again/", {"topic": "content-strategy", "back": "settings"}
        )
        assert response["Location"] == "/for-you/settings/"
        assert len(cards_of(client.get("/for-you/").content.decode())) == 10

    @pytest.mark.parametrize(
        ("data", "status"),
        [
            ({}, 400),
            ({"item": "wiki:strategy-1", "topic": "live"}, 400),
            ({"item": "<script>"}, 400),
            ({"topic": "Not A Slug"}, 400),
            ({"item": "wiki:no-such-article"}, 404),
            ({"topic": "no-such-topic"}, 404),
        ],
    )
    def test_bad_input_is_a_friendly_error_and_hides_nothing(
        self, creator_user: User, data: dict[str, str], status: int
    ) -> None:
        client = signed_in(creator_user)
        page = client.post("/for-you/not-interested/", data)
        assert page.status_code == status
        assert "<h1>" in page.content.decode()
        problem = client.post(
            "/for-you/not-interested/", data, headers={"accept": "application/json"}
        )
        assert problem.status_code == status
        assert problem["Content-Type"] == "application/problem+json"
        assert not Suppression.objects.exists()

    def test_showing_again_what_is_not_hidden_is_a_404(self, creator_user: User) -> None:
        response = signed_in(creator_user).post("/for-you/show-again/", {"topic": "live"})
        assert response.status_code == 404

    def test_reset_asks_first_then_brings_everything_back(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        client.post("/for-you/not-interested/", {"topic": "content-strategy"})
        client.post("/for-you/not-interested/", {"item": "course:light-sound"})
        confirm = client.get("/for-you/reset/")
        assert "Reset my recommendations?" in visible_text(confirm.content.decode())
        assert Suppression.objects.count() == 2
        response = client.post("/for-you/reset/", follow=True)
        assert response.redirect_chain == [("/for-you/", 302)]
        assert not Suppression.objects.exists()
        assert FeedPreference.objects.get(creator=creator_user.creator).history_reset_at
        assert len(cards_of(response.content.decode())) == 10

    def test_a_cursor_forgotten_by_a_reset_is_a_friendly_400(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        more = more_url(client.get("/for-you/").content.decode())
        client.post("/for-you/reset/")
        response = client.get(more)
        assert response.status_code == 400
        assert "This page of your feed has expired." in visible_text(response.content.decode())
        assert client.get("/for-you/", {"cursor": "XYZ"}).status_code == 400


class TestSettings:
    def test_the_page_shows_the_current_choices(self, creator_user: User) -> None:
        html = signed_in(creator_user).get("/for-you/settings/").content.decode()
        assert re.search(r'<input type="checkbox" name="personalised"[^>]* checked', html)
        assert re.search(r'<input type="checkbox" name="cards_on"[^>]* checked', html)
        assert "same popular and new content as everyone" in visible_text(html)
        assert "Nothing is hidden." in visible_text(html)
        assert 'href="/for-you/reset/"' in html

    def test_turning_both_off_and_on_again(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        creator = creator_user.creator
        response = client.post("/for-you/settings/", {}, follow=True)
        assert "Your feed settings are saved." in visible_text(response.content.decode())
        creator.refresh_from_db()
        assert creator.personalisation_consent is False
        assert FeedPreference.objects.get(creator=creator).cards_off is True
        client.post("/for-you/settings/", {"personalised": "on", "cards_on": "on"})
        creator.refresh_from_db()
        assert creator.personalisation_consent is True
        assert FeedPreference.objects.get(creator=creator).cards_off is False


def test_course_titles_match_the_catalogue(creator_user: User, content: None) -> None:
    """The feed's course card is the course the catalogue lists (its title, its page)."""
    client = signed_in(creator_user)
    cards = cards_of(client.get("/for-you/").content.decode())
    courses = {c["data-track-item-id"]: c for c in cards if c["data-track-item-kind"] == "course"}
    for slug, card in courses.items():
        assert card["title"] == Course.objects.get(slug=slug).texts.get(language="en").title
        assert client.get(card["link"])["Location"] == f"/learn/{slug}/"


@pytest.mark.usefixtures("content")
def test_a_page_costs_the_same_queries_however_many_cards(creator_user: User) -> None:
    """No query per card: ten cards and six cards cost the same few queries (the next page
    also reads its cursor's session)."""
    client = signed_in(creator_user)
    client.get("/for-you/")  # the session and permissions are cached from here on
    with CaptureQueriesContext(connection) as ten:
        html = client.get("/for-you/").content.decode()
    with CaptureQueriesContext(connection) as six:
        partial = client.get(more_url(html) + "&partial=1").content.decode()
    assert (len(cards_of(html)), len(cards_of(partial))) == (10, 6)
    assert len(ten.captured_queries) + 1 == len(six.captured_queries) <= 20
