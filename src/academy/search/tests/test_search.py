"""What a searcher gets: typo tolerance, autocomplete, filters, pages, safe highlights, and no
error whatever they type — on whichever database the suite runs."""

from __future__ import annotations

import pytest

from academy.catalog.models import Lesson
from academy.core.errors import NotFound
from academy.search.backends import Filters
from academy.search.ranking import SearcherProfile
from academy.search.selectors import hashtag_page, search_documents, search_suggestions
from academy.search.tests.conftest import Committed
from academy.search.tests.factories import published_course, published_wiki

pytestmark = pytest.mark.django_db

ENGLISH = SearcherProfile(language="en")


@pytest.fixture
def library(committed: Committed) -> None:
    with committed():
        published_course(
            title="Hooks that hold",
            summary="Win the first second of every video.",
            level="beginner",
            hashtags=["hook", "retention"],
            lessons=[
                ("Five hook types", "A question, a bold claim or a visual surprise."),
                ("Test your hooks", "Compare retention after three seconds."),
            ],
        )
        published_course(
            title="Going live with confidence",
            summary="Plan, host and moderate a live stream.",
            level="advanced",
            topic="live",
            hashtags=["live", "moderation"],
            kind="video",
            lessons=[("Moderation tools", "Mute, block and assign moderators.")],
        )
        published_wiki(
            title="What is a hook?",
            body="A hook is what keeps viewers past the first second.",
            hashtags=["hook"],
        )
        published_wiki(
            title="Retention rate",
            body="The share of viewers still watching at each second.",
            topic="growth-analytics",
            hashtags=["retention", "analytics"],
        )


@pytest.mark.usefixtures("library")
class TestTypos:
    def test_a_misspelt_query_shows_the_results_of_its_fix(self) -> None:
        results = search_documents(query="hokk", profile=ENGLISH)
        assert results.corrected
        assert results.searched == "hook"
        assert "What is a hook?" in [hit.title for hit in results.hits]

    def test_did_you_mean_is_offered_when_other_words_matched(self) -> None:
        results = search_documents(query="retention moderatoin", profile=ENGLISH)
        assert not results.corrected
        assert results.suggestion == "retention moderation"

    def test_swapped_letters_are_fixed(self) -> None:
        results = search_documents(query="retnetion", profile=ENGLISH)
        assert results.searched == "retention"
        assert results.total >= 2

    def test_an_unknown_word_that_matches_by_its_stem_is_searched_as_typed(self) -> None:
        # "hooking" is in no text, but its stem is: its matches win over any fix.
        results = search_documents(query="hooking", profile=ENGLISH)
        assert not results.corrected
        assert results.searched == "hooking"
        assert "What is a hook?" in [hit.title for hit in results.hits]

    def test_a_fixed_query_that_few_items_match_whole_adds_those_matching_some(self) -> None:
        results = search_documents(query="hokk retention", profile=ENGLISH)
        assert results.corrected
        assert results.searched == "hook retention"
        titles = [hit.title for hit in results.hits]
        # Both words, then either of them.
        assert {"Test your hooks", "What is a hook?", "Retention rate"} <= set(titles)

    def test_gibberish_gets_no_fix(self) -> None:
        results = search_documents(query="zxqvbn", profile=ENGLISH)
        assert (results.total, results.suggestion, results.corrected) == (0, None, False)

    def test_words_published_after_a_fix_are_fixes_too(self, committed: Committed) -> None:
        # The first misspelling reads the vocabulary; new content must not wait for a restart.
        assert search_documents(query="hokk", profile=ENGLISH).searched == "hook"
        with committed():
            published_wiki(title="Thumbnail contrast", body="Thumbnails with strong contrast.")
        results = search_documents(query="thumbnial", profile=ENGLISH)
        assert results.corrected
        assert results.searched == "thumbnail"
        assert [hit.title for hit in results.hits] == ["Thumbnail contrast"]


@pytest.mark.usefixtures("library")
class TestAutocomplete:
    def test_completes_the_word_being_typed_and_offers_items(self) -> None:
        suggestions = search_suggestions(query="moder", profile=ENGLISH)
        queries = [item.text for item in suggestions if item.kind == "query"]
        items = [item.text for item in suggestions if item.kind != "query"]
        assert "moderation" in queries
        assert "Moderation tools" in items
        lesson = Lesson.objects.get(slug__startswith="lesson", texts__title="Moderation tools")
        assert any(item.url.endswith(f"/{lesson.slug}/") for item in suggestions)

    def test_completions_keep_the_words_before(self) -> None:
        suggestions = search_suggestions(query="five hoo", profile=ENGLISH)
        assert "five hook" in [item.text for item in suggestions]

    def test_nothing_to_complete(self) -> None:
        assert search_suggestions(query="   ", profile=ENGLISH) == []
        assert search_suggestions(query='"*"', profile=ENGLISH) == []


@pytest.mark.usefixtures("library")
class TestFilters:
    def titles(self, filters: Filters, query: str = "hook live retention") -> set[str]:
        results = search_documents(query=query, profile=ENGLISH, filters=filters)
        return {hit.title for hit in results.hits}

    def test_kind(self) -> None:
        assert self.titles(Filters(kind="wiki")) == {"What is a hook?", "Retention rate"}
        assert self.titles(Filters(kind="video")) == {"Moderation tools"}

    def test_level(self) -> None:
        assert self.titles(Filters(level="advanced")) == {
            "Going live with confidence",
            "Moderation tools",
        }

    def test_topic(self) -> None:
        assert self.titles(Filters(topic="growth-analytics")) == {"Retention rate"}

    def test_language(self) -> None:
        assert self.titles(Filters(language="es")) == set()
        assert "Hooks that hold" in self.titles(Filters(language="en"))


