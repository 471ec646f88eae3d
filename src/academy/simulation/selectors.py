"""Reads for the simulator: the published catalogue as engine item descriptors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db.models import Count, Prefetch

from academy.catalog.choices import LessonKind, PublishStatus, TranslationStatus
from academy.catalog.models import Course, Lesson, WikiArticle, WikiText
from academy.simulation.engine.catalog import Catalog, ItemSpec, catalog_build

# Lesson lengths the catalogue does not state: seconds per quiz question, minutes of a live
# class without a stated length, words read per minute.
SECONDS_PER_QUESTION = 40
LIVE_CLASS_MINUTES = 45
WORDS_PER_MINUTE = 200
# Title words worth searching: five letters or more, not a common function word.
_WORD = re.compile(r"[^\W\d_]{5,}")
_STOPWORDS = frozenset(
    (
        # English
        "about", "above", "after", "again", "against", "before", "being", "below", "between",
        "could", "doing", "during", "every", "first", "having", "other", "their", "there",
        "these", "thing", "things", "those", "through", "under", "until", "where", "which",
        "while", "would", "yours", "without", "should", "still",
        # Spanish
        "ahora", "antes", "cuando", "desde", "donde", "entre", "hacer", "hasta", "mejor",
        "mientras", "nuestra", "nuestro", "otras", "otros", "porque", "puedes", "sobre", "tener",
        "tiene", "todas", "todos", "usted",
        # Portuguese
        "agora", "depois", "fazer", "melhor", "mesmo", "muito", "nossa", "nosso", "outras",
        "outros", "vocês",
    )
)  # fmt: skip


def _words(texts: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """(language, word) pairs of titles: what a creator might type into search."""
    found = {
        (language, word)
        for language, title in texts
        for word in _WORD.findall(title.casefold())
        if word not in _STOPWORDS
    }
    return tuple(sorted(found))


def _published_languages(texts: Iterable[tuple[str, str]], original: str) -> tuple[str, ...]:
    languages = {language for language, status in texts if status == TranslationStatus.PUBLISHED}
    return tuple(sorted(languages | {original}))


def _lesson_seconds(lesson: Lesson, questions: int) -> int:
    if lesson.kind == LessonKind.VIDEO:
        return lesson.duration_seconds or 120
    if lesson.kind == LessonKind.ARTICLE:
        return 60 * (lesson.reading_minutes or 3)
    if lesson.kind == LessonKind.QUIZ:
        return SECONDS_PER_QUESTION * max(questions, 1)
    return 60 * (lesson.duration_minutes or LIVE_CLASS_MINUTES)


def simulation_items() -> list[ItemSpec]:
    """Every published course, lesson and wiki article, as the simulator describes items.

    Item ids are what the product's events carry: course and article slugs, lesson ids.
    """
    lessons = (
        Lesson.objects.filter(status=PublishStatus.PUBLISHED)
        .annotate(question_count=Count("questions"))
        .prefetch_related("texts", "hashtags")
        .order_by("position", "pk")
    )
    courses = (
        Course.objects.filter(status=PublishStatus.PUBLISHED)
        .select_related("topic")
        .prefetch_related("texts", "hashtags", Prefetch("lessons", queryset=lessons))
        .order_by("slug")
    )
    items: list[ItemSpec] = []
    for course in courses:
        course_lessons: list[ItemSpec] = []
        for lesson in course.lessons.all():
            texts = list(lesson.texts.all())
            course_lessons.append(
                ItemSpec(
                    item_kind="lesson",
                    item_id=str(lesson.pk),
                    format=lesson.kind,
                    topic=course.topic.slug,
                    level=course.level,
                    languages=_published_languages(
                        ((text.language, text.status) for text in texts), lesson.original_language
                    ),
                    duration_seconds=_lesson_seconds(lesson, lesson.question_count),  # type: ignore[attr-defined]
                    hashtags=tuple(sorted(tag.name for tag in lesson.hashtags.all())),
                    words=_words((text.language, text.title) for text in texts),
                    course=course.slug,
                    position=lesson.position,
                    questions=lesson.question_count,  # type: ignore[attr-defined]
                    pass_mark=lesson.pass_mark,
                    ref=lesson.pk,
                )
            )
        course_texts = list(course.texts.all())
        items.append(
            ItemSpec(
                item_kind="course",
                item_id=course.slug,
                format="course",
                topic=course.topic.slug,
                level=course.level,
                languages=_published_languages(
                    ((text.language, text.status) for text in course_texts),
                    course.original_language,
                ),
                duration_seconds=sum(item.duration_seconds for item in course_lessons) or 60,
                hashtags=tuple(sorted(tag.name for tag in course.hashtags.all())),
                words=_words((text.language, text.title) for text in course_texts),
                ref=course.pk,
            )
        )
        items.extend(course_lessons)
    articles = (
        WikiArticle.objects.filter(status=PublishStatus.PUBLISHED)
        .select_related("topic")
        .prefetch_related(
            Prefetch("texts", queryset=WikiText.objects.select_related("current")), "hashtags"
        )
        .order_by("slug")
    )
    for article in articles:
        wiki_texts = list(article.texts.all())
        original = next(
            (text for text in wiki_texts if text.language == article.original_language), None
        )
        words = len(original.current.body.split()) if original else WORDS_PER_MINUTE
        items.append(
            ItemSpec(
                item_kind="wiki",
                item_id=article.slug,
                format="wiki",
                topic=article.topic.slug,
                languages=_published_languages(
                    ((text.language, text.status) for text in wiki_texts),
                    article.original_language,
                ),
                duration_seconds=max(60, round(60 * words / WORDS_PER_MINUTE)),
                hashtags=tuple(sorted(tag.name for tag in article.hashtags.all())),
                words=_words((text.language, text.current.title) for text in wiki_texts),
                ref=article.pk,
            )
        )
    return items


def content_languages() -> Sequence[str]:
    return [code for code, _name in settings.LANGUAGES]


def simulation_catalog() -> Catalog:
    """The published catalogue, indexed for the engine (ValueError when there is none)."""
    return catalog_build(simulation_items(), languages=content_languages())
