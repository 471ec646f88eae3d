"""Searchable test content, written and published through the catalog services."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from academy.catalog.models import Course, Topic, WikiArticle
from academy.catalog.services import (
    Item,
    content_approve,
    content_submit_for_review,
    course_create,
    lesson_create,
    wiki_article_create,
)

_sequence = itertools.count(1)


def _publish(item: Item) -> None:
    content_submit_for_review(item=item)
    content_approve(item=item)


def published_course(
    *,
    title: str,
    summary: str = "",
    lessons: Sequence[tuple[str, str]] = (("A first step", "Start here."),),
    level: str = "beginner",
    topic: str = "creation-essentials",
    hashtags: Sequence[str] = (),
    slug: str | None = None,
    kind: str = "article",
) -> Course:
    """A published course whose lessons are (title, body) article lessons, all published."""
    course = course_create(
        slug=slug or f"course-{next(_sequence)}",
        topic=Topic.objects.get(slug=topic),
        level=level,
        language="en",
        title=title,
        summary=summary,
        hashtags=hashtags,
    )
    for lesson_title, body in lessons:
        lesson = lesson_create(
            course=course,
            slug=f"lesson-{next(_sequence)}",
            kind=kind,
            title=lesson_title,
            summary="",
            body=body,
            hashtags=hashtags,
            video_url="https://videos.example/v.mp4" if kind == "video" else "",
        )
        _publish(lesson)
    _publish(course)
    return course


def published_wiki(
    *,
    title: str,
    body: str,
    summary: str = "",
    topic: str = "creation-essentials",
    hashtags: Sequence[str] = (),
    slug: str | None = None,
    language: str = "en",
) -> WikiArticle:
    article = wiki_article_create(
        slug=slug or f"wiki-{next(_sequence)}",
        category="glossary",
        topic=Topic.objects.get(slug=topic),
        language=language,
        title=title,
        summary=summary,
        body=body,
        author=None,
        hashtags=hashtags,
    )
    _publish(article)
    return article
