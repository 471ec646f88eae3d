from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field


class ProgressIn(Schema):
    """Where the creator is: seconds into a video, or the share of an article read."""

    position_seconds: Annotated[int, Field(ge=0, le=86_400)] | None = None
    percent: Annotated[int, Field(ge=0, le=100)] | None = None


class ProgressOut(Schema):
    lesson_id: int
    watch_percent: int
    position_seconds: int
    completed: bool
    course_completed: bool


class EnrollmentOut(Schema):
    course_slug: str
    enrolled_at: datetime
    completed_at: datetime | None


class QuizIn(Schema):
    answers: dict[
        int, Annotated[list[Annotated[int, Field(ge=0, le=50)]], Field(max_length=50)]
    ] = Field(
        description="Question position (from 1) -> indexes of the chosen choices (from 0).",
        max_length=200,
    )


class QuestionFeedbackOut(Schema):
    position: int
    chosen: list[int]
    correct: list[int]
    is_correct: bool
    explanation: str


class QuizResultOut(Schema):
    score: float
    correct_count: int
    question_count: int
    passed: bool
    pass_mark: float
    feedback: list[QuestionFeedbackOut]
    lesson_completed: bool
    course_completed: bool


class NextLessonOut(Schema):
    course_slug: str
    course_title: str
    lesson_id: int
    lesson_slug: str
    lesson_title: str
    completed: int
    total: int


class StreakOut(Schema):
    weeks: int
    goal: int
    done_this_week: int


class BadgeOut(Schema):
    course_slug: str
    awarded_at: datetime


class CertificateOut(Schema):
    course_slug: str
    code: str
    issued_at: datetime
    url: str


class LearningSummaryOut(Schema):
    continue_learning: list[NextLessonOut]
    streak: StreakOut
    badges: list[BadgeOut]
    certificates: list[CertificateOut]


class WeeklyGoalIn(Schema):
    lessons_per_week: Annotated[int, Field(ge=1, le=50)]
