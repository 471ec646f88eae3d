"""Studio pages, as an editor uses them: what they see, what they can do, what gets saved."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from academy.accounts.choices import Role
from academy.accounts.models import User
from academy.accounts.services import user_set_role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.catalog.choices import PublishStatus, TranslationStatus
from academy.catalog.models import Course, Lesson, LessonText, QuizQuestionText, WikiRevision
from academy.catalog.selectors import lesson_for_reader
from academy.catalog.services import (
    QuestionInput,
    QuestionTextInput,
    content_approve,
    content_submit_for_review,
    course_text_save,
    lesson_text_save,
    quiz_questions_set,
    quiz_translation_save,
    wiki_revision_save,
)
from academy.catalog.tests.factories import (
    make_course,
    make_lesson,
    make_published_course,
    make_wiki,
)
from academy.core.tests.helpers import SetTime, visible_text

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CLOCK_START = NOW


@pytest.fixture
def editor() -> User:
    return make_staff_user(role=Role.EDITOR)


@pytest.fixture
def studio(client: Client, editor: User) -> Client:
    client.force_login(editor)
    return client


def html(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined,no-any-return]


def text_of(response: object) -> str:
    return visible_text(html(response))


def messages_of(response: object) -> str:
    match = re.search(r'<div class="messages" role="status">(.*?)</div>', html(response), re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else ""


def alert_of(response: object) -> str:
    found = re.findall(r'role="alert"[^>]*>(.*?)</div>', html(response), re.S)
    return " ".join(" ".join(unescape(re.sub(r"<[^>]+>", " ", chunk)).split()) for chunk in found)


# ---------------------------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize(
        "path",
        [
            "/studio/",
            "/studio/calendar/",
            "/studio/courses/new/",
            "/studio/courses/c1/",
            "/studio/courses/c1/lessons/new/?kind=article",
            "/studio/courses/c1/lessons/l1/translate/es/",
            "/studio/courses/c1/lessons/l1/preview/",
            "/studio/wiki/new/",
            "/studio/wiki/w1/history/en/",
        ],
    )
    def test_only_people_with_studio_access_get_in(self, client: Client, path: str) -> None:
        course = make_course(slug="c1")
        make_lesson(course=course, slug="l1")
        make_wiki(slug="w1")
        assert client.get(path).status_code == 403
        client.force_login(make_creator_user())
        assert client.get(path).status_code == 403
        client.force_login(make_staff_user(role=Role.ANALYST))
        assert client.get(path).status_code == 403
        client.force_login(make_staff_user(role=Role.EDITOR))
        assert client.get(path).status_code == 200

    def test_a_creator_cannot_post_a_workflow_action(self, client: Client) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), slug="l1")
        client.force_login(make_creator_user())
        response = client.post("/studio/courses/c1/lessons/l1/workflow/", {"action": "submit"})
        assert response.status_code == 403
        lesson.refresh_from_db()
        assert lesson.status == PublishStatus.DRAFT

    def test_unknown_items_are_404(self, studio: Client) -> None:
        assert studio.get("/studio/courses/nope/").status_code == 404
        assert studio.get("/studio/courses/nope/lessons/x/").status_code == 404
        assert studio.get("/studio/wiki/nope/").status_code == 404
        assert studio.get("/studio/wiki/nope/history/en/").status_code == 404


class TestDashboard:
    def test_lists_courses_with_their_lessons_and_wiki_with_status_and_languages(
        self, studio: Client
    ) -> None:
        course = make_published_course(kinds=("article",), title="Hooks that hold")
        course_text_save(course=course, language="es", title="Ganchos", summary="")
        lesson = make_lesson(course=course, kind="quiz")
        content_submit_for_review(item=lesson)
        make_wiki(slug="hook")

        response = studio.get("/studio/")
        assert response.status_code == 200
        page = text_of(response)
        assert "Nothing has been written yet." not in page
        assert re.search(
            r"Hooks that hold Course Published EN Published \(original\) ES Draft PT-BR missing",
            page,
        )
        assert re.search(r"Hooks that hold › A quiz lesson Quiz In review", page)
        assert re.search(r"What is a hook\? Wiki: Glossary Draft", page)
        assert '<a href="/studio/courses/' + course.slug + '/"' in html(response)
        assert 'href="/studio/courses/new/"' in html(response)
        assert 'href="/studio/wiki/new/"' in html(response)
        # Lessons follow their course.
        assert page.index("Hooks that hold Course") < page.index("A quiz lesson")

    def test_filters_by_status_type_language_and_topic(self, studio: Client) -> None:
        published = make_published_course(kinds=("article",), title="Published course")
        course_text_save(course=published, language="es", title="Curso", summary="")
        make_course(title="Draft course")
        make_wiki()

        def titles(query: str) -> str:
            response = studio.get(f"/studio/?{query}")
            assert response.status_code == 200
            return text_of(response)

        drafts = titles("status=draft")
        assert "Draft course" in drafts
        assert "Published course Course" not in drafts
        assert "What is a hook?" in drafts
        only_wiki = titles("type=wiki")
        assert "What is a hook?" in only_wiki
        assert "Draft course" not in only_wiki
        spanish = titles("language=es")
        assert "Published course" in spanish
        assert "Draft course" not in spanish
        other_topic = titles("topic=monetisation")
        assert "Nothing matches these filters." in other_topic
        assert "Draft course" in titles("topic=creation-essentials")

    def test_a_filter_off_the_lists_is_400_with_a_message(self, studio: Client) -> None:
        response = studio.get("/studio/?status=nonsense")
        assert response.status_code == 400
        assert "Some filters are not valid" in alert_of(response)

    def test_empty_studio_invites_to_write(self, studio: Client) -> None:
        page = text_of(studio.get("/studio/"))
        assert "No content yet." in page
        assert "Nothing has been written yet." not in page

    def test_query_count_does_not_grow_with_content(
        self, studio: Client, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        def add_content() -> None:
            course = make_published_course(kinds=("article", "quiz"))
            course_text_save(course=course, language="es", title="Hola", summary="")
            make_wiki()

        add_content()
        with django_assert_num_queries(13):
            studio.get("/studio/")
        add_content()
        add_content()
        with django_assert_num_queries(13) as captured:
            response = studio.get("/studio/")
        assert response.status_code == 200
        assert len(captured.captured_queries) == 13


class TestCourses:
    def test_create_a_course(self, studio: Client) -> None:
        response = studio.post(
            "/studio/courses/new/",
            {
                "slug": "first-30-days",
                "title": "Your first 30 days",
                "summary": "Post, learn, repeat.",
                "topic": "getting-started",
                "level": "beginner",
                "language": "en",
                "hashtags": "#NewCreator, firstvideo",
                "regions": ["BR", "MX"],
                "editorial_pick": "on",
            },
            follow=True,
        )
        assert response.redirect_chain == [("/studio/courses/first-30-days/", 302)]
        assert "Course created as a draft" in messages_of(response)
        course = Course.objects.get(slug="first-30-days")
        assert (course.status, course.topic.slug, course.regions, course.editorial_pick) == (
            PublishStatus.DRAFT,
            "getting-started",
            ["BR", "MX"],
            True,
        )
        assert sorted(course.hashtags.values_list("name", flat=True)) == [
            "firstvideo",
            "newcreator",
        ]
        assert "Add lesson" in text_of(response)

    def test_a_taken_address_or_bad_slug_is_shown_on_the_field(self, studio: Client) -> None:
        make_course(slug="taken")
        data = {
            "slug": "taken", "title": "T", "topic": "live", "level": "beginner", "language": "en",
        }  # fmt: skip
        response = studio.post("/studio/courses/new/", data)
        assert response.status_code == 400
        assert "A course already uses the address taken." in alert_of(response)
        assert "Choose another address." in html(response)
        response = studio.post("/studio/courses/new/", {**data, "slug": "Not A Slug"})
        assert response.status_code == 400
        assert "Use lowercase letters, digits and single hyphens only." in html(response)
        response = studio.post("/studio/courses/new/", {**data, "slug": "new"})
        assert response.status_code == 400
        assert "“new” is taken by the site itself" in html(response)
        assert Course.objects.count() == 1

    def test_a_hashtag_with_a_space_is_refused_and_nothing_is_saved(self, studio: Client) -> None:
        response = studio.post(
            "/studio/courses/new/",
            {"slug": "x", "title": "T", "topic": "live", "level": "beginner", "language": "en",
             "hashtags": "two words"},
        )  # fmt: skip
        assert response.status_code == 400
        assert "One word per hashtag" in html(response)
        assert not Course.objects.exists()

    def test_edit_settings_and_text(self, studio: Client) -> None:
        course = make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/edit/",
            {"title": "Hooks, revised", "summary": "New", "topic": "growth-analytics",
             "level": "advanced", "hashtags": "hooks", "editorial_pick": "on"},
        )  # fmt: skip
        assert response.status_code == 302
        course.refresh_from_db()
        assert (course.topic.slug, course.level, course.editorial_pick) == (
            "growth-analytics",
            "advanced",
            True,
        )
        assert course.texts.get(language="en").title == "Hooks, revised"
        assert list(course.hashtags.values_list("name", flat=True)) == ["hooks"]

    def test_reorder_lessons_by_position(self, studio: Client) -> None:
        course = make_course(slug="c1")
        first, second, third = (make_lesson(course=course, slug=s) for s in ("a", "b", "c"))
        response = studio.post(
            "/studio/courses/c1/reorder/",
            {f"position_{first.pk}": 1, f"position_{second.pk}": 2, f"position_{third.pk}": 1},
            follow=True,
        )
        assert "Lesson order saved." in messages_of(response)
        assert list(course.lessons.order_by("position").values_list("slug", flat=True)) == [
            "c",
            "a",
            "b",
        ]

    def test_reorder_with_a_bad_position_is_400(self, studio: Client) -> None:
        course = make_course(slug="c1")
        lesson = make_lesson(course=course)
        response = studio.post("/studio/courses/c1/reorder/", {f"position_{lesson.pk}": 0})
        assert response.status_code == 400
        assert "Ensure this value is greater than or equal to 1." in html(response)


ARTICLE = {
    "slug": "write-a-hook",
    "title": "Write a hook",
    "summary": "Three seconds.",
    "body": "Say the **payoff** first.",
    "reading_minutes": 4,
    "hashtags": "hook",
}

QUIZ_TEXT = """Q: What comes first?
* The payoff
- The logo
E: Viewers decide fast.

