"""The creator's search page, the result click-through, autocomplete and hashtag pages."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from academy.accounts.tests.factories import make_creator_user
from academy.catalog.models import Course
from academy.catalog.services import content_archive
from academy.core.tests.helpers import signed_in, visible_text
from academy.search.tests.conftest import Committed
from academy.search.tests.factories import published_course, published_wiki
from academy.search.tests.test_api import captured

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(committed: Committed) -> None:
    with committed():
        published_course(
            title="Hooks that hold",
            hashtags=["hook", "retention"],
            lessons=[("Five hook types", "Question, claim, surprise.")],
        )
        for number in range(11):
            published_wiki(title=f"Hook idea {number}", body="Open with the payoff.")


def test_the_empty_page_has_a_labelled_box_and_popular_hashtags(content: None) -> None:
    response = Client().get("/search/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<label for="id_q">Search the Academy</label>', html)
    assert 'role="search"' in html
    assert 'hx-get="/search/suggest/"' in html
    assert 'href="/t/hook"' in html


@pytest.mark.usefixtures("content")
class TestResults:
    def test_results_are_highlighted_tracked_and_logged(
        self, events_dir: Path, committed: Committed
    ) -> None:
        with committed():
            response = Client().get("/search/", {"q": "hook types"})
        html = response.content.decode()
        titles = re.findall(r'<h3 lang="en"><a [^>]*>(.*?)</a>', html)
        # Items with both words first (the lesson, and its course listing it), then with one.
        assert titles[:3] == [
            "Five <mark>hook</mark> <mark>types</mark>",
            "<mark>Hooks</mark> that hold",
            "<mark>Hook</mark> idea 0",
        ]
        assert "13 results" in visible_text(html)
        [event] = captured(events_dir)
        assert event["properties"]["surface"] == "web"
        rid = event["request_id"]
        card = re.search(r'<li class="result"[^>]*>', html)
        assert card is not None
        assert 'data-track-entry-point="search"' in card.group(0)
        assert f'data-track-request-id="{rid}"' in card.group(0)
        assert 'data-track-position="0"' in card.group(0)
        link = re.search(r'<h3 lang="en"><a href="([^"]+)"', html)
        assert link is not None
        params = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
        assert params["rid"] == [rid]
        assert params["rank"] == ["1"]

    def test_the_next_page_keeps_the_request_id_and_logs_no_new_search(
        self, events_dir: Path, committed: Committed
    ) -> None:
        with committed():
            first = Client().get("/search/", {"q": "payoff"}).content.decode()
        assert "Page 1 of 2" in visible_text(first)
        next_link = re.search(r'href="([^"]+)" rel="next"', first)
        assert next_link is not None
        with committed():
            second = Client().get(next_link.group(1).replace("&amp;", "&")).content.decode()
        assert "Page 2 of 2" in visible_text(second)
        [event] = captured(events_dir)
        assert f'data-track-request-id="{event["request_id"]}"' in second
        assert '<ol class="result-list" start="11">' in second

    def test_did_you_mean_and_corrections(self) -> None:
        corrected = visible_text(Client().get("/search/", {"q": "payof"}).content.decode())
        assert "Nothing matched “payof”, so these are the results for “payoff”." in corrected
        # No item has both words even once fixed: items with either follow, and the fix is offered.
        offered = Client().get("/search/", {"q": "retention payof"}).content.decode()
        assert (
            'Did you mean <a href="/search/?q=retention%20payoff">retention payoff</a>?' in offered
        )

    def test_zero_results_explain_what_to_do(self) -> None:
        text = visible_text(Client().get("/search/", {"q": "zxqvbn"}).content.decode())
        assert "Nothing matches “zxqvbn” yet." in text
        assert "Browse the courses or the Creator Wiki" in text

    def test_long_queries_are_cut_with_a_note(self) -> None:
        response = Client().get("/search/", {"q": "hook " * 60})
        assert response.status_code == 200
        assert "only its first 200 characters were used" in visible_text(response.content.decode())

    def test_a_hashtag_query_links_to_its_page(self) -> None:
        html = Client().get("/search/", {"q": "#retention"}).content.decode()
        assert '<a href="/t/retention">See everything tagged #retention</a>' in html

    def test_filters_and_bad_filters(self) -> None:
        html = Client().get("/search/", {"q": "hook", "kind": "course"}).content.decode()
        assert "1 result " in visible_text(html)
        assert Client().get("/search/", {"q": "hook", "kind": "podcast"}).status_code == 400

    def test_search_is_in_the_navigation(self) -> None:
        html = signed_in(make_creator_user()).get("/search/").content.decode()
        assert '<a href="/search/" aria-current="page">Search</a>' in html


@pytest.mark.usefixtures("content")
class TestClickThrough:
    def click_url(self, query: str = "hook types") -> str:
        html = Client().get("/search/", {"q": query}).content.decode()
        link = re.search(r'<h3 lang="en"><a href="([^"]+)"', html)
        assert link is not None
        return link.group(1).replace("&amp;", "&")

    def test_records_the_click_then_opens_the_result(
        self, events_dir: Path, committed: Committed
    ) -> None:
        url = self.click_url()
        creator = make_creator_user()
        with committed():
            response = signed_in(creator).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/learn/")
        click = next(record for record in captured(events_dir) if record["name"] == "search_click")
        assert click["properties"] == {"query": "hook types", "rank": 1}
        assert click["position"] == 0
        assert click["item_kind"] == "lesson"
        assert click["creator_id"] == creator.creator.external_id

    def test_a_retired_result_says_so(self, committed: Committed) -> None:
        url = self.click_url("hooks that hold")
        with committed():
            content_archive(item=Course.objects.get())
        response = Client().get(url)
        assert response.status_code == 404
        assert "no longer available" in response.content.decode()

    def test_a_broken_link_is_400(self) -> None:
        assert Client().get("/search/go/", {"item": "course:x"}).status_code == 400
        assert (
            Client()
            .get("/search/go/", {"item": "/etc/passwd", "rid": "0" * 32, "rank": "1"})
            .status_code
            == 400
        )


@pytest.mark.usefixtures("content")
def test_autocomplete_fragment() -> None:
    html = Client().get("/search/suggest/", {"q": "payo"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<a href="/search/?q=payoff">payoff</a>' in html
    assert "Hook idea" in html
    assert Client().get("/search/suggest/", {"q": ""}).content.decode().strip() == ""


@pytest.mark.usefixtures("content")
class TestHashtagPage:
    def test_lists_items_ranked_with_related_hashtags(self) -> None:
        response = Client().get("/t/hook")
        html = response.content.decode()
        assert response.status_code == 200
        assert "<h1>#hook</h1>" in html
        assert "2 courses, lessons and articles with this hashtag" in visible_text(html)
        assert 'data-track-entry-point="hashtag"' in html
        assert '<a href="/t/retention">#retention</a>' in html

    def test_the_address_is_normalised(self) -> None:
        response = Client().get("/t/Hook")
        assert response.status_code == 301
        assert response["Location"] == "/t/hook"

    def test_unknown_tag_is_a_404_page(self) -> None:
        response = Client().get("/t/nosuchtag")
        assert response.status_code == 404
        assert "There is no hashtag #nosuchtag yet." in visible_text(response.content.decode())

    def test_course_pages_link_their_hashtags(self) -> None:
        course = Course.objects.get()
        html = Client().get(f"/learn/{course.slug}/").content.decode()
        assert '<a href="/t/retention">#retention</a>' in html
