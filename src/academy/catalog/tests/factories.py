"""Catalog test data, made through the services and published through the workflow."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from academy.catalog.models import Course, Lesson, Topic, WikiArticle
from academy.catalog.services import (
    Item,
    QuestionInput,
    content_approve,
    content_submit_for_review,
    course_create,
    lesson_create,
    quiz_questions_set,
    wiki_article_create,
)

_sequence = itertools.count(1)


def topic(slug: str = "getting-started") -> Topic:
    return Topic.objects.get(slug=slug)


def publish(item: Item) -> Item:
    content_submit_for_review(item=item)
    return content_approve(item=item)


def make_course(
    *,
    slug: str | None = None,
    language: str = "en",
    title: str = "Hooks that hold",
    level: str = "beginner",
) -> Course:
    return course_create(
        slug=slug or f"course-{next(_sequence)}",
        topic=topic("creation-essentials"),
        level=level,
        language=language,
        title=title,
        summary="Keep viewers past the first second.",
        hashtags=["#Hook", "retention"],
    )


def make_lesson(
    *, course: Course, kind: str = "article", slug: str | None = None, **details: Any
) -> Lesson:
    defaults: dict[str, dict[str, Any]] = {
        "video": {"video_url": "https://videos.example/hook.mp4", "duration_seconds": 120},
        "article": {"reading_minutes": 3},
        "quiz": {"pass_mark": 0.5},
        "live": {
            "starts_at": datetime(2030, 1, 15, 18, 0, tzinfo=UTC),
            "timezone": "America/Sao_Paulo",
            "capacity": 100,
            "join_url": "https://live.example/room",
        },
    }
    lesson = lesson_create(
        course=course,
        slug=slug or f"lesson-{next(_sequence)}",
        kind=kind,
        title=f"A {kind} lesson",
        summary="Short and useful.",
        body="Say the payoff first.",
        **{**defaults[kind], **details},
    )
    if kind == "quiz":
        quiz_questions_set(
            lesson=lesson,
            questions=[
                QuestionInput(
                    "What comes first?", ["The payoff", "The logo"], [0], "Payoff first."
                ),
                QuestionInput(
                    "Pick all hooks", ["Question", "Outro", "Bold claim"], [0, 2], "Both."
                ),
            ],
        )
    return lesson


def make_published_course(
    *, kinds: tuple[str, ...] = ("video", "article", "quiz"), **kwargs: object
) -> Course:
    course = make_course(**kwargs)  # type: ignore[arg-type]
    for kind in kinds:
        publish(make_lesson(course=course, kind=kind))
    return publish(course)


def make_wiki(*, slug: str | None = None, body: str = "A hook is the first second.") -> WikiArticle:
    return wiki_article_create(
        slug=slug or f"wiki-{next(_sequence)}",
        category="glossary",
        topic=topic("creation-essentials"),
        language="en",
        title="What is a hook?",
        summary="The first second.",
        body=body,
        author=None,
    )