Q: Pick every hook
* A question
- An outro
* A bold claim
"""


class TestLessons:
    def test_choose_a_kind_then_create_an_article(self, studio: Client) -> None:
        make_course(slug="c1")
        chooser = text_of(studio.get("/studio/courses/c1/lessons/new/"))
        assert "Short video" in chooser
        assert "Live class" in chooser
        response = studio.post("/studio/courses/c1/lessons/new/?kind=article", ARTICLE)
        assert response.status_code == 302
        assert response["Location"] == "/studio/courses/c1/lessons/write-a-hook/"
        lesson = Lesson.objects.get(slug="write-a-hook")
        assert (lesson.kind, lesson.reading_minutes, lesson.status) == ("article", 4, "draft")
        assert lesson.texts.get().body == "Say the **payoff** first."

    def test_an_article_needs_its_body(self, studio: Client) -> None:
        make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/lessons/new/?kind=article", {**ARTICLE, "body": ""}
        )
        assert response.status_code == 400
        assert not Lesson.objects.exists()

    def test_a_link_to_nothing_is_refused(self, studio: Client) -> None:
        make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/lessons/new/?kind=article",
            {**ARTICLE, "body": "See [this](wiki:no-such-article)."},
        )
        assert response.status_code == 400
        assert "points to nothing" in alert_of(response)
        assert not Lesson.objects.exists()

    def test_create_a_quiz_from_the_text_format(self, studio: Client) -> None:
        make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/lessons/new/?kind=quiz",
            {"slug": "check", "title": "Check", "pass_mark": 60, "questions_text": QUIZ_TEXT},
        )
        assert response.status_code == 302
        lesson = Lesson.objects.get(slug="check")
        assert lesson.pass_mark == pytest.approx(0.6)
        questions = list(lesson.questions.order_by("position"))
        assert [(q.choice_count, q.correct) for q in questions] == [(2, [0]), (3, [0, 2])]
        first = questions[0].texts.get()
        assert (first.prompt, first.choices, first.explanation) == (
            "What comes first?",
            ["The payoff", "The logo"],
            "Viewers decide fast.",
        )
        # The edit page gives the same text back.
        edit = html(studio.get("/studio/courses/c1/lessons/check/edit/"))
        assert "Q: Pick every hook\n* A question\n- An outro\n* A bold claim" in edit

    def test_quiz_mistakes_are_reported_with_their_line(self, studio: Client) -> None:
        make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/lessons/new/?kind=quiz",
            {
                "slug": "check",
                "title": "Check",
                "pass_mark": 70,
                "questions_text": "- orphan choice\nQ: Only one choice?\n* yes\nwhat is this",
            },
        )
        assert response.status_code == 400
        page = html(response)
        assert "Line 1: a choice must follow a question (Q: …)." in page
        assert "Line 4: start the line with “Q:”, “-”, “*” or “E:”, or leave it blank." in page
        assert "Question 1 (line 2) needs at least two choices." in page
        assert not Lesson.objects.exists()

    def test_a_live_class_start_time_is_read_in_its_time_zone(self, studio: Client) -> None:
        make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/lessons/new/?kind=live",
            {"slug": "live-qa", "title": "Live Q&A", "starts_at": "2030-01-15T18:00",
             "timezone": "America/Sao_Paulo", "duration_minutes": 45, "capacity": 200,
             "join_url": "https://live.example/room"},
        )  # fmt: skip
        assert response.status_code == 302
        lesson = Lesson.objects.get(slug="live-qa")
        assert lesson.starts_at == datetime(2030, 1, 15, 21, 0, tzinfo=UTC)
        assert lesson.timezone == "America/Sao_Paulo"
        page = text_of(studio.get("/studio/courses/c1/lessons/live-qa/edit/"))
        assert "2030-01-15T18:00" in html(studio.get("/studio/courses/c1/lessons/live-qa/edit/"))
        assert "Live Q&A" in page

    def test_editing_a_video_lesson(self, studio: Client) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), kind="video", slug="v")
        response = studio.post(
            "/studio/courses/c1/lessons/v/edit/",
            {"title": "New title", "summary": "", "body": "Transcript.", "hashtags": "",
             "video_url": "https://videos.example/new.mp4", "duration_seconds": 90},
        )  # fmt: skip
        assert response.status_code == 302
        lesson.refresh_from_db()
        assert (lesson.video_url, lesson.duration_seconds) == ("https://videos.example/new.mp4", 90)
        assert lesson.texts.get(language="en").title == "New title"

    def test_saving_a_quiz_with_unchanged_questions_keeps_its_translations(
        self, studio: Client
    ) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), kind="quiz", slug="q")
        quiz_translation_save(
            lesson=lesson,
            language="es",
            questions=[
                QuestionTextInput("¿Qué va primero?", ["La recompensa", "El logo"], "Eso."),
                QuestionTextInput("Elige", ["Pregunta", "Cierre", "Afirmación"], "Ambos."),
            ],
        )
        form_text = re.search(
            r'<textarea name="questions_text"[^>]*>\n?(.*?)</textarea>',
            html(studio.get("/studio/courses/c1/lessons/q/edit/")),
            re.S,
        )
        assert form_text is not None
        questions = form_text.group(1).replace("&quot;", '"').replace("&#x27;", "'")
        response = studio.post(
            "/studio/courses/c1/lessons/q/edit/",
            {"title": "Quiz", "pass_mark": 50, "questions_text": questions, "body": ""},
        )
        assert response.status_code == 302
        assert QuizQuestionText.objects.filter(question__lesson=lesson, language="es").count() == 2


class TestWorkflow:
    def test_buttons_follow_the_status(self, studio: Client) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), slug="l1")
        page = text_of(studio.get("/studio/courses/c1/lessons/l1/"))
        assert "Submit for review" in page
        assert "Approve & publish now" not in page
        content_submit_for_review(item=lesson)
        page = text_of(studio.get("/studio/courses/c1/lessons/l1/"))
        assert "Submit for review" not in page
        for label in ("Approve & publish now", "Schedule", "Send back to draft", "Archive"):
            assert label in page

    def test_submit_then_approve(self, studio: Client) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), slug="l1")
        url = "/studio/courses/c1/lessons/l1/workflow/"
        response = studio.post(url, {"action": "submit"}, follow=True)
        assert "Submitted for review." in messages_of(response)
        response = studio.post(url, {"action": "approve"}, follow=True)
        assert "Approved and published." in messages_of(response)
        lesson.refresh_from_db()
        assert lesson.status == PublishStatus.PUBLISHED

    def test_a_quiz_without_a_correct_answer_cannot_be_approved(self, studio: Client) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), kind="quiz", slug="q")
        quiz_questions_set(
            lesson=lesson, questions=[QuestionInput("Which?", ["a", "b"], [], "Because.")]
        )
        content_submit_for_review(item=lesson)
        page = text_of(studio.get("/studio/courses/c1/lessons/q/"))
        assert "No correct answer yet: the quiz cannot be published." in page
        response = studio.post("/studio/courses/c1/lessons/q/workflow/", {"action": "approve"})
        assert response.status_code == 400
        assert "Question 1 has no correct answer." in alert_of(response)
        lesson.refresh_from_db()
        assert lesson.status == PublishStatus.IN_REVIEW

    def test_a_course_cannot_be_approved_before_one_of_its_lessons(self, studio: Client) -> None:
        course = make_course(slug="c1")
        make_lesson(course=course)
        content_submit_for_review(item=course)
        response = studio.post("/studio/courses/c1/workflow/", {"action": "approve"})
        assert response.status_code == 400
        assert "A course cannot be published before at least one of its lessons." in alert_of(
            response
        )

    def test_a_schedule_in_the_past_is_refused(self, studio: Client, frozen_clock: SetTime) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), slug="l1")
        content_submit_for_review(item=lesson)
        response = studio.post(
            "/studio/courses/c1/lessons/l1/workflow/",
            {"action": "schedule", "publish_at": "2026-11-22T08:30", "timezone": "UTC"},
        )
        assert response.status_code == 400
        assert "A schedule cannot be in the past." in alert_of(response)
        assert 'value="2026-11-22T08:30"' in html(response)
        lesson.refresh_from_db()
        assert lesson.status == PublishStatus.IN_REVIEW

    def test_schedule_without_a_time_is_400(self, studio: Client) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), slug="l1")
        content_submit_for_review(item=lesson)
        response = studio.post(
            "/studio/courses/c1/lessons/l1/workflow/", {"action": "schedule", "timezone": "UTC"}
        )
        assert response.status_code == 400
        assert "Pick the date and time to publish at." in alert_of(response)

    def test_schedule_in_a_time_zone(self, studio: Client, frozen_clock: SetTime) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), slug="l1")
        content_submit_for_review(item=lesson)
        response = studio.post(
            "/studio/courses/c1/lessons/l1/workflow/",
            {"action": "schedule", "publish_at": "2026-11-23T09:00", "timezone": "Asia/Tokyo"},
            follow=True,
        )
        assert "Approved and scheduled for" in messages_of(response)
        assert "(Asia/Tokyo)" in messages_of(response)
        lesson.refresh_from_db()
        assert lesson.status == PublishStatus.SCHEDULED
        assert lesson.publish_at == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
        assert "Goes live on" in text_of(response)
        assert "Send back to draft" in text_of(response)

    def test_approving_a_draft_is_a_conflict(self, studio: Client) -> None:
        make_lesson(course=make_course(slug="c1"), slug="l1")
        response = studio.post("/studio/courses/c1/lessons/l1/workflow/", {"action": "approve"})
        assert response.status_code == 409
        assert "Cannot approve an item that is draft." in alert_of(response)

    def test_archive_then_restore(self, studio: Client) -> None:
        article = make_wiki(slug="w")
        response = studio.post("/studio/wiki/w/workflow/", {"action": "archive"}, follow=True)
        assert "Archived" in messages_of(response)
        assert "Restore" in text_of(response)
        article.refresh_from_db()
        assert article.status == PublishStatus.ARCHIVED
        studio.post("/studio/wiki/w/workflow/", {"action": "restore"})
        article.refresh_from_db()
        assert article.status == PublishStatus.DRAFT

    def test_an_unknown_action_is_400(self, studio: Client) -> None:
        make_wiki(slug="w")
        assert studio.post("/studio/wiki/w/workflow/", {"action": "explode"}).status_code == 400


class TestTranslations:
    def test_translate_a_lesson_side_by_side_and_publish_it(self, studio: Client) -> None:
        course = make_published_course(kinds=("article",))
        lesson = course.lessons.get()
        url = f"/studio/courses/{course.slug}/lessons/{lesson.slug}/translate/es/"
        page = studio.get(url)
        assert page.status_code == 200
        assert "Say the payoff first." in text_of(page)  # the original, read-only
        assert 'lang="es"' in html(page)
        response = studio.post(
            url,
            {"title": "Un artículo", "summary": "Corto.", "body": "Di la recompensa primero.",
             "status": "published"},
            follow=True,
        )  # fmt: skip
        assert "Spanish version saved." in messages_of(response)
        detail = lesson_for_reader(course_slug=course.slug, lesson_slug=lesson.slug, language="es")
        assert (detail.title, detail.localised.is_fallback) == ("Un artículo", False)

    def test_translate_a_quiz_question_by_question(self, studio: Client) -> None:
        lesson = make_lesson(course=make_course(slug="c1"), kind="quiz", slug="q")
        url = "/studio/courses/c1/lessons/q/translate/pt-br/"
        page = text_of(studio.get(url))
        assert "What comes first?" in page
        assert "✓ correct" in page
        data = {
            "title": "Teste", "summary": "", "body": "", "status": "draft",
            "q1_prompt": "O que vem primeiro?", "q1_choice1": "A recompensa",
            "q1_choice2": "O logo", "q1_explanation": "",
            "q2_prompt": "Escolha", "q2_choice1": "Pergunta", "q2_choice2": "Final",
            "q2_choice3": "Afirmação", "q2_explanation": "Ambos.",
        }  # fmt: skip
        missing = {**data, "q2_choice3": ""}
        response = studio.post(url, missing)
        assert response.status_code == 400
        assert not LessonText.objects.filter(lesson=lesson, language="pt-br").exists()
        assert studio.post(url, data).status_code == 302
        texts = QuizQuestionText.objects.filter(question__lesson=lesson, language="pt-br")
        assert sorted(texts.values_list("prompt", flat=True)) == ["Escolha", "O que vem primeiro?"]

    def test_translate_a_course_and_change_only_the_status(self, studio: Client) -> None:
        course = make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/translate/es/",
            {"title": "Ganchos", "summary": "", "status": "draft"},
        )
        assert response.status_code == 302
        response = studio.post(
            "/studio/courses/c1/translate/es/",
            {"form": "status", "status": "in_review"},
            follow=True,
        )
        assert "Spanish version is now in review." in messages_of(response)
        assert course.texts.get(language="es").status == TranslationStatus.IN_REVIEW

    def test_status_of_a_missing_version_is_404_with_a_message(self, studio: Client) -> None:
        make_course(slug="c1")
        response = studio.post(
            "/studio/courses/c1/translate/pt-br/", {"form": "status", "status": "draft"}
        )
        assert response.status_code == 404
        assert "There is no version in “Brazilian Portuguese” yet." in alert_of(response)

    def test_the_original_language_and_unknown_languages_have_no_translate_page(
        self, studio: Client
    ) -> None:
        make_course(slug="c1")
        assert studio.get("/studio/courses/c1/translate/en/").status_code == 404
        assert studio.get("/studio/courses/c1/translate/klingon/").status_code == 404

    def test_translate_a_wiki_article_makes_a_revision(self, studio: Client, editor: User) -> None:
        article = make_wiki(slug="w")
        response = studio.post(
            "/studio/wiki/w/translate/es/",
            {"title": "¿Qué es un gancho?", "summary": "", "body": "El primer segundo.",
             "status": "in_review", "note": "Primera traducción"},
        )  # fmt: skip
        assert response.status_code == 302
        revision = WikiRevision.objects.get(article=article, language="es")
        assert (revision.number, revision.author, revision.note) == (
            1,
            editor,
            "Primera traducción",
        )


class TestPreview:
    def test_a_draft_in_spanish_as_a_creator_would_see_it(self, studio: Client) -> None:
        course = make_course(slug="c1")
        lesson = make_lesson(course=course, slug="l1")
        lesson_text_save(
            lesson=lesson, language="es", title="Lección", summary="", body="Hola **mundo**"
        )
        response = studio.get("/studio/courses/c1/lessons/l1/preview/?lang=es")
        assert response.status_code == 200
        page = text_of(response)
        assert "Preview — not published" in page
        assert "Lección" in page
        assert "<strong>mundo</strong>" in html(response)

    def test_a_missing_language_falls_back_with_a_note(self, studio: Client) -> None:
        make_lesson(course=make_course(slug="c1"), slug="l1")
        page = text_of(studio.get("/studio/courses/c1/lessons/l1/preview/?lang=pt-br"))
        assert "There is no PT-BR version yet: creators who read PT-BR see the EN original." in page
        assert "A article lesson" in page

    def test_a_published_item_says_creators_see_it(self, studio: Client) -> None:
        course = make_published_course(kinds=("quiz",))
        page = text_of(studio.get(f"/studio/courses/{course.slug}/preview/"))
        assert "Preview — published: creators see this version" in page
        lesson = course.lessons.get()
        quiz = text_of(studio.get(f"/studio/courses/{course.slug}/lessons/{lesson.slug}/preview/"))
        assert "What comes first?" in quiz
        assert "Answers and explanations" in quiz

    def test_wiki_links_stay_inside_the_preview(self, studio: Client) -> None:
        make_wiki(slug="hook")
        make_wiki(slug="retention", body="See [hooks](wiki:hook).")
        response = studio.get("/studio/wiki/retention/preview/?lang=es")
        assert 'href="/studio/wiki/hook/preview/?lang=es"' in html(response)

    def test_an_unknown_language_is_400(self, studio: Client) -> None:
        make_wiki(slug="hook")
        assert studio.get("/studio/wiki/hook/preview/?lang=xx").status_code == 400


class TestCalendar:
    def test_upcoming_by_local_day_with_utc_recent_and_translation_matrix(
        self, client: Client, frozen_clock: SetTime
    ) -> None:
        user = make_creator_user()
        user_set_role(user=user, role=Role.EDITOR)
        user.creator.timezone = "America/Sao_Paulo"
        user.creator.save(update_fields=["timezone"])
        client.force_login(user)
        course = make_published_course(kinds=("article",), title="Live course")
        lesson = make_lesson(course=course, slug="late")
        lesson_text_save(lesson=lesson, language="es", title="Tarde", summary="", body="x")
        content_submit_for_review(item=lesson)
        # 01:30 UTC on the 24th is still the 23rd in São Paulo (UTC-3).
        content_approve(item=lesson, publish_at=datetime(2026, 11, 24, 1, 30, tzinfo=UTC))

        response = client.get("/studio/calendar/")
        assert response.status_code == 200
        page = text_of(response)
        assert "Times in your time zone, America/Sao_Paulo" in page
        assert re.search(
            r"Monday, Nov\. 23, 2026 10:30 p\.m\. \(11/24/2026 1:30 a\.m\. UTC\)", page
        )
        assert "Published in the last 14 days" in page
        assert "Live course Course Published (original) missing missing" in page
        assert "Live course › A article lesson Article Draft (original) Draft missing" in page

    def test_nothing_scheduled(self, studio: Client) -> None:
        page = text_of(studio.get("/studio/calendar/"))
        assert "Nothing is scheduled." in page


class TestWiki:
    def test_create_an_article_with_an_owner(self, studio: Client, editor: User) -> None:
        other = make_staff_user(role=Role.EDITOR)
        response = studio.post(
            "/studio/wiki/new/",
            {"slug": "fyp", "title": "The For You feed", "summary": "How it works.",
             "body": "It learns.", "category": "glossary", "topic": "growth-analytics",
             "language": "en", "hashtags": "fyp", "owner": other.pk},
        )  # fmt: skip
        assert response.status_code == 302
        revision = WikiRevision.objects.get(article__slug="fyp")
        assert (revision.number, revision.author, revision.article.owner) == (1, editor, other)

    def test_only_editors_can_own_an_article(self, studio: Client) -> None:
        creator = make_creator_user()
        response = studio.post(
            "/studio/wiki/new/",
            {"slug": "fyp", "title": "T", "body": "B", "category": "glossary",
             "topic": "live", "language": "en", "owner": creator.pk},
        )  # fmt: skip
        assert response.status_code == 400

    def test_editing_the_text_makes_a_revision_settings_alone_do_not(self, studio: Client) -> None:
        article = make_wiki(slug="w")
        base = {"title": "What is a hook?", "summary": "The first second.",
                "body": "A hook is the first second.", "category": "glossary",
                "topic": "creation-essentials", "hashtags": ""}  # fmt: skip
        assert (
            studio.post("/studio/wiki/w/edit/", {**base, "category": "how-to"}).status_code == 302
        )
        assert article.revisions.count() == 1
        article.refresh_from_db()
        assert article.category == "how-to"
        studio.post("/studio/wiki/w/edit/", {**base, "body": "Changed.", "note": "Shorter"})
        assert list(article.revisions.values_list("number", "note")) == [
            (2, "Shorter"),
            (1, "Created"),
        ]

    def test_mark_reviewed_today(self, studio: Client, frozen_clock: SetTime) -> None:
        article = make_wiki(slug="w")
        response = studio.post("/studio/wiki/w/reviewed/", follow=True)
        assert "Marked as reviewed today." in messages_of(response)
        article.refresh_from_db()
        assert article.last_reviewed_at == date(2026, 11, 22)
        assert "Last reviewed on Nov. 22, 2026." in text_of(response)

    def test_history_diff_and_restore(self, studio: Client, editor: User) -> None:
        article = make_wiki(slug="w", body="Line one.\nLine two.")
        wiki_revision_save(
            article=article, language="en", title="What is a hook?", summary="The first second.",
            body="Line one.\nLine <two> & more.", author=editor, note="Sharper",
        )  # fmt: skip
        history = text_of(studio.get("/studio/wiki/w/history/en/"))
        assert re.search(r"Revision 2 Current .* Sharper", history)
        assert "Revision 1" in history

        diff = studio.get("/studio/wiki/w/history/en/compare/?old=1&new=2")
        assert diff.status_code == 200
        page = html(diff)
        assert re.search(r'class="diff-removed">.*?−.*?Removed.*?Line two\.', page, re.S)
        assert re.search(
            r'class="diff-added">.*?\+.*?Added.*?Line &lt;two&gt; &amp; more\.', page, re.S
        )
        assert "<two>" not in page

        response = studio.post("/studio/wiki/w/history/en/1/restore/", follow=True)
        assert "Revision 1 restored as revision 3." in messages_of(response)
        newest = article.revisions.order_by("-number").first()
        assert newest is not None
        assert (newest.number, newest.body, newest.author) == (3, "Line one.\nLine two.", editor)
        assert newest.note == "Restored revision 1"

    def test_a_revision_page_offers_to_restore(self, studio: Client) -> None:
        make_wiki(slug="w")
        page = text_of(studio.get("/studio/wiki/w/history/en/1/"))
        assert "Revision 1 Current" in page
        assert "Restore this revision" not in page
        assert studio.get("/studio/wiki/w/history/en/9/").status_code == 404

    def test_comparing_needs_two_numbers(self, studio: Client) -> None:
        make_wiki(slug="w")
        assert studio.get("/studio/wiki/w/history/en/compare/?old=x").status_code == 400
