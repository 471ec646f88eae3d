"""Reads of the catalog, in the reader's language with a visible fallback to the original."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from academy.catalog.choices import PublishStatus, TranslationStatus
from academy.catalog.models import (
    Course,
    CourseText,
    Lesson,
    LessonText,
    QuizQuestion,
    Topic,
    WikiArticle,
    WikiText,
)
from academy.core.errors import Gone, NotFound


class _Text(Protocol):
    language: str
    status: str


TextT = TypeVar("TextT", bound=_Text)


@dataclass(frozen=True)
class Localised:
    """Which language version a reader gets; ``is_fallback`` means theirs is not available."""

    language: str
    is_fallback: bool


def pick_text(texts: Iterable[TextT], *, language: str, original: str) -> tuple[TextT, Localised]:
    """The published version in ``language``, else the original (flagged as a fallback)."""
    by_language = {text.language: text for text in texts}
    wanted = by_language.get(language)
    if wanted is not None and wanted.status == TranslationStatus.PUBLISHED:
        return wanted, Localised(language, is_fallback=False)
    fallback = by_language.get(original)
    if fallback is None:
        raise NotFound(_("This content has no text yet."))
    return fallback, Localised(original, is_fallback=language != original)


def topics() -> QuerySet[Topic]:
    return Topic.objects.all()


def _published_courses() -> QuerySet[Course]:
    return Course.objects.filter(status=PublishStatus.PUBLISHED).select_related("topic")


def _with_texts(queryset: QuerySet[Course], *, lesson_texts: bool = False) -> QuerySet[Course]:
    lessons = Lesson.objects.filter(status=PublishStatus.PUBLISHED).order_by("position")
    if lesson_texts:
        lessons = lessons.prefetch_related("texts")
    return queryset.prefetch_related(
        "texts",
        "hashtags",
        Prefetch("lessons", queryset=lessons, to_attr="published_lessons"),
    )


@dataclass(frozen=True)
class CourseCard:
    course: Course
    title: str
    summary: str
    topic_name: str
    lesson_count: int
    localised: Localised


def _card(course: Course, language: str) -> CourseCard:
    text, localised = pick_text(
        course.texts.all(), language=language, original=course.original_language
    )
    return CourseCard(
        course=course,
        title=text.title,
        summary=text.summary,
        topic_name=course.topic.name_in(language),
        lesson_count=len(getattr(course, "published_lessons", [])),
        localised=localised,
    )


def courses_published(
    *,
    language: str,
    topic: str | None = None,
    level: str | None = None,
    published_since: datetime | None = None,
) -> list[CourseCard]:
    """Published courses as cards in ``language``; a fixed number of queries however many."""
    queryset = _published_courses()
    if topic:
        queryset = queryset.filter(topic__slug=topic)
    if level:
        queryset = queryset.filter(level=level)
    if published_since:
        queryset = queryset.filter(published_at__gte=published_since)
    return [
        _card(course, language)
        for course in _with_texts(queryset.order_by("-published_at", "slug"))
    ]


@dataclass(frozen=True)
class LessonItem:
    lesson: Lesson
    title: str
    summary: str
    localised: Localised


@dataclass(frozen=True)
class CourseDetail:
    card: CourseCard
    lessons: list[LessonItem]


def course_for_reader(*, slug: str, language: str) -> CourseDetail:
    """A published course; archived ones raise Gone so old links explain themselves."""
    course = _with_texts(
        Course.objects.filter(slug=slug).select_related("topic"), lesson_texts=True
    ).first()
    if course is None or course.status in {
        PublishStatus.DRAFT,
        PublishStatus.IN_REVIEW,
        PublishStatus.SCHEDULED,
    }:
        raise NotFound(_("There is no course at this address."))
    if course.status == PublishStatus.ARCHIVED:
        raise Gone(_("This course has been retired. Explore the current courses instead."))
    lessons = []
    for lesson in course.published_lessons:  # type: ignore[attr-defined]
        text, localised = pick_text(
            lesson.texts.all(), language=language, original=lesson.original_language
        )
        lessons.append(LessonItem(lesson, text.title, text.summary, localised))
    return CourseDetail(card=_card(course, language), lessons=lessons)


@dataclass(frozen=True)
class QuestionView:
    position: int
    prompt: str
    choices: list[str]
    explanation: str
    correct: list[int]
    multiple: bool


@dataclass(frozen=True)
class LessonDetail:
    lesson: Lesson
    course_title: str
    title: str
    summary: str
    body: str
    localised: Localised
    questions: list[QuestionView]
    previous_slug: str | None
    next_slug: str | None


def lesson_for_reader(*, course_slug: str, lesson_slug: str, language: str) -> LessonDetail:
    lesson = (
        Lesson.objects.filter(course__slug=course_slug, slug=lesson_slug)
        .select_related("course")
        .prefetch_related("texts", "course__texts")
        .first()
    )
    if lesson is None or lesson.status in {
        PublishStatus.DRAFT,
        PublishStatus.IN_REVIEW,
        PublishStatus.SCHEDULED,
    }:
        raise NotFound(_("There is no lesson at this address."))
    if lesson.status == PublishStatus.ARCHIVED or lesson.course.status == PublishStatus.ARCHIVED:
        raise Gone(_("This lesson has been retired. Its course page lists the current lessons."))
    if lesson.course.status != PublishStatus.PUBLISHED:
        raise NotFound(_("There is no lesson at this address."))
    text, localised = pick_text(
        lesson.texts.all(), language=language, original=lesson.original_language
    )
    course_text, _loc = pick_text(
        lesson.course.texts.all(), language=language, original=lesson.course.original_language
    )
    questions = _questions(lesson, localised.language) if lesson.kind == "quiz" else []
    siblings = list(
        Lesson.objects.filter(course=lesson.course, status=PublishStatus.PUBLISHED)
        .order_by("position")
        .values_list("slug", flat=True)
    )
    index = siblings.index(lesson.slug)
    return LessonDetail(
        lesson=lesson,
        course_title=course_text.title,
        title=text.title,
        summary=text.summary,
        body=text.body,
        localised=localised,
        questions=questions,
        previous_slug=siblings[index - 1] if index > 0 else None,
        next_slug=siblings[index + 1] if index + 1 < len(siblings) else None,
    )


def _questions(lesson: Lesson, language: str) -> list[QuestionView]:
    views = []
    rows: QuerySet[QuizQuestion] = lesson.questions.prefetch_related("texts").order_by("position")
    for question in rows:
        texts = {text.language: text for text in question.texts.all()}
        text = texts.get(language) or texts[lesson.original_language]
        views.append(
            QuestionView(
                position=question.position,
                prompt=text.prompt,
                choices=list(text.choices),
                explanation=text.explanation,
                correct=list(question.correct),
                multiple=len(question.correct) > 1,
            )
        )
    return views


@dataclass(frozen=True)
class WikiCard:
    article: WikiArticle
    title: str
    summary: str
    localised: Localised


def _wiki_texts() -> Any:
    return Prefetch("texts", queryset=WikiText.objects.select_related("current"))


def wiki_published(*, language: str, category: str | None = None) -> list[WikiCard]:
    queryset = WikiArticle.objects.filter(status=PublishStatus.PUBLISHED).prefetch_related(
        _wiki_texts()
    )
    if category:
        queryset = queryset.filter(category=category)
    cards = []
    for article in queryset.order_by("slug"):
        text, localised = pick_text(
            article.texts.all(), language=language, original=article.original_language
        )
        cards.append(WikiCard(article, text.current.title, text.current.summary, localised))
    return sorted(cards, key=lambda card: card.title.casefold())


@dataclass(frozen=True)
class WikiDetail:
    card: WikiCard
    body: str
    revision_number: int
    updated_at: datetime


def wiki_article_for_reader(*, slug: str, language: str) -> WikiDetail:
    article = (
        WikiArticle.objects.filter(slug=slug)
        .prefetch_related(_wiki_texts())
        .select_related("owner")
        .first()
    )
    if article is None or article.status in {
        PublishStatus.DRAFT,
        PublishStatus.IN_REVIEW,
        PublishStatus.SCHEDULED,
    }:
        raise NotFound(_("There is no wiki article at this address."))
    if article.status == PublishStatus.ARCHIVED:
        raise Gone(_("This article has been retired. Browse the wiki for current guidance."))
    text, localised = pick_text(
        article.texts.all(), language=language, original=article.original_language
    )
    revision = text.current
    return WikiDetail(
        card=WikiCard(article, revision.title, revision.summary, localised),
        body=revision.body,
        revision_number=revision.number,
        updated_at=revision.created_at,
    )


def course_texts_by_language(*, course: Course) -> dict[str, CourseText]:
    return {text.language: text for text in course.texts.all()}


def lesson_texts_by_language(*, lesson: Lesson) -> dict[str, LessonText]:
    return {text.language: text for text in lesson.texts.all()}
