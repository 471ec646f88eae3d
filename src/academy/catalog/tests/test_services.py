from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from academy.catalog.choices import PublishStatus, TranslationStatus
from academy.catalog.models import Hashtag, WikiRevision
from academy.catalog.selectors import course_for_reader, lesson_for_reader, wiki_article_for_reader
from academy.catalog.services import (
    QuestionInput,
    QuestionTextInput,
    content_approve,
    content_archive,
    content_publish_due,
    content_restore,
    content_submit_for_review,
    course_text_save,
    hashtag_normalise,
    lesson_text_save,
    quiz_questions_set,
    quiz_translation_save,
    translation_set_status,
    wiki_revision_restore,
    wiki_revision_save,
)
from academy.catalog.tests.factories import (
    make_course,
    make_lesson,
    make_published_course,
    make_wiki,
    publish,
)
from academy.core.errors import Conflict, Gone, NotFound, ValidationFailed
from academy.core.tests.helpers import SetTime

pytestmark = pytest.mark.django_db


CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class TestHashtags:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("#Editing", "editing"), ("  ＃Tips", "tips"), ("#ÇaVa", "çava"), ("STRASSE", "strasse"),
         ("#Straße", "strasse"), ("#料理", "料理")],
    )  # fmt: skip
    def test_normalised_case_folded_and_unicode_aware(self, raw: str, expected: str) -> None:
        assert hashtag_normalise(raw) == expected

    @pytest.mark.parametrize("raw", ["", "#", "two words", "#tab\there"])
    def test_rejects_non_words(self, raw: str) -> None:
        with pytest.raises(ValidationFailed):
            hashtag_normalise(raw)

    def test_same_tag_written_differently_is_one_tag(self) -> None:
        make_course()
        make_course()
        assert list(Hashtag.objects.values_list("name", flat=True).order_by("name")) == [
            "hook",
            "retention",
        ]


