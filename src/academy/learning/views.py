"""Creator-facing learning pages: enrol, mark done, answer a quiz, achievements, certificates.

Each view parses the request, calls one learning service or selector and answers with a page (or
the quiz part of the lesson page for htmx).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from academy.accounts.models import Creator
from academy.catalog.choices import LessonKind
from academy.catalog.selectors import course_for_reader, lesson_for_reader
from academy.catalog.views import lesson_page, reader_creator, reader_error, reader_language
from academy.core.errors import AcademyError, NotFound, ValidationFailed
from academy.learning.forms import QuizForm, WeeklyGoalForm
from academy.learning.selectors import (
    achievements_for,
    certificate_code_for,
    certificate_for_reader,
    lesson_progress_get,
)
from academy.learning.services import (
    enrollment_ensure,
    lesson_complete,
    quiz_submit,
    weekly_goal_set,
)


def _creators_only(request: HttpRequest) -> HttpResponse:
    message = _("Learning progress is kept for creator accounts only.")
    return render(request, "web/error.html", {"status": 403, "message": message}, status=403)


def _signed_in_creator(request: HttpRequest, come_back_to: str) -> Creator | HttpResponse:
    """The creator making the request, or the response that sends anyone else on their way."""
    if not request.user.is_authenticated:
        return redirect_to_login(come_back_to)
    creator = reader_creator(request)
    return creator if creator is not None else _creators_only(request)


def _lesson_url(course_slug: str, lesson_slug: str) -> str:
    return reverse(
        "catalog:lesson", kwargs={"course_slug": course_slug, "lesson_slug": lesson_slug}
    )


@require_POST
def enrol(request: HttpRequest, course_slug: str) -> HttpResponse:
    course_url = reverse("catalog:course", kwargs={"course_slug": course_slug})
    creator = _signed_in_creator(request, course_url)
    if isinstance(creator, HttpResponse):
        return creator
    try:
        detail = course_for_reader(slug=course_slug, language=reader_language(request))
        enrollment_ensure(creator=creator, course=detail.card.course)
    except AcademyError as error:
        return reader_error(request, error)
    messages.success(
        request,
        _("You are enrolled in “%(course)s”. Start with the first lesson.")
        % {"course": detail.card.title},
    )
    return redirect(course_url)


@require_POST
def lesson_done(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson_url = _lesson_url(course_slug, lesson_slug)
    creator = _signed_in_creator(request, lesson_url)
    if isinstance(creator, HttpResponse):
        return creator
    try:
        detail = lesson_for_reader(
            course_slug=course_slug, lesson_slug=lesson_slug, language=reader_language(request)
        )
        result = lesson_complete(creator=creator, lesson=detail.lesson)
    except ValidationFailed as error:
        messages.error(request, error.detail)
        return redirect(lesson_url)
    except AcademyError as error:
        return reader_error(request, error)
    if result.course_completed:
        messages.success(
            request,
            _("You completed “%(course)s” and earned its badge!") % {"course": detail.course_title},
        )
        return redirect("catalog:course", course_slug=course_slug)
    messages.success(request, _("Lesson marked as done."))
    return redirect(lesson_url)


@require_POST
def quiz(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Score an attempt; htmx gets the quiz part back, a plain form post the whole lesson."""
    creator = _signed_in_creator(request, _lesson_url(course_slug, lesson_slug))
    if isinstance(creator, HttpResponse):
        return creator
    try:
        detail = lesson_for_reader(
            course_slug=course_slug, lesson_slug=lesson_slug, language=reader_language(request)
        )
        if detail.lesson.kind != LessonKind.QUIZ:
            raise NotFound(_("This lesson has no quiz."))
    except AcademyError as error:
        return reader_error(request, error)
    form = QuizForm(request.POST, questions=detail.questions)
    result = None
    if form.is_valid():
        try:
            result = quiz_submit(creator=creator, lesson=detail.lesson, answers=form.answers())
        except AcademyError as error:
            form.add_service_error(error)
    code = (
        certificate_code_for(creator=creator, course=detail.lesson.course)
        if result is not None and result.course_completed
        else None
    )
    return lesson_page(
        request,
        detail=detail,
        creator=creator,
        progress=lesson_progress_get(creator=creator, lesson=detail.lesson),
        quiz_form=form,
        quiz_result=result,
        certificate_code=code,
        status=400 if form.errors else 200,
        template="learning/_quiz.html" if request.htmx else "catalog/reader/lesson.html",  # type: ignore[attr-defined]
    )


@require_http_methods(["GET", "POST"])
def achievements(request: HttpRequest) -> HttpResponse:
    creator = _signed_in_creator(request, reverse("learning:achievements"))
    if isinstance(creator, HttpResponse):
        return creator
    summary = achievements_for(creator=creator, language=reader_language(request))
    form = WeeklyGoalForm(request.POST or None, initial={"lessons_per_week": summary.streak.goal})
    if request.method == "POST" and form.is_valid():
        try:
            goal = weekly_goal_set(
                creator=creator, lessons_per_week=form.cleaned_data["lessons_per_week"]
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Your weekly goal is now %(count)d lessons.") % {"count": goal.lessons_per_week},
            )
            return redirect("learning:achievements")
    return render(
        request,
        "learning/achievements.html",
        {"summary": summary, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding the address can check a certificate is genuine."""
    found = certificate_for_reader(code=code, language=reader_language(request))
    if found is None:
        message = _(
            "No certificate has this code. Check that the address is complete and exactly as "
            "it was shared."
        )
        return render(request, "web/error.html", {"status": 404, "message": message}, status=404)
    return render(request, "learning/certificate.html", {"certificate": found})
