"""Every write to a creator's learning: enrol, progress, complete, quiz, badges, goals."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.catalog.choices import LessonKind, PublishStatus
from academy.catalog.models import Course, Lesson
from academy.core import clock
from academy.core.errors import NotFound, ValidationFailed
from academy.events import taxonomy
from academy.events.services import server_event, track_event
from academy.learning.models import (
    BadgeAward,
    Certificate,
    Enrollment,
    LessonProgress,
    QuizAttempt,
    WeeklyGoal,
)

# A video or article counts as complete at this share watched/read; the rest is credits & outros.
COMPLETION_PERCENT = 90
MAX_WEEKLY_GOAL = 50


def _require_published(lesson: Lesson) -> None:
    if lesson.status != PublishStatus.PUBLISHED or lesson.course.status != PublishStatus.PUBLISHED:
        raise NotFound(_("This lesson is not available."))


def enrollment_ensure(
    *, creator: Creator, course: Course, now: datetime | None = None
) -> Enrollment:
    """Enrol the creator in the course (idempotent)."""
    if course.status != PublishStatus.PUBLISHED:
        raise NotFound(_("This course is not available."))
    now = now or clock.now()
    enrollment, created = Enrollment.objects.get_or_create(
        creator=creator, course=course, defaults={"enrolled_at": now, "last_activity_at": now}
    )
    if created:
        _track(taxonomy.Enroll, creator, "course", course.slug)
    return enrollment


def _track(
    event_type: type[taxonomy.Event], creator: Creator, kind: str, item: str, **properties: Any
) -> None:
    track_event(
        server_event(
            event_type,
            creator_id=creator.external_id,
            item_kind=kind,
            item_id=item,
            context=taxonomy.Context(region=creator.region, language=creator.language),
            properties=properties,
        )
    )


def _touch(creator: Creator, lesson: Lesson, now: datetime) -> Enrollment:
    enrollment = enrollment_ensure(creator=creator, course=lesson.course, now=now)
    if enrollment.last_activity_at < now:
        Enrollment.objects.filter(pk=enrollment.pk).update(last_activity_at=now)
        enrollment.last_activity_at = now
    return enrollment


def _progress_row(creator: Creator, lesson: Lesson, now: datetime) -> LessonProgress:
    row, created = LessonProgress.objects.select_for_update().get_or_create(
        creator=creator, lesson=lesson, defaults={"started_at": now, "updated_at": now}
    )
    if created:
        _track(taxonomy.LessonStart, creator, "lesson", str(lesson.pk))
    return row


def lesson_start(
    *, creator: Creator, lesson: Lesson, now: datetime | None = None
) -> LessonProgress:
    _require_published(lesson)
    now = now or clock.now()
    with transaction.atomic():
        _touch(creator, lesson, now)
        return _progress_row(creator, lesson, now)


@dataclass(frozen=True)
class ProgressResult:
    progress: LessonProgress
    lesson_completed: bool
    course_completed: bool


def lesson_progress_record(
    *,
    creator: Creator,
    lesson: Lesson,
    position_seconds: int | None = None,
    percent: int | None = None,
    now: datetime | None = None,
) -> ProgressResult:
    """Record where the creator is in a video (seconds) or an article (percent read).

    Watch percentage only grows (rewatching the start never lowers it); reaching
    COMPLETION_PERCENT completes the lesson.
    """
    _require_published(lesson)
    if lesson.kind in {LessonKind.QUIZ, LessonKind.LIVE}:
        raise ValidationFailed(_("Quiz and live lessons have no playback progress."))
    if position_seconds is not None and position_seconds < 0:
        raise ValidationFailed(
            _("A position cannot be negative."), errors={"position_seconds": _("0 or more.")}
        )
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationFailed(_("A percentage is 0 to 100."), errors={"percent": _("0 to 100.")})
    now = now or clock.now()
    with transaction.atomic():
        _touch(creator, lesson, now)
        row = _progress_row(creator, lesson, now)
        if position_seconds is not None:
            duration = lesson.duration_seconds or 0
            position = min(position_seconds, duration) if duration else position_seconds
            row.position_seconds = position
            row.furthest_seconds = max(row.furthest_seconds, position)
            if duration:
                percent = round(100 * row.furthest_seconds / duration)
        if percent is not None:
            row.watch_percent = max(row.watch_percent, min(percent, 100))
        row.updated_at = now
        row.save(
            update_fields=["position_seconds", "furthest_seconds", "watch_percent", "updated_at"]
        )
        # The heartbeat stream: where creators stop is what content analytics needs.
        _track(
            taxonomy.LessonProgress, creator, "lesson", str(lesson.pk), percent=row.watch_percent
        )
        if row.completed_at is None and row.watch_percent >= COMPLETION_PERCENT:
            return _complete(creator, lesson, row, now)
    return ProgressResult(progress=row, lesson_completed=False, course_completed=False)


def lesson_complete(
    *, creator: Creator, lesson: Lesson, now: datetime | None = None
) -> ProgressResult:
    """Mark a video, article or live lesson complete (a quiz completes by passing it)."""
    _require_published(lesson)
    if lesson.kind == LessonKind.QUIZ:
        raise ValidationFailed(_("Pass the quiz to complete it."))
    now = now or clock.now()
    with transaction.atomic():
        _touch(creator, lesson, now)
        row = _progress_row(creator, lesson, now)
        if row.completed_at is not None:
            return ProgressResult(progress=row, lesson_completed=False, course_completed=False)
        row.watch_percent = 100
        return _complete(creator, lesson, row, now)


def _complete(
    creator: Creator, lesson: Lesson, row: LessonProgress, now: datetime
) -> ProgressResult:
    row.completed_at = now
    row.updated_at = now
    row.save(update_fields=["completed_at", "watch_percent", "updated_at"])
    _track(taxonomy.LessonComplete, creator, "lesson", str(lesson.pk))
    course_completed = _course_completion_check(creator, lesson.course, now)
    return ProgressResult(progress=row, lesson_completed=True, course_completed=course_completed)


def _course_completion_check(creator: Creator, course: Course, now: datetime) -> bool:
    """Complete the course when every published lesson is done: badge and certificate, once."""
    published = set(
        course.lessons.filter(status=PublishStatus.PUBLISHED).values_list("pk", flat=True)
    )
    done = set(
        LessonProgress.objects.filter(
            creator=creator, lesson_id__in=published, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    if not published or published - done:
        return False
    enrollment = Enrollment.objects.select_for_update().get(creator=creator, course=course)
    if enrollment.completed_at is not None:
        return False
    enrollment.completed_at = now
    enrollment.save(update_fields=["completed_at"])
    try:
        with transaction.atomic():
            BadgeAward.objects.create(creator=creator, course=course, awarded_at=now)
            _track(taxonomy.BadgeEarned, creator, "course", course.slug)
            Certificate.objects.create(
                creator=creator,
                course=course,
                code=secrets.token_hex(10),
                holder_name=_holder_name(creator),
                issued_at=now,
            )
    except IntegrityError:
        # Another request completed the course at the same moment: one badge is enough.
        return False
    return True


def _holder_name(creator: Creator) -> str:
    """The name printed on a public certificate: never the e-mail address or an internal id."""
    user = creator.user
    if user is not None and (user.display_name or user.first_name):
        return user.display_name or user.get_full_name()
    return creator.handle or _("Creator Academy learner")


@dataclass(frozen=True)
class QuestionFeedback:
    position: int
    chosen: list[int]
    correct: list[int]
    is_correct: bool


@dataclass(frozen=True)
class QuizResult:
    attempt: QuizAttempt
    feedback: list[QuestionFeedback]
    lesson_completed: bool
    course_completed: bool


def quiz_submit(
    *,
    creator: Creator,
    lesson: Lesson,
    answers: Mapping[int, Sequence[int]],
    now: datetime | None = None,
) -> QuizResult:
    """Score an attempt. ``answers`` maps question position (from 1) to chosen choice indexes.

    A question counts as right when exactly its correct choices are chosen. Passing (score at or
    above the lesson's pass mark) completes the lesson.
    """
    _require_published(lesson)
    if lesson.kind != LessonKind.QUIZ:
        raise ValidationFailed(_("This lesson is not a quiz."))
    questions = list(lesson.questions.order_by("position"))
    positions = {question.position: question for question in questions}
    unknown = sorted(set(answers) - set(positions))
    if unknown:
        raise ValidationFailed(
            _("Question %(n)s is not part of this quiz.") % {"n": unknown[0]},
            errors={"answers": _("Answer only this quiz's questions.")},
        )
    feedback = []
    for question in questions:
        chosen = sorted(set(answers.get(question.position, [])))
        if any(not 0 <= index < question.choice_count for index in chosen):
            raise ValidationFailed(
                _("Question %(n)d has no such choice.") % {"n": question.position},
                errors={"answers": _("Pick among the offered choices.")},
            )
        correct = sorted(question.correct)
        feedback.append(QuestionFeedback(question.position, chosen, correct, chosen == correct))
    right = sum(item.is_correct for item in feedback)
    score = right / len(questions) if questions else 0.0
    passed = bool(questions) and score + 1e-9 >= lesson.pass_mark
    now = now or clock.now()
    with transaction.atomic():
        _touch(creator, lesson, now)
        attempt = QuizAttempt.objects.create(
            creator=creator,
            lesson=lesson,
            submitted_at=now,
            answers={str(item.position): item.chosen for item in feedback},
            correct_count=right,
            question_count=len(questions),
            score=score,
            passed=passed,
        )
        _track(taxonomy.QuizSubmit, creator, "lesson", str(lesson.pk), score=score, passed=passed)
        row = _progress_row(creator, lesson, now)
        result = ProgressResult(progress=row, lesson_completed=False, course_completed=False)
        if passed and row.completed_at is None:
            row.watch_percent = 100
            result = _complete(creator, lesson, row, now)
    return QuizResult(
        attempt=attempt,
        feedback=feedback,
        lesson_completed=result.lesson_completed,
        course_completed=result.course_completed,
    )


def weekly_goal_set(*, creator: Creator, lessons_per_week: int) -> WeeklyGoal:
    if not 1 <= lessons_per_week <= MAX_WEEKLY_GOAL:
        raise ValidationFailed(
            _("A weekly goal is 1 to %(max)d lessons.") % {"max": MAX_WEEKLY_GOAL},
            errors={"lessons_per_week": _("1 to %(max)d.") % {"max": MAX_WEEKLY_GOAL}},
        )
    goal, _created = WeeklyGoal.objects.update_or_create(
        creator=creator, defaults={"lessons_per_week": lessons_per_week}
    )
    return goal