class TestPublishingRules:
    def test_the_workflow_from_draft_to_archive(self) -> None:
        course = make_course()
        lesson = make_lesson(course=course)
        content_submit_for_review(item=lesson)
        content_approve(item=lesson)
        assert lesson.status == PublishStatus.PUBLISHED
        assert lesson.published_at is not None
        publish(course)
        content_archive(item=course)
        with pytest.raises(Gone):
            course_for_reader(slug=course.slug, language="en")
        content_restore(item=course)
        assert course.status == PublishStatus.DRAFT

    def test_a_draft_cannot_be_approved_without_review(self) -> None:
        lesson = make_lesson(course=make_course())
        with pytest.raises(Conflict, match="draft"):
            content_approve(item=lesson)

    def test_a_quiz_cannot_publish_without_a_correct_answer_per_question(self) -> None:
        lesson = make_lesson(course=make_course(), kind="quiz")
        quiz_questions_set(
            lesson=lesson,
            questions=[QuestionInput("Which?", ["a", "b"], [], "Because.")],
        )
        content_submit_for_review(item=lesson)
        with pytest.raises(ValidationFailed, match="no correct answer"):
            content_approve(item=lesson)
        assert lesson.status == PublishStatus.IN_REVIEW

    def test_a_course_cannot_publish_with_no_published_lesson(self) -> None:
        course = make_course()
        make_lesson(course=course)  # a draft lesson does not count
        content_submit_for_review(item=course)
        with pytest.raises(ValidationFailed, match="at least one of its lessons"):
            content_approve(item=course)

    def test_a_schedule_cannot_be_in_the_past(self, frozen_clock: SetTime) -> None:
        lesson = make_lesson(course=make_course())
        content_submit_for_review(item=lesson)
        with pytest.raises(ValidationFailed, match="past"):
            content_approve(item=lesson, publish_at=datetime(2026, 11, 22, 8, 59, tzinfo=UTC))

    def test_the_job_publishes_on_time_and_not_before(self, frozen_clock: SetTime) -> None:
        course = make_published_course(kinds=("article",))
        lesson = make_lesson(course=course, kind="video")
        content_submit_for_review(item=lesson)
        at = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
        content_approve(item=lesson, publish_at=at)
        assert lesson.status == PublishStatus.SCHEDULED
        assert [
            item.lesson for item in course_for_reader(slug=course.slug, language="en").lessons
        ] == list(course.lessons.filter(status=PublishStatus.PUBLISHED))
        frozen_clock(at - timedelta(seconds=1))
        assert content_publish_due().published == []
        frozen_clock(at)
        assert content_publish_due().published == [f"lesson:{lesson}"]
        lesson.refresh_from_db()
        assert (lesson.status, lesson.published_at) == (PublishStatus.PUBLISHED, at)
        assert lesson in [
            item.lesson for item in course_for_reader(slug=course.slug, language="en").lessons
        ]

    def test_an_item_that_became_invalid_stays_scheduled_and_is_reported(
        self, frozen_clock: SetTime
    ) -> None:
        lesson = make_lesson(course=make_course(), kind="quiz")
        content_submit_for_review(item=lesson)
        content_approve(item=lesson, publish_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
        lesson.questions.all().delete()
        frozen_clock(datetime(2026, 11, 22, 11, 0, tzinfo=UTC))
        run = content_publish_due()
        assert run.published == []
        assert "at least one question" in next(iter(run.failed.values()))
        lesson.refresh_from_db()
        assert lesson.status == PublishStatus.SCHEDULED

    def test_archived_content_cannot_be_edited(self) -> None:
        course = make_published_course()
        content_archive(item=course)
        with pytest.raises(Conflict, match="archived"):
            course_text_save(course=course, language="es", title="Hola", summary="")


class TestTranslations:
    def test_creator_sees_their_language_once_published_else_the_original_with_a_note(self) -> None:
        course = make_published_course(title="Hooks that hold")
        course_text_save(course=course, language="es", title="Ganchos que atrapan", summary="")
        detail = course_for_reader(slug=course.slug, language="es")
        assert detail.card.title == "Hooks that hold"
        assert detail.card.localised.is_fallback
        translation_set_status(item=course, language="es", status=TranslationStatus.PUBLISHED)
        detail = course_for_reader(slug=course.slug, language="es")
        assert (detail.card.title, detail.card.localised.is_fallback) == (
            "Ganchos que atrapan",
            False,
        )
        assert not course_for_reader(slug=course.slug, language="en").card.localised.is_fallback

    def test_lesson_and_quiz_translation(self) -> None:
        course = make_published_course(kinds=("quiz",))
        lesson = course.lessons.get()
        lesson_text_save(
            lesson=lesson, language="pt-br", title="Teste", summary="", body="Corpo",
            status=TranslationStatus.PUBLISHED,
        )  # fmt: skip
        quiz_translation_save(
            lesson=lesson,
            language="pt-br",
            questions=[
                QuestionTextInput("O que vem primeiro?", ["A recompensa", "O logo"], "Recompensa."),
                QuestionTextInput(
                    "Escolha os ganchos", ["Pergunta", "Final", "Afirmação"], "Ambos."
                ),
            ],
        )
        detail = lesson_for_reader(
            course_slug=course.slug, lesson_slug=lesson.slug, language="pt-br"
        )
        assert detail.title == "Teste"
        assert detail.questions[0].choices == ["A recompensa", "O logo"]
        assert detail.questions[1].correct == [0, 2]

    def test_quiz_translation_must_match_the_original(self) -> None:
        lesson = make_lesson(course=make_course(), kind="quiz")
        with pytest.raises(ValidationFailed, match="every question"):
            quiz_translation_save(
                lesson=lesson,
                language="es",
                questions=[QuestionTextInput("¿Qué?", ["a", "b"], "x")],
            )
        with pytest.raises(ValidationFailed, match="choices"):
            quiz_translation_save(
                lesson=lesson,
                language="es",
                questions=[
                    QuestionTextInput("¿Qué?", ["a", "b", "c"], "x"),
                    QuestionTextInput("¿Cuáles?", ["a", "b", "c"], "x"),
                ],
            )


class TestWiki:
    def test_revisions_keep_history_and_restore_adds_a_revision(self) -> None:
        article = make_wiki(body="First version.")
        wiki_revision_save(
            article=article, language="en", title="What is a hook?", summary="", body="Second.",
            author=None, note="tighter",
        )  # fmt: skip
        first = WikiRevision.objects.get(article=article, number=1)
        restored = wiki_revision_restore(revision=first, author=None)
        assert restored.number == 3
        assert restored.body == "First version."
        assert "1" in restored.note
        assert list(article.revisions.values_list("number", flat=True).order_by("number")) == [
            1,
            2,
            3,
        ]

    def test_links_to_missing_articles_or_lessons_are_refused(self) -> None:
        article = make_wiki()
        for body in ("See [this](wiki:nope).", "Take [it](lesson:no-course/no-lesson)."):
            with pytest.raises(ValidationFailed, match="points to nothing") as raised:
                wiki_revision_save(
                    article=article, language="en", title="t", summary="", body=body, author=None
                )
            assert "body" in raised.value.errors
        assert article.revisions.count() == 1

    def test_links_to_real_content_are_accepted(self) -> None:
        target = make_wiki(slug="retention-rate")
        course = make_published_course()
        lesson = course.lessons.first()
        assert lesson is not None
        make_wiki(
            body=f"See [rate](wiki:{target.slug}) and [lesson](lesson:{course.slug}/{lesson.slug})."
        )

    def test_unpublished_article_is_not_found_archived_is_gone(self) -> None:
        article = make_wiki()
        with pytest.raises(NotFound):
            wiki_article_for_reader(slug=article.slug, language="en")
        publish(article)
        assert wiki_article_for_reader(slug=article.slug, language="es").card.localised.is_fallback
        content_archive(item=article)
        with pytest.raises(Gone):
            wiki_article_for_reader(slug=article.slug, language="en")


class TestAddresses:
    @pytest.mark.parametrize("slug", ["new", "enrol", "Has Caps", "two--hyphens", "-edge"])
    def test_reserved_or_malformed_slugs_are_refused(self, slug: str) -> None:
        with pytest.raises(ValidationFailed) as raised:
            make_course(slug=slug)
        assert "slug" in raised.value.errors
        course = make_course()
        with pytest.raises(ValidationFailed):
            make_lesson(course=course, slug=slug)
        with pytest.raises(ValidationFailed):
            make_wiki(slug=slug)