def test_pages_are_disjoint_and_ranks_continue(committed: Committed) -> None:
    with committed():
        for number in range(12):
            published_wiki(title=f"Caption style {number}", body="Bold captions read well.")
    first = search_documents(query="captions", profile=ENGLISH, page=1, page_size=5)
    second = search_documents(query="captions", profile=ENGLISH, page=2, page_size=5)
    third = search_documents(query="captions", profile=ENGLISH, page=3, page_size=5)
    assert (first.total, first.pages) == (12, 3)
    assert [hit.rank for hit in second.hits] == [6, 7, 8, 9, 10]
    assert len(third.hits) == 2
    items = [hit.item for page in (first, second, third) for hit in page.hits]
    assert len(items) == len(set(items)) == 12
    assert search_documents(query="captions", profile=ENGLISH, page=4, page_size=5).hits == []


def test_highlights_escape_the_content(committed: Committed) -> None:
    with committed():
        published_wiki(
            title="<b>Bold</b> overlays",
            body="Never paste <script>alert('x')</script> into an overlay caption.",
        )
    hit = search_documents(query="overlay", profile=ENGLISH).hits[0]
    assert "<mark>" in hit.title_html
    assert "<b>" not in hit.title_html
    assert "&lt;b&gt;" in hit.title_html
    # The text around the tag is shown (PostgreSQL's headline drops tag-like words, SQLite's
    # snippet keeps them escaped); a live tag never is.
    assert "<script" not in hit.snippet_html
    assert "alert(" in hit.snippet_html
    assert "<mark>overlay</mark>" in hit.snippet_html


FILLER = " ".join(["Plan each scene before filming it, then trim the pauses."] * 20)


def test_the_snippet_is_the_passage_where_a_long_body_matches(committed: Committed) -> None:
    with committed():
        published_wiki(
            title="Working with other creators",
            summary="Plan, film, trim.",
            body=f"{FILLER} Duets and colaboración posts reach both audiences. {FILLER}",
        )
        published_wiki(
            title="Openers",
            summary="Plan, film, trim.",
            body=f"{FILLER} Viewers decide fast, so hooking them early matters. {FILLER}",
        )
    # Accents are ignored: the passage far into the body is shown, its word marked.
    accented = search_documents(query="colaboracion", profile=ENGLISH).hits[0]
    assert "<mark>colaboración</mark> posts" in accented.snippet_html
    assert len(accented.snippet_html) < 400
    # Another form of the word (the stem matches) is marked too.
    stemmed = search_documents(query="hooks", profile=ENGLISH).hits[0]
    assert stemmed.title == "Openers"
    assert "<mark>hooking</mark> them" in stemmed.snippet_html


BAD_QUERIES = [
    "",
    "   ",
    "hook " * 100,
    '"hook',
    'hook"',
    "NEAR(hook retention, 2)",
    "hook*",
    "* ** ***",
    "-hook +retention",
    "hook OR live AND NOT retention",
    "title:hook",
    "^hook",
    "'; DROP TABLE search_searchdocument; --",
    "1' OR '1'='1",
    "hook & | ! :* <-> ()",
    "\x00\x02\x03",
    "🎬🔥 hook",
    "ᚠᛇᚻ ДЖЗ 漢字",
    "the",  # a stop word in one language's configuration, a word in the others
    "how to",
    "para",
]


@pytest.mark.usefixtures("library")
@pytest.mark.parametrize("query", BAD_QUERIES)
def test_any_query_is_safe(query: str) -> None:
    results = search_documents(query=query, profile=ENGLISH)
    suggestions = search_suggestions(query=query, profile=ENGLISH)
    assert results.total >= 0
    assert isinstance(suggestions, list)
    assert len(results.query.text) <= 200
    assert all("\x02" not in hit.title_html + hit.snippet_html for hit in results.hits)


@pytest.mark.usefixtures("library")
def test_long_queries_are_cut_and_say_so() -> None:
    results = search_documents(query="retention " * 40, profile=ENGLISH)
    assert results.query.truncated
    assert len(results.query.text) == 200
    assert results.total >= 1


@pytest.mark.usefixtures("library")
def test_operators_are_searched_as_words_not_obeyed() -> None:
    # "NOT hook" would exclude hooks if it reached the engine as an operator.
    results = search_documents(query="retention NOT hook", profile=ENGLISH)
    assert "Test your hooks" in [hit.title for hit in results.hits]


@pytest.mark.usefixtures("library")
class TestHashtags:
    def test_lists_published_content_with_the_tag_and_related_tags(self) -> None:
        page = hashtag_page(tag="#Hook", profile=ENGLISH)
        assert page.tag == "hook"
        assert {hit.title for hit in page.hits} == {
            "Hooks that hold",
            "Five hook types",
            "Test your hooks",
            "What is a hook?",
        }
        assert page.related[0].name == "retention"
        assert page.related[0].items == 3

    def test_a_query_naming_a_hashtag_links_to_it(self) -> None:
        assert search_documents(query="#moderation", profile=ENGLISH).hashtag == "moderation"

    def test_unknown_tag(self) -> None:
        with pytest.raises(NotFound):
            hashtag_page(tag="nosuchtag", profile=ENGLISH)
