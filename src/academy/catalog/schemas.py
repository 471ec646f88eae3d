from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema

Language = Literal["en", "es", "pt-br"]


class LocalisedOut(Schema):
    language: str
    is_fallback: bool


class CourseCardOut(Schema):
    slug: str
    title: str
    summary: str
    topic: str
    topic_name: str
    level: str
    hashtags: list[str]
    lesson_count: int
    editorial_pick: bool
    published_at: datetime | None
    localised: LocalisedOut


class LessonItemOut(Schema):
    id: int
    slug: str
    position: int
    kind: str
    title: str
    summary: str
    duration_seconds: int | None
    reading_minutes: int | None
    localised: LocalisedOut


class CourseDetailOut(CourseCardOut):
    lessons: list[LessonItemOut]


class QuestionOut(Schema):
    position: int
    prompt: str
    choices: list[str]
    multiple: bool


class LessonDetailOut(Schema):
    id: int
    course_slug: str
    course_title: str
    slug: str
    kind: str
    title: str
    summary: str
    body_markdown: str
    hashtags: list[str]
    video_url: str
    duration_seconds: int | None
    reading_minutes: int | None
    pass_mark: float
    starts_at: datetime | None
    timezone: str
    duration_minutes: int | None
    capacity: int | None
    join_url: str
    recording_url: str
    questions: list[QuestionOut]
    previous_slug: str | None
    next_slug: str | None
    localised: LocalisedOut


class WikiCardOut(Schema):
    slug: str
    title: str
    summary: str
    category: str
    topic: str
    localised: LocalisedOut


class WikiArticleOut(WikiCardOut):
    body_markdown: str
    revision: int
    updated_at: datetime
    last_reviewed: str | None
    hashtags: list[str]
