"""The learning store's part of export and erasure."""

from __future__ import annotations

from typing import Any

from academy.accounts.models import Creator
from academy.learning.models import (
    BadgeAward,
    Certificate,
    Enrollment,
    LessonProgress,
    QuizAttempt,
    WeeklyGoal,
)


def export_creator(creator: Creator) -> dict[str, Any]:
    return {
        "enrollments": list(
            Enrollment.objects.filter(creator=creator).values(
                "course__slug", "enrolled_at", "last_activity_at", "completed_at"
            )
        ),
        "lesson_progress": list(
            LessonProgress.objects.filter(creator=creator).values(
                "lesson__course__slug",
                "lesson__slug",
                "started_at",
                "updated_at",
                "position_seconds",
                "furthest_seconds",
                "watch_percent",
                "completed_at",
            )
        ),
        "quiz_attempts": list(
            QuizAttempt.objects.filter(creator=creator).values(
                "lesson__course__slug", "lesson__slug", "submitted_at", "answers", "score", "passed"
            )
        ),
        "badges": list(
            BadgeAward.objects.filter(creator=creator).values("course__slug", "awarded_at")
        ),
        "certificates": list(
            Certificate.objects.filter(creator=creator).values(
                "course__slug", "code", "holder_name", "issued_at"
            )
        ),
        "weekly_goal": WeeklyGoal.objects.filter(creator=creator)
        .values_list("lessons_per_week", flat=True)
        .first(),
    }


def erase_creator(creator: Creator) -> int:
    removed = 0
    for model in (QuizAttempt, LessonProgress, BadgeAward, Certificate, Enrollment, WeeklyGoal):
        count, _detail = model.objects.filter(creator=creator).delete()
        removed += count
    return removed
