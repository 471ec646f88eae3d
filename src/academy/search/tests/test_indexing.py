"""The index follows publishing: in when published, out when archived, translations in their
language — on whichever database the suite runs (SQLite FTS5 or PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from academy.catalog.models import Lesson
from academy.catalog.services import (
    content_approve,
    content_archive,
    content_publish_due,
    content_submit_for_review,
    course_create,
    lesson_create,
    lesson_translation_save,
    translation_set_status,
    wiki_revision_save,
)
from academy.catalog.tests.factories import topic
from academy.core import clock
from academy.core.tests.helpers import SetTime
from academy.search.models import SearchDocument, SearchTerm
from academy.search.ranking import SearcherProfile
from academy.search.selectors import search_documents
from academy.search.services import search_engine_rebuild, search_reindex
from academy.search.tests.conftest import Committed
from academy.search.tests.factories import published_course, published_wiki

pytestmark = pytest.mark.django_db

ENGLISH = SearcherProfile(language="en")
SPANISH = SearcherProfile(language="es")


def found(query: str, profile: SearcherProfile = ENGLISH) -> list[str]:
    return [hit.title for hit in search_documents(query=query, profile=profile).hits]


def test_published_content_is_found_and_archived_content_leaves(committed: Committed) -> None:
    with committed():
        course = published_course(
            title="Storyboards for short videos",
            lessons=[("Sketch your storyboard", "Draw six boxes before you film.")],
        )
        article = published_wiki(title="Storyboard template", body="A storyboard in six boxes.")
    assert set(found("storyboard")) == {
        "Storyboards for short videos",
        "Sketch your storyboard",
        "Storyboard template",
    }

    with committed():
        content_archive(item=article)
    assert "Storyboard template" not in found("storyboard")

    # Archiving a course takes its lessons with it: their pages are retired too.
    with committed():
        content_archive(item=course)
    assert found("storyboard") == []
    assert not SearchDocument.objects.exists()


def test_drafts_are_not_found_until_their_scheduled_time(
    committed: Committed, frozen_clock: SetTime
) -> None:
    with committed():
        course = published_course(title="Lighting basics", lessons=[("Key light", "One lamp.")])
        lesson = lesson_create(
            course=course, slug="golden-hour", kind="article", title="Golden hour glow",
            body="Film outside in the hour before sunset.",
        )  # fmt: skip
        content_submit_for_review(item=lesson)
        content_approve(item=lesson, publish_at=clock.now() + timedelta(hours=2))
    assert found("sunset") == []

    frozen_clock(clock.now() + timedelta(hours=3))
    with committed():
        run = content_publish_due()
    assert run.published == [f"lesson:{lesson}"]
    assert found("sunset") == ["Golden hour glow"]


def test_a_translation_is_found_in_its_language_once_published(committed: Committed) -> None:
    with committed():
        course = published_course(
            title="Editing rhythm", lessons=[("Cut on the beat", "Match your cuts to the music.")]
        )
        lesson = Lesson.objects.get(course=course)
        lesson_translation_save(
            lesson=lesson, language="es", title="Corta al ritmo",
            summary="", body="Haz coincidir tus cortes con la música.", status="draft",
        )  # fmt: skip
    # A draft translation is not what Spanish readers get, so it is not searchable yet.
    assert found("coincidir", SPANISH) == []

    with committed():
        translation_set_status(item=lesson, language="es", status="published")
    results = search_documents(query="coincidir musica", profile=SPANISH)
    assert [(hit.title, hit.language) for hit in results.hits] == [("Corta al ritmo", "es")]

    # The item appears once: in the searcher's language when that version matches.
    both = search_documents(query="cut corta", profile=SPANISH)
    versions = [hit.language for hit in both.hits if hit.item == f"lesson:{lesson.pk}"]
    assert versions == ["es"]
    english = search_documents(query="cut", profile=ENGLISH)
    assert [(hit.title, hit.language) for hit in english.hits if hit.item_kind == "lesson"] == [
        ("Cut on the beat", "en")
    ]


def test_an_edited_wiki_article_is_found_by_its_new_words(committed: Committed) -> None:
    with committed():
        article = published_wiki(title="Ring lights", body="A ring light evens out shadows.")
    assert found("shadows") == ["Ring lights"]
    with committed():
        wiki_revision_save(
            article=article, language="en", title="Ring lights",
            summary="", body="A ring light flattens the face.", author=None,
        )  # fmt: skip
    assert found("shadows") == []
    assert found("flattens") == ["Ring lights"]


def test_the_vocabulary_counts_documents_and_forgets_retired_words(committed: Committed) -> None:
    with committed():
        first = published_wiki(title="Teleprompter apps", body="Read a script while filming.")
        published_wiki(title="Teleprompter posture", body="Keep your chin up.")
    assert SearchTerm.objects.get(key="teleprompter").documents == 2
    assert SearchTerm.objects.filter(key="script").exists()

    with committed():
        content_archive(item=first)
    assert SearchTerm.objects.get(key="teleprompter").documents == 1
    assert not SearchTerm.objects.filter(key="script").exists()


def test_reindex_repairs_a_drifted_index(committed: Committed) -> None:
    with committed():
        published_wiki(title="Green screen", body="Light the screen evenly.")
        course = published_course(title="Draft course", lessons=[("Stay hidden", "Unlisted.")])
    # Someone changes the database behind the services' back: the index no longer matches.
    SearchDocument.objects.all().delete()
    Lesson.objects.filter(course=course).update(status="draft")
    assert found("green") == []

    run = search_reindex()
    assert found("green screen") == ["Green screen"]
    assert found("unlisted") == []
    assert run.documents == 2  # the article and the course (its lesson is a draft now)


def test_the_engine_can_be_recreated_from_the_documents(committed: Committed) -> None:
    with committed():
        published_wiki(title="Tripods", body="A tripod keeps the frame still.")
    search_engine_rebuild()
    assert found("tripod") == ["Tripods"]
    assert found("tripd") == ["Tripods"]  # the vocabulary's trigram index is back too


def test_unpublished_course_keeps_its_published_lessons_out(committed: Committed) -> None:
    with committed():
        course = course_create(
            slug="in-progress", topic=topic("live"), level="beginner", language="en",
            title="Coming soon",
        )  # fmt: skip
        lesson = lesson_create(
            course=course, slug="sneak-peek", kind="article", title="Sneak peek",
            body="Backstage.",
        )  # fmt: skip
        content_submit_for_review(item=lesson)
        content_approve(item=lesson)
    # A lesson of an unpublished course has no page creators can open.
    assert found("backstage") == []


def test_cached_popularity_and_hashtags_follow_every_index_change(committed: Committed) -> None:
    """Search caches the items' popularity and the hashtag names per index version: newly
    published content (and a popularity refresh, which goes through the same version) is seen
    by the very next search; a row written behind the services' back is not."""
    from academy.search import selectors
    from academy.search.models import ItemPopularity

    before = selectors._index_facts()
    assert selectors._index_facts() is before  # unchanged index: nothing read again
    ItemPopularity.objects.create(
        item="wiki:999", clicks=5, impressions=9, score=0.7, refreshed_at=clock.now()
    )
    assert selectors._popularity(["wiki:999"]) == {}
    with committed():
        published_wiki(title="Stitch etiquette", body="Credit the original.", hashtags=["stitch"])
    after = selectors._index_facts()
    assert after.token != before.token
    assert selectors._popularity(["wiki:999"]) == {"wiki:999": 0.7}
    assert "stitch" in after.hashtags
    page = search_documents(query="stitch", profile=ENGLISH)
    assert page.hashtag == "stitch"


@pytest.mark.parametrize("language", ["en", "es", "pt-br"])
def test_result_links_are_the_urls_django_reverses(language: str) -> None:
    from django.urls import reverse
    from django.utils import translation

    from academy.search.selectors import document_url

    documents = [
        SearchDocument(item_kind="course", slug="hooks-101"),
        SearchDocument(item_kind="lesson", course_slug="hooks-101", slug="first-3-seconds"),
        SearchDocument(item_kind="wiki", slug="duet"),
    ]
    with translation.override(language):
        assert [document_url(document) for document in documents] == [
            reverse("catalog:course", kwargs={"course_slug": "hooks-101"}),
            reverse(
                "catalog:lesson",
                kwargs={"course_slug": "hooks-101", "lesson_slug": "first-3-seconds"},
            ),
            reverse("catalog:wiki_article", kwargs={"slug": "duet"}),
        ]
