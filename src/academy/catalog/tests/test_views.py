"""The reader's catalog pages: what a visitor, a creator and a staff member see."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from academy.accounts.choices import Role
from academy.accounts.models import User
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.catalog.choices import TranslationStatus
from academy.catalog.models import Lesson
from academy.catalog.services import (
    content_archive,
    course_text_save,
    lesson_text_save,
    wiki_article_create,
    wiki_mark_reviewed,
)
from academy.catalog.tests.factories import (
    make_course,
    make_lesson,
    make_published_course,
    make_wiki,
    publish,
    topic,
)
from academy.core.tests.helpers import SetTime, lessons_of, signed_in
from academy.core.tests.helpers import visible_text as text_of
from academy.learning.models import Certificate, Enrollment, LessonProgress
from academy.learning.services import lesson_complete, lesson_progress_record

pytestmark = pytest.mark.django_db

CLOCK_START = datetime(2029, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def creator_user() -> User:
    return make_creator_user(display_name="Maya")


def lesson_url(lesson: Lesson) -> str:
    return f"/learn/{lesson.course.slug}/{lesson.slug}/"


class TestCourseCatalogue:
    def test_visitors_browse_published_courses_grouped_by_topic(self, client: Client) -> None:
        make_published_course(title="Hooks that hold")
        make_course(title="A draft nobody sees")
        response = client.get("/learn/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Hooks that hold" in html
        assert "A draft nobody sees" not in html
        assert "1 course</h2>" in html
        assert "Creation essentials · Beginner" in html
        assert "3 lessons" in html
        assert 'href="/wiki/"' in html
        assert "to take lessons and keep your progress" in html

    def test_filters_by_level_and_topic(self, client: Client) -> None:
        make_published_course(title="Beginner hooks", level="beginner")
        make_published_course(title="Advanced hooks", level="advanced")
        html = client.get("/learn/", {"level": "advanced"}).content.decode()
        assert "Advanced hooks" in html
        assert "Beginner hooks" not in html
        html = client.get("/learn/", {"topic": "monetisation"}).content.decode()
        assert "No course matches these filters yet." in html

    def test_an_unknown_filter_is_a_400_with_the_error_on_the_field(self, client: Client) -> None:
        response = client.get("/learn/", {"topic": "no-such-topic"})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'role="alert"' in html
        assert 'aria-invalid="true"' in html

    def test_a_creator_reads_their_language_or_the_original_with_a_note(self) -> None:
        translated = make_published_course(title="Hooks that hold")
        course_text_save(
            course=translated, language="es", title="Ganchos que retienen", summary="Resumen",
            status=TranslationStatus.PUBLISHED,
        )  # fmt: skip
        make_published_course(title="Only in English")
        client = signed_in(make_creator_user(language="es"))
        html = client.get("/learn/").content.decode()
        assert "Ganchos que retienen" in html
        assert "Only in English" in html
        # One card falls back, and says so in the reader's language.
        assert html.count('class="fallback-note"') == 1
        assert 'lang="en"' in html

    def test_the_query_count_does_not_grow_with_the_catalogue(
        self, client: Client, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        make_published_course()
        with django_assert_num_queries(5):
            client.get("/learn/")
        for _ in range(3):
            make_published_course()
        with django_assert_num_queries(5):
            assert client.get("/learn/").status_code == 200


class TestCoursePage:
    def test_visitor_sees_lessons_and_is_asked_to_sign_in(self, client: Client) -> None:
        course = make_published_course()
        html = client.get(f"/learn/{course.slug}/").content.decode()
        assert "Hooks that hold" in html
        assert "#hook" in html
        assert "Sign in to enrol" in html
        assert "2 min" in html  # the 120 s video
        assert "3 min read" in html
        for label in ("Video", "Article", "Quiz"):
            assert label in html

    def test_creator_enrols_then_sees_progress_and_lesson_states(self, creator_user: User) -> None:
        course = make_published_course()
        lessons = lessons_of(course)
        client = signed_in(creator_user)
        html = client.get(f"/learn/{course.slug}/").content.decode()
        assert f'action="/learn/{course.slug}/enrol/"' in html
        assert "csrfmiddlewaretoken" in html

        lesson_complete(creator=creator_user.creator, lesson=lessons["video"])
        lesson_progress_record(creator=creator_user.creator, lesson=lessons["article"], percent=40)
        page = text_of(client.get(f"/learn/{course.slug}/").content.decode())
        assert "1 of 3 lessons done" in page
        assert "✓ Done" in page
        assert "In progress · 40%" in page
        assert "Not started" in page
        assert "Continue: A article lesson" in page

    def test_completed_course_links_its_certificate(self, creator_user: User) -> None:
        course = make_published_course(kinds=("article",))
        lesson_complete(creator=creator_user.creator, lesson=course.lessons.get())
        certificate = Certificate.objects.get(creator=creator_user.creator)
        html = signed_in(creator_user).get(f"/learn/{course.slug}/").content.decode()
        assert "You completed this course" in html
        assert f'href="/certificates/{certificate.code}/"' in html

    def test_staff_read_without_an_enrol_button(self) -> None:
        course = make_published_course()
        client = signed_in(make_staff_user(role=Role.EDITOR))
        html = client.get(f"/learn/{course.slug}/").content.decode()
        assert "progress is kept for creator accounts only" in html
        assert "/enrol/" not in html

    def test_archived_is_a_retired_page_and_unknown_is_404(self, client: Client) -> None:
        course = make_published_course()
        content_archive(item=course)
        response = client.get(f"/learn/{course.slug}/")
        assert response.status_code == 410
        html = response.content.decode()
        assert "This course has been retired" in html
        assert 'href="/learn/"' in html
        assert client.get("/learn/no-such-course/").status_code == 404
        assert client.get(f"/learn/{make_course().slug}/").status_code == 404  # a draft

    def test_query_count_is_fixed_for_a_signed_in_creator(
        self, creator_user: User, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        client = signed_in(creator_user)
        small = make_published_course(kinds=("article",))
        big = make_published_course(kinds=("video", "article", "article", "live"))
        lesson_complete(creator=creator_user.creator, lesson=big.lessons.first())  # type: ignore[arg-type]
        client.get(f"/learn/{small.slug}/")
        with django_assert_num_queries(13):
            client.get(f"/learn/{small.slug}/")
        with django_assert_num_queries(13):
            client.get(f"/learn/{big.slug}/")


class TestLessonPlayer:
    def test_video_has_a_player_and_the_transcript_and_records_the_visit(
        self, creator_user: User
    ) -> None:
        course = make_published_course()
        video = lessons_of(course)["video"]
        response = signed_in(creator_user).get(lesson_url(video))
        assert response.status_code == 200
        html = response.content.decode()
        assert '<video controls preload="none" src="https://videos.example/hook.mp4"' in html
        assert "Transcript" in html
        assert "<p>Say the payoff first.</p>" in html
        assert "Mark as done" in html
        assert f'data-progress-url="/api/v1/lessons/{video.pk}/progress"' in html
        assert "catalog/player.js" in html
        progress = LessonProgress.objects.get(creator=creator_user.creator, lesson=video)
        assert progress.completed_at is None
        assert Enrollment.objects.filter(creator=creator_user.creator, course=course).exists()

    def test_visitors_and_staff_read_without_recording_progress(self, client: Client) -> None:
        video = lessons_of(make_published_course())["video"]
        html = client.get(lesson_url(video)).content.decode()
        assert "Say the payoff first." in html
        assert "to take this lesson and keep your progress" in html
        assert "data-progress-url" not in html
        assert "Mark as done" not in html
        staff_html = signed_in(make_staff_user(role=Role.EDITOR)).get(lesson_url(video))
        assert "Staff view" in staff_html.content.decode()
        assert not LessonProgress.objects.exists()

    def test_article_resolves_internal_links_and_has_neighbours(self, client: Client) -> None:
        target = publish(make_wiki(slug="what-is-a-hook"))
        course = make_course()
        first = publish(make_lesson(course=course, kind="video", slug="first"))
        article = make_lesson(course=course, kind="article", slug="second")
        lesson_text_save(
            lesson=article, language="en", title="Second", summary="",
            body=f"See [hook](wiki:{target.slug}), [intro](lesson:{course.slug}/first).",
        )  # fmt: skip
        publish(article)
        publish(make_lesson(course=course, kind="quiz", slug="third"))
        publish(course)
        html = client.get(lesson_url(article)).content.decode()
        assert '<a href="/wiki/what-is-a-hook/"' in html
        assert f'<a href="/learn/{course.slug}/first/"' in html
        assert f'href="{lesson_url(first)}" rel="prev"' in html
        assert f'href="/learn/{course.slug}/third/" rel="next"' in html
        assert f'<a href="/learn/{course.slug}/">' in html  # the breadcrumb to the course

    def test_quiz_shows_questions_but_not_the_answers(self, creator_user: User) -> None:
        quiz = lessons_of(make_published_course())["quiz"]
        html = signed_in(creator_user).get(lesson_url(quiz)).content.decode()
        assert "What comes first?" in html
        assert 'type="radio"' in html
        assert 'type="checkbox"' in html  # "Pick all hooks" has two right answers
        assert f'hx-post="/learn/{quiz.course.slug}/{quiz.slug}/quiz/"' in html
        assert "Payoff first." not in html  # the explanation comes after answering
        assert "Mark as done" not in html

    def test_live_class_in_both_time_zones_with_join_link(
        self, creator_user: User, frozen_clock: SetTime
    ) -> None:
        live = lessons_of(make_published_course(kinds=("live",)))["live"]
        html = signed_in(creator_user).get(lesson_url(live)).content.decode()
        # 18:00 UTC is 15:00 in São Paulo; the creator's profile says UTC.
        assert "America/Sao_Paulo" in html
        assert "Starts (your time)" in html
        assert re.search(r"Jan\. 15, 2030, 6 p\.m\.", html)
        assert re.search(r"Jan\. 15, 2030, 3 p\.m\.", html)
        assert 'href="https://live.example/room"' in html
        assert "100 places" in html

        frozen_clock(datetime(2030, 2, 1, tzinfo=UTC))
        html = signed_in(creator_user).get(lesson_url(live)).content.decode()
        assert "https://live.example/room" not in html
        assert "Its recording will appear here" in html

    def test_fallback_note_when_not_translated(self) -> None:
        course = make_published_course(kinds=("article",))
        article = course.lessons.get()
        client = signed_in(make_creator_user(language="pt-br"))
        html = client.get(lesson_url(article)).content.decode()
        assert "fallback-note" in html
        lesson_text_save(
            lesson=article, language="pt-br", title="Um artigo", summary="", body="Corpo.",
            status=TranslationStatus.PUBLISHED,
        )  # fmt: skip
        html = client.get(lesson_url(article)).content.decode()
        assert "Um artigo" in html
        assert "fallback-note" not in html.split("<main")[1].split('class="lesson-nav"')[0]

    def test_retired_and_unknown_lessons(self, client: Client) -> None:
        course = make_published_course()
        video = lessons_of(course)["video"]
        content_archive(item=video)
        response = client.get(lesson_url(video))
        assert response.status_code == 410
        assert "This lesson has been retired" in response.content.decode()
        assert client.get(f"/learn/{course.slug}/nope/").status_code == 404


class TestWiki:
    def test_browse_by_category_with_filter_links(
        self, client: Client, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        publish(make_wiki(slug="hook"))
        publish(
            wiki_article_create(
                slug="shadow-ban", category="troubleshooting", topic=topic("growth-analytics"),
                language="en", title="Why did my views drop?", summary="Usually not a ban.",
                body="Check the basics.", author=None,
            )
        )  # fmt: skip
        make_wiki(slug="draft-article")
        with django_assert_num_queries(2):
            response = client.get("/wiki/")
        html = response.content.decode()
        assert "Glossary" in html
        assert "Troubleshooting" in html
        assert "What is a hook?" in html
        assert "Why did my views drop?" in html
        assert 'href="/wiki/?category=troubleshooting"' in html
        assert "draft-article" not in html

        html = client.get("/wiki/", {"category": "troubleshooting"}).content.decode()
        assert "Why did my views drop?" in html
        assert "What is a hook?" not in html
        assert client.get("/wiki/", {"category": "gossip"}).status_code == 400

    def test_article_page_shows_review_owner_revision_and_hashtags(self) -> None:
        editor = make_staff_user(role=Role.EDITOR)
        article = wiki_article_create(
            slug="hook", category="glossary", topic=topic("creation-essentials"), language="en",
            title="What is a hook?", summary="The first second.",
            body="## Why\n\n**Hooks** matter.", author=editor, owner=editor,
            hashtags=["hook", "retention"],
        )  # fmt: skip
        wiki_mark_reviewed(article=article, on=datetime(2026, 10, 1, tzinfo=UTC))
        publish(article)
        html = signed_in(make_creator_user(language="es")).get("/wiki/hook/").content.decode()
        assert "<h2>Why</h2>" in html
        assert "<strong>Hooks</strong>" in html
        assert "fallback-note" in html  # read in English by a Spanish-speaking creator

        html = Client().get("/wiki/hook/").content.decode()
        assert "Last reviewed on Oct. 1, 2026" in html
        assert f"Kept up to date by {editor.display_name}" in html
        assert "Revision 1" in html
        assert "#retention" in html
        assert editor.email not in html

    def test_archived_article_is_retired(self, client: Client) -> None:
        article = publish(make_wiki(slug="old-advice"))
        content_archive(item=article)
        response = client.get("/wiki/old-advice/")
        assert response.status_code == 410
        assert 'href="/wiki/"' in response.content.decode()
        assert client.get("/wiki/never-existed/").status_code == 404
