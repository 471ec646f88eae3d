"""JSON API of learning: enrol, progress, complete, quiz, summary.

The web app calls it as the signed-in creator. A host app that embeds lessons calls it with a
key holding `learning:write` and names the creator with `?creator=<external id>`.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from academy.accounts.acting import acting_creator
from academy.accounts.choices import ApiScope
from academy.accounts.models import Creator
from academy.accounts.schemas import ExternalId
from academy.catalog.models import Course, Lesson
from academy.catalog.selectors import lesson_for_reader
from academy.core.errors import NotFound, ValidationFailed
from academy.core.schemas import PROBLEM_RESPONSES
from academy.learning.schemas import (
    BadgeOut,
    CertificateOut,
    EnrollmentOut,
    LearningSummaryOut,
    NextLessonOut,
    ProgressIn,
    ProgressOut,
    QuestionFeedbackOut,
    QuizIn,
    QuizResultOut,
    StreakOut,
    WeeklyGoalIn,
)
from academy.learning.selectors import (
    badges_for,
    certificates_for,
    continue_learning,
    streak_for,
)
from academy.learning.services import (
    ProgressResult,
    enrollment_ensure,
    lesson_complete,
    lesson_progress_record,
    quiz_submit,
    weekly_goal_set,
)

router = Router(tags=["learning"])


class LearnerParam(Schema):
    creator: ExternalId | None = None


def learner(request: HttpRequest, creator_id: str | None) -> Creator:
    """The creator this call acts for: the signed-in creator, or `?creator=` for a host app."""
    return acting_creator(
        request,
        creator_id,
        scope=ApiScope.LEARNING_WRITE,
        not_a_creator=_("Only creators have learning progress."),
    )


def _lesson(lesson_id: int) -> Lesson:
    lesson = Lesson.objects.select_related("course").filter(pk=lesson_id).first()
    if lesson is None:
        raise NotFound(_("No lesson has the id %(id)s.") % {"id": lesson_id})
    return lesson


def _progress_out(lesson: Lesson, result: ProgressResult) -> ProgressOut:
    return ProgressOut(
        lesson_id=lesson.pk,
        watch_percent=result.progress.watch_percent,
        position_seconds=result.progress.position_seconds,
        completed=result.progress.completed_at is not None,
        course_completed=result.course_completed,
    )


@router.post(
    "/courses/{slug}/enrollment",
    response={200: EnrollmentOut, **PROBLEM_RESPONSES},
    operation_id="course_enroll",
    summary="Enrol in a published course (idempotent)",
)
def course_enroll(request: HttpRequest, slug: str, params: Query[LearnerParam]) -> EnrollmentOut:
    creator = learner(request, params.creator)
    course = get_object_or_404(Course, slug=slug)
    enrollment = enrollment_ensure(creator=creator, course=course)
    return EnrollmentOut(
        course_slug=course.slug,
        enrolled_at=enrollment.enrolled_at,
        completed_at=enrollment.completed_at,
    )


@router.post(
    "/lessons/{lesson_id}/progress",
    response={200: ProgressOut, **PROBLEM_RESPONSES},
    operation_id="lesson_progress",
    summary="Record playback position (video) or share read (article); 90% completes it",
)
def lesson_progress(
    request: HttpRequest, lesson_id: int, payload: ProgressIn, params: Query[LearnerParam]
) -> ProgressOut:
    creator = learner(request, params.creator)
    if (payload.position_seconds is None) == (payload.percent is None):
        raise ValidationFailed(
            _("Send either position_seconds (video) or percent (article)."),
            errors={"position_seconds": _("Exactly one of position_seconds and percent.")},
        )
    lesson = _lesson(lesson_id)
    result = lesson_progress_record(
        creator=creator,
        lesson=lesson,
        position_seconds=payload.position_seconds,
        percent=payload.percent,
    )
    return _progress_out(lesson, result)


@router.post(
    "/lessons/{lesson_id}/completion",
    response={200: ProgressOut, **PROBLEM_RESPONSES},
    operation_id="lesson_complete",
    summary="Mark a video, article or live lesson as done (quizzes complete by passing)",
)
def lesson_complete_endpoint(
    request: HttpRequest, lesson_id: int, params: Query[LearnerParam]
) -> ProgressOut:
    creator = learner(request, params.creator)
    lesson = _lesson(lesson_id)
    return _progress_out(lesson, lesson_complete(creator=creator, lesson=lesson))


@router.post(
    "/lessons/{lesson_id}/quiz-attempts",
    response={200: QuizResultOut, **PROBLEM_RESPONSES},
    operation_id="quiz_submit",
    summary="Submit quiz answers: score, pass or not, and every question's explanation",
)
def quiz_submit_endpoint(
    request: HttpRequest, lesson_id: int, payload: QuizIn, params: Query[LearnerParam]
) -> QuizResultOut:
    creator = learner(request, params.creator)
    lesson = _lesson(lesson_id)
    result = quiz_submit(creator=creator, lesson=lesson, answers=payload.answers)
    detail = lesson_for_reader(
        course_slug=lesson.course.slug, lesson_slug=lesson.slug, language=creator.language
    )
    explanations = {question.position: question.explanation for question in detail.questions}
    return QuizResultOut(
        score=result.attempt.score,
        correct_count=result.attempt.correct_count,
        question_count=result.attempt.question_count,
        passed=result.attempt.passed,
        pass_mark=lesson.pass_mark,
        feedback=[
            QuestionFeedbackOut(
                position=item.position,
                chosen=item.chosen,
                correct=item.correct,
                is_correct=item.is_correct,
                explanation=explanations.get(item.position, ""),
            )
            for item in result.feedback
        ],
        lesson_completed=result.lesson_completed,
        course_completed=result.course_completed,
    )


@router.get(
    "/me/learning",
    response={200: LearningSummaryOut, **PROBLEM_RESPONSES},
    operation_id="learning_summary",
    summary="Continue learning, streak, badges and certificates of a creator",
)
def learning_summary(request: HttpRequest, params: Query[LearnerParam]) -> LearningSummaryOut:
    creator = learner(request, params.creator)
    streak = streak_for(creator=creator)
    return LearningSummaryOut(
        continue_learning=[
            NextLessonOut(
                course_slug=item.course.slug,
                course_title=item.course_title,
                lesson_id=item.lesson.pk,
                lesson_slug=item.lesson.slug,
                lesson_title=item.lesson_title,
                completed=item.completed,
                total=item.total,
            )
            for item in continue_learning(creator=creator, language=creator.language)
        ],
        streak=StreakOut(
            weeks=streak.weeks, goal=streak.goal, done_this_week=streak.done_this_week
        ),
        badges=[
            BadgeOut(course_slug=badge.course.slug, awarded_at=badge.awarded_at)
            for badge in badges_for(creator=creator)
        ],
        certificates=[
            CertificateOut(
                course_slug=certificate.course.slug,
                code=certificate.code,
                issued_at=certificate.issued_at,
                url=request.build_absolute_uri(
                    reverse("learning:certificate", kwargs={"code": certificate.code})
                ),
            )
            for certificate in certificates_for(creator=creator)
        ],
    )


@router.put(
    "/me/weekly-goal",
    response={200: StreakOut, **PROBLEM_RESPONSES},
    operation_id="weekly_goal_set",
    summary="Set how many lessons a week count toward the streak",
)
def weekly_goal_put(
    request: HttpRequest, payload: WeeklyGoalIn, params: Query[LearnerParam]
) -> StreakOut:
    creator = learner(request, params.creator)
    weekly_goal_set(creator=creator, lessons_per_week=payload.lessons_per_week)
    streak = streak_for(creator=creator)
    return StreakOut(weeks=streak.weeks, goal=streak.goal, done_this_week=streak.done_this_week)
