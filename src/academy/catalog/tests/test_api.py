from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from academy.catalog.choices import TranslationStatus
from academy.catalog.services import content_archive, course_text_save
from academy.catalog.tests.factories import (
    make_course,
    make_lesson,
    make_published_course,
    make_wiki,
    publish,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client: Client) -> Client:
    from academy.accounts.tests.factories import make_creator_user

    client.force_login(make_creator_user())
    return client


class TestCourses:
    def test_list_in_a_language_with_fallback_and_constant_queries(
        self, reader: Client, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        translated = make_published_course(title="Hooks that hold")
        course_text_save(
            course=translated, language="es", title="Ganchos que atrapan", summary="",
            status=TranslationStatus.PUBLISHED,
        )  # fmt: skip
        for _ in range(4):
            make_published_course()
        make_course()  # a draft never shows
        # session, user, creator, role (auth); then courses, texts, hashtags, lessons
        with django_assert_num_queries(8):
            response = reader.get("/api/v1/courses?language=es")
        assert response.status_code == 200
        cards = response.json()
        assert len(cards) == 5
        by_slug = {card["slug"]: card for card in cards}
        assert by_slug[translated.slug]["title"] == "Ganchos que atrapan"
        assert by_slug[translated.slug]["localised"] == {"language": "es", "is_fallback": False}
        others = [card for slug, card in by_slug.items() if slug != translated.slug]
        assert all(card["localised"]["is_fallback"] for card in others)
        assert by_slug[translated.slug]["hashtags"] == ["hook", "retention"]
        assert by_slug[translated.slug]["lesson_count"] == 3

    def test_filters_and_bad_filter(self, reader: Client) -> None:
        make_published_course(level="advanced")
        assert len(reader.get("/api/v1/courses?level=advanced").json()) == 1
        assert reader.get("/api/v1/courses?level=beginner").json() == []
        assert reader.get("/api/v1/courses?level=guru").status_code == 400
        assert reader.get("/api/v1/courses?language=xx").status_code == 400

    def test_detail_lists_published_lessons_only(self, reader: Client) -> None:
        course = make_published_course(kinds=("video", "quiz"))
        make_lesson(course=course, kind="article")  # draft
        body = reader.get(f"/api/v1/courses/{course.slug}").json()
        assert [lesson["kind"] for lesson in body["lessons"]] == ["video", "quiz"]

    def test_unknown_is_404_and_retired_is_410(self, reader: Client) -> None:
        assert reader.get("/api/v1/courses/nope").status_code == 404
        course = make_published_course()
        content_archive(item=course)
        response = reader.get(f"/api/v1/courses/{course.slug}")
        assert response.status_code == 410
        assert response["Content-Type"] == "application/problem+json"
        assert "retired" in response.json()["detail"]


class TestLessons:
    def test_quiz_questions_come_without_answers(self, reader: Client) -> None:
        course = make_published_course(kinds=("quiz",))
        lesson = course.lessons.get()
        body = reader.get(f"/api/v1/courses/{course.slug}/lessons/{lesson.slug}").json()
        assert body["kind"] == "quiz"
        assert body["questions"][1] == {
            "position": 2,
            "prompt": "Pick all hooks",
            "choices": ["Question", "Outro", "Bold claim"],
            "multiple": True,
        }
        assert "correct" not in str(body)

    def test_draft_lesson_is_404(self, reader: Client) -> None:
        course = make_published_course()
        draft = make_lesson(course=course, slug="secret")
        assert reader.get(f"/api/v1/courses/{course.slug}/lessons/{draft.slug}").status_code == 404


class TestWiki:
    def test_list_has_constant_queries(
        self, reader: Client, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        for number in range(6):
            publish(make_wiki(slug=f"article-{number}"))
        # session, user, creator, role (auth); then articles, texts with their revisions
        with django_assert_num_queries(6):
            response = reader.get("/api/v1/wiki?language=es")
        assert len(response.json()) == 6

    def test_list_by_category_and_detail(self, reader: Client) -> None:
        publish(make_wiki(slug="what-is-a-hook"))
        make_wiki(slug="unpublished")
        listed = reader.get("/api/v1/wiki?category=glossary").json()
        assert [card["slug"] for card in listed] == ["what-is-a-hook"]
        assert reader.get("/api/v1/wiki?category=policies").json() == []
        article = reader.get("/api/v1/wiki/what-is-a-hook?language=pt-br").json()
        assert article["revision"] == 1
        assert article["localised"]["is_fallback"] is True
        assert reader.get("/api/v1/wiki/unpublished").status_code == 404
