"""Reads of a creator's learning: continue learning, progress, streaks, badges, certificates."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from django.db.models import Count, Q

from academy.accounts.models import Creator
from academy.catalog.choices import LessonKind, PublishStatus
from academy.catalog.models import Course, Lesson
from academy.catalog.selectors import (
    CourseCard,
    CourseDetail,
    LessonItem,
    courses_published,
    pick_text,
)
from academy.core import clock
from academy.learning.models import BadgeAward, Certificate, Enrollment, LessonProgress, WeeklyGoal

DEFAULT_WEEKLY_GOAL = 3


@dataclass(frozen=True)
class NextLesson:
    course: Course
    course_title: str
    lesson: Lesson
    lesson_title: str
    completed: int
    total: int


def continue_learning(*, creator: Creator, language: str, limit: int = 6) -> list[NextLesson]:
    """The next unfinished lesson of each unfinished enrolled course, most recent first."""
    enrollments = (
        Enrollment.objects.filter(
            creator=creator, completed_at__isnull=True, course__status=PublishStatus.PUBLISHED
        )
        .select_related("course")
        .prefetch_related("course__texts")
        .order_by("-last_activity_at")[:limit]
    )
    courses = [enrollment.course for enrollment in enrollments]
    lessons = (
        Lesson.objects.filter(course__in=courses, status=PublishStatus.PUBLISHED)
        .order_by("course_id", "position")
        .prefetch_related("texts")
    )
    done = set(
        LessonProgress.objects.filter(
            creator=creator, lesson__course__in=courses, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    by_course: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        by_course.setdefault(lesson.course_id, []).append(lesson)
    result = []
    for course in courses:
        course_lessons = by_course.get(course.pk, [])
        upcoming = next((lesson for lesson in course_lessons if lesson.pk not in done), None)
        if upcoming is None:
            continue
        course_text, _loc = pick_text(
            course.texts.all(), language=language, original=course.original_language
        )
        lesson_text, _loc = pick_text(
            upcoming.texts.all(), language=language, original=upcoming.original_language
        )
        result.append(
            NextLesson(
                course=course,
                course_title=course_text.title,
                lesson=upcoming,
                lesson_title=lesson_text.title,
                completed=sum(1 for lesson in course_lessons if lesson.pk in done),
                total=len(course_lessons),
            )
        )
    return result


@dataclass(frozen=True)
class CourseProgress:
    enrolled: bool
    completed_lessons: set[int]
    total: int
    completed_at: datetime | None
    watch_percent: dict[int, int]

    @property
    def percent(self) -> int:
        return round(100 * len(self.completed_lessons) / self.total) if self.total else 0


def course_progress(*, creator: Creator | None, course: Course) -> CourseProgress:
    total = course.lessons.filter(status=PublishStatus.PUBLISHED).count()
    if creator is None:
        return CourseProgress(False, set(), total, None, {})
    enrollment = Enrollment.objects.filter(creator=creator, course=course).first()
    rows = LessonProgress.objects.filter(creator=creator, lesson__course=course).values_list(
        "lesson_id", "completed_at", "watch_percent"
    )
    return CourseProgress(
        enrolled=enrollment is not None,
        completed_lessons={lesson_id for lesson_id, completed, _pct in rows if completed},
        total=total,
        completed_at=enrollment.completed_at if enrollment else None,
        watch_percent={lesson_id: pct for lesson_id, _completed, pct in rows},
    )


def lesson_progress_get(*, creator: Creator | None, lesson: Lesson) -> LessonProgress | None:
    if creator is None:
        return None
    return LessonProgress.objects.filter(creator=creator, lesson=lesson).first()


@dataclass(frozen=True)
class Streak:
    weeks: int
    goal: int
    done_this_week: int

    @property
    def goal_met_this_week(self) -> bool:
        return self.done_this_week >= self.goal


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def streak_for(*, creator: Creator, now: datetime | None = None) -> Streak:
    """Weeks in a row with the weekly goal met, in the creator's time zone (weeks start Monday).

    The current week counts once its goal is met; until then it neither adds nor breaks the
    streak, so a Monday morning never shows a streak of zero.
    """
    now = now or clock.now()
    try:
        zone = zoneinfo.ZoneInfo(creator.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    goal_row = WeeklyGoal.objects.filter(creator=creator).first()
    goal = goal_row.lessons_per_week if goal_row else DEFAULT_WEEKLY_GOAL
    per_week: dict[date, int] = {}
    completions = LessonProgress.objects.filter(
        creator=creator, completed_at__isnull=False
    ).values_list("completed_at", flat=True)
    for completed_at in completions:
        if completed_at is None:
            continue
        week = _week_start(completed_at.astimezone(zone).date())
        per_week[week] = per_week.get(week, 0) + 1
    this_week = _week_start(now.astimezone(zone).date())
    done_this_week = per_week.get(this_week, 0)
    weeks = 1 if done_this_week >= goal else 0
    week = this_week - timedelta(days=7)
    while per_week.get(week, 0) >= goal:
        weeks += 1
        week -= timedelta(days=7)
    return Streak(weeks=weeks, goal=goal, done_this_week=done_this_week)


def badges_for(*, creator: Creator) -> list[BadgeAward]:
    return list(
        BadgeAward.objects.filter(creator=creator)
        .select_related("course")
        .prefetch_related("course__texts")
    )


def certificates_for(*, creator: Creator) -> list[Certificate]:
    return list(Certificate.objects.filter(creator=creator).select_related("course"))


def certificate_get(*, code: str) -> Certificate | None:
    return (
        Certificate.objects.filter(code=code)
        .select_related("course", "course__topic")
        .prefetch_related("course__texts")
        .first()
    )


def popular_courses(*, language: str, limit: int = 6) -> list[int]:
    """Course ids ordered by enrolments of creators who use ``language``."""
    rows = (
        Course.objects.filter(status=PublishStatus.PUBLISHED)
        .annotate(learners=Count("enrollments", filter=Q(enrollments__creator__language=language)))
        .order_by("-learners", "-published_at")
        .values_list("pk", flat=True)[:limit]
    )
    return list(rows)


# ---------------------------------------------------------------------------------------------
# Reads for the creator-facing pages (course page, home, achievements, certificate check)


LessonState = Literal["done", "in_progress", "not_started"]


@dataclass(frozen=True)
class LessonRow:
    item: LessonItem
    state: LessonState
    percent: int

    @property
    def minutes(self) -> int | None:
        return lesson_minutes(self.item.lesson)


def lesson_minutes(lesson: Lesson) -> int | None:
    """How long a lesson takes, in whole minutes (a video's seconds rounded up)."""
    if lesson.kind == LessonKind.VIDEO and lesson.duration_seconds:
        return -(-lesson.duration_seconds // 60)
    if lesson.kind == LessonKind.ARTICLE:
        return lesson.reading_minutes
    if lesson.kind == LessonKind.LIVE:
        return lesson.duration_minutes
    return None


@dataclass(frozen=True)
class CourseOverview:
    """A course page as one creator sees it: each lesson's state and where to go next."""

    rows: list[LessonRow]
    progress: CourseProgress
    next_lesson: LessonItem | None
    certificate_code: str | None


def course_overview(*, creator: Creator | None, detail: CourseDetail) -> CourseOverview:
    progress = course_progress(creator=creator, course=detail.card.course)
    rows = []
    for item in detail.lessons:
        lesson_id = item.lesson.pk
        state: LessonState = "not_started"
        if lesson_id in progress.completed_lessons:
            state = "done"
        elif lesson_id in progress.watch_percent:
            state = "in_progress"
        rows.append(LessonRow(item, state, progress.watch_percent.get(lesson_id, 0)))
    next_lesson = next((row.item for row in rows if row.state != "done"), None)
    code = None
    if creator is not None and progress.completed_at is not None:
        code = certificate_code_for(creator=creator, course=detail.card.course)
    return CourseOverview(rows, progress, next_lesson, code)


def certificate_code_for(*, creator: Creator, course: Course) -> str | None:
    return (
        Certificate.objects.filter(creator=creator, course=course)
        .values_list("code", flat=True)
        .first()
    )


@dataclass(frozen=True)
class LearningHome:
    continue_learning: list[NextLesson]
    new_courses: list[CourseCard]
    new_this_week: bool  # False: nothing was published in the last 7 days, these are the newest
    popular: list[CourseCard]
    streak: Streak


def learning_home(
    *, creator: Creator, language: str, now: datetime | None = None, limit: int = 4
) -> LearningHome:
    """What the home page shows a creator; one read of the published catalogue serves it all.

    Courses the creator already takes are left out of the suggestions, and a course shown as
    new is not repeated under popular.
    """
    now = now or clock.now()
    enrolled = set(Enrollment.objects.filter(creator=creator).values_list("course_id", flat=True))
    cards = [
        card for card in courses_published(language=language) if card.course.pk not in enrolled
    ]  # newest first
    week_ago = now - timedelta(days=7)
    recent = [
        card
        for card in cards
        if card.course.published_at is not None and card.course.published_at >= week_ago
    ]
    new_courses = (recent or cards)[:limit]
    shown = {card.course.pk for card in new_courses}
    by_id = {card.course.pk: card for card in cards if card.course.pk not in shown}
    popular_ids = popular_courses(
        language=creator.language, limit=limit + len(enrolled) + len(shown)
    )
    return LearningHome(
        continue_learning=continue_learning(creator=creator, language=language, limit=limit),
        new_courses=new_courses,
        new_this_week=bool(recent),
        popular=[by_id[pk] for pk in popular_ids if pk in by_id][:limit],
        streak=streak_for(creator=creator, now=now),
    )


@dataclass(frozen=True)
class EarnedBadge:
    course: Course
    course_title: str
    awarded_at: datetime


@dataclass(frozen=True)
class CertificateItem:
    code: str
    course_title: str
    issued_at: datetime


@dataclass(frozen=True)
class Achievements:
    streak: Streak
    badges: list[EarnedBadge]
    certificates: list[CertificateItem]


def _course_title(course: Course, language: str) -> str:
    text, _loc = pick_text(course.texts.all(), language=language, original=course.original_language)
    return text.title


def achievements_for(
    *, creator: Creator, language: str, now: datetime | None = None
) -> Achievements:
    badges = [
        EarnedBadge(award.course, _course_title(award.course, language), award.awarded_at)
        for award in badges_for(creator=creator)
    ]
    rows = (
        Certificate.objects.filter(creator=creator)
        .select_related("course")
        .prefetch_related("course__texts")
        .order_by("-issued_at")
    )
    certificates = [
        CertificateItem(row.code, _course_title(row.course, language), row.issued_at)
        for row in rows
    ]
    return Achievements(
        streak=streak_for(creator=creator, now=now), badges=badges, certificates=certificates
    )


@dataclass(frozen=True)
class PublicCertificate:
    """What anyone may see of a certificate: nothing about the holder beyond the printed name."""

    code: str
    holder_name: str
    course_title: str
    course_slug: str
    issued_at: datetime


def certificate_for_reader(*, code: str, language: str) -> PublicCertificate | None:
    certificate = certificate_get(code=code)
    if certificate is None:
        return None
    return PublicCertificate(
        code=certificate.code,
        holder_name=certificate.holder_name,
        course_title=_course_title(certificate.course, language),
        course_slug=certificate.course.slug,
        issued_at=certificate.issued_at,
    )
