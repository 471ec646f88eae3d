"""JSON API of the catalog: published courses, lessons and wiki articles, in a language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from academy.catalog.choices import Level, WikiCategory
from academy.catalog.schemas import (
    CourseCardOut,
    CourseDetailOut,
    Language,
    LessonDetailOut,
    LessonItemOut,
    LocalisedOut,
    QuestionOut,
    WikiArticleOut,
    WikiCardOut,
)
from academy.catalog.selectors import (
    CourseCard,
    Localised,
    WikiCard,
    course_for_reader,
    courses_published,
    lesson_for_reader,
    wiki_article_for_reader,
    wiki_published,
)
from academy.core.schemas import PROBLEM_RESPONSES

router = Router(tags=["catalog"])


class CourseFilters(Schema):
    language: Language = "en"
    topic: str | None = None
    level: Level | None = None


class LanguageParam(Schema):
    language: Language = "en"


class WikiFilters(Schema):
    language: Language = "en"
    category: WikiCategory | None = None


def _localised(localised: Localised) -> LocalisedOut:
    return LocalisedOut(language=localised.language, is_fallback=localised.is_fallback)


def _card(card: CourseCard) -> dict[str, Any]:
    course = card.course
    return {
        "slug": course.slug,
        "title": card.title,
        "summary": card.summary,
        "topic": course.topic.slug,
        "topic_name": card.topic_name,
        "level": course.level,
        "hashtags": sorted(tag.name for tag in course.hashtags.all()),
        "lesson_count": card.lesson_count,
        "editorial_pick": course.editorial_pick,
        "published_at": course.published_at,
        "localised": _localised(card.localised),
    }


def _wiki_card(card: WikiCard) -> dict[str, Any]:
    return {
        "slug": card.article.slug,
        "title": card.title,
        "summary": card.summary,
        "category": card.article.category,
        "topic": card.article.topic.slug,
        "localised": _localised(card.localised),
    }


@router.get(
    "/courses",
    response={200: list[CourseCardOut], **PROBLEM_RESPONSES},
    operation_id="courses_list",
    summary="Published courses in a language, newest first, optionally by topic and level",
)
def courses_list(request: HttpRequest, filters: Query[CourseFilters]) -> list[CourseCardOut]:
    cards = courses_published(language=filters.language, topic=filters.topic, level=filters.level)
    return [CourseCardOut(**_card(card)) for card in cards]


@router.get(
    "/courses/{slug}",
    response={200: CourseDetailOut, **PROBLEM_RESPONSES},
    operation_id="course_get",
    summary="A published course with its lessons; 410 when it has been retired",
)
def course_get(request: HttpRequest, slug: str, params: Query[LanguageParam]) -> CourseDetailOut:
    detail = course_for_reader(slug=slug, language=params.language)
    lessons = [
        LessonItemOut(
            id=item.lesson.pk,
            slug=item.lesson.slug,
            position=item.lesson.position,
            kind=item.lesson.kind,
            title=item.title,
            summary=item.summary,
            duration_seconds=item.lesson.duration_seconds,
            reading_minutes=item.lesson.reading_minutes,
            localised=_localised(item.localised),
        )
        for item in detail.lessons
    ]
    return CourseDetailOut(**_card(detail.card), lessons=lessons)


@router.get(
    "/courses/{course_slug}/lessons/{lesson_slug}",
    response={200: LessonDetailOut, **PROBLEM_RESPONSES},
    operation_id="lesson_get",
    summary="A published lesson: its text, kind-specific details and quiz questions (no answers)",
)
def lesson_get(
    request: HttpRequest, course_slug: str, lesson_slug: str, params: Query[LanguageParam]
) -> LessonDetailOut:
    detail = lesson_for_reader(
        course_slug=course_slug, lesson_slug=lesson_slug, language=params.language
    )
    lesson = detail.lesson
    return LessonDetailOut(
        id=lesson.pk,
        course_slug=lesson.course.slug,
        course_title=detail.course_title,
        slug=lesson.slug,
        kind=lesson.kind,
        title=detail.title,
        summary=detail.summary,
        body_markdown=detail.body,
        hashtags=sorted(tag.name for tag in lesson.hashtags.all()),
        video_url=lesson.video_url,
        duration_seconds=lesson.duration_seconds,
        reading_minutes=lesson.reading_minutes,
        pass_mark=lesson.pass_mark,
        starts_at=lesson.starts_at,
        timezone=lesson.timezone,
        duration_minutes=lesson.duration_minutes,
        capacity=lesson.capacity,
        join_url=lesson.join_url,
        recording_url=lesson.recording_url,
        # Correct answers stay on the server: the quiz endpoint scores and explains.
        questions=[
            QuestionOut(
                position=question.position,
                prompt=question.prompt,
                choices=question.choices,
                multiple=question.multiple,
            )
            for question in detail.questions
        ],
        previous_slug=detail.previous_slug,
        next_slug=detail.next_slug,
        localised=_localised(detail.localised),
    )


@router.get(
    "/wiki",
    response={200: list[WikiCardOut], **PROBLEM_RESPONSES},
    operation_id="wiki_list",
    summary="Published Creator Wiki articles in a language, optionally in one category",
)
def wiki_list(request: HttpRequest, filters: Query[WikiFilters]) -> list[WikiCardOut]:
    cards = wiki_published(language=filters.language, category=filters.category)
    return [WikiCardOut(**_wiki_card(card)) for card in cards]


@router.get(
    "/wiki/{slug}",
    response={200: WikiArticleOut, **PROBLEM_RESPONSES},
    operation_id="wiki_article_get",
    summary="A published wiki article; 410 when it has been retired",
)
def wiki_article_get(
    request: HttpRequest, slug: str, params: Query[LanguageParam]
) -> WikiArticleOut:
    detail = wiki_article_for_reader(slug=slug, language=params.language)
    article = detail.card.article
    return WikiArticleOut(
        **_wiki_card(detail.card),
        body_markdown=detail.body,
        revision=detail.revision_number,
        updated_at=detail.updated_at,
        last_reviewed=article.last_reviewed_at.isoformat() if article.last_reviewed_at else None,
        hashtags=sorted(tag.name for tag in article.hashtags.all()),
    )
