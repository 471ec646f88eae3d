"""Creator-facing catalog pages: the course catalogue, a course, the lesson player, the wiki.

Anyone may read; a signed-in creator's visits and progress are recorded by learning services.
The learning app's quiz view draws the lesson page again through `lesson_page`, so a quiz
answered without JavaScript comes back as the same page with its results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from academy.accounts.models import Creator, User
from academy.accounts.selectors import creator_for_user
from academy.catalog.choices import LessonKind, Level, WikiCategory
from academy.catalog.markdown import render_markdown
from academy.catalog.models import Topic
from academy.catalog.selectors import (
    LessonDetail,
    WikiCard,
    course_for_reader,
    courses_published,
    lesson_for_reader,
    topics,
    wiki_article_for_reader,
    wiki_published,
)
from academy.core import clock
from academy.core.errors import AcademyError, Gone
from academy.learning.forms import QuizForm, quiz_blocks
from academy.learning.models import LessonProgress
from academy.learning.selectors import course_overview, lesson_minutes
from academy.learning.services import QuizResult, lesson_start

SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def reader_language(request: HttpRequest) -> str:
    return str(getattr(request, "LANGUAGE_CODE", "en"))


def reader_creator(request: HttpRequest) -> Creator | None:
    """The signed-in creator, whose progress is recorded; None for visitors and staff."""
    user = request.user
    return creator_for_user(user=user) if isinstance(user, User) else None


def reader_error(request: HttpRequest, error: AcademyError) -> HttpResponse:
    """Retired content explains itself (410); anything else is the site's error page."""
    if isinstance(error, Gone):
        return render(request, "catalog/reader/retired.html", {"message": error.detail}, status=410)
    return render(
        request,
        "web/error.html",
        {"status": error.status, "message": error.detail},
        status=error.status,
    )


def resolve_internal_link(scheme: str, target: str) -> str | None:
    """`wiki:slug` and `lesson:course/lesson` in Markdown become the pages' addresses."""
    try:
        if scheme == "wiki" and SLUG.fullmatch(target):
            return reverse("catalog:wiki_article", kwargs={"slug": target})
        course_slug, _sep, lesson_slug = target.partition("/")
        if scheme == "lesson" and SLUG.fullmatch(course_slug) and SLUG.fullmatch(lesson_slug):
            return reverse(
                "catalog:lesson", kwargs={"course_slug": course_slug, "lesson_slug": lesson_slug}
            )
    except NoReverseMatch:
        return None
    return None


# ---------------------------------------------------------------------------------------------
# The course catalogue


class CourseFilterForm(forms.Form):
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False)

    def __init__(self, *args: Any, topic_rows: QuerySet[Topic], language: str, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic"]
        level_field = self.fields["level"]
        assert isinstance(topic_field, forms.ChoiceField)
        assert isinstance(level_field, forms.ChoiceField)
        topic_field.choices = [("", _("All topics"))] + [
            (topic.slug, topic.name_in(language)) for topic in topic_rows
        ]
        level_field.choices = [("", _("All levels")), *Level.choices]


@require_GET
def courses(request: HttpRequest) -> HttpResponse:
    language = reader_language(request)
    form = CourseFilterForm(request.GET or None, topic_rows=topics(), language=language)
    if form.is_bound and not form.is_valid():
        return render(
            request, "catalog/reader/courses.html", {"form": form, "cards": []}, status=400
        )
    filters = form.cleaned_data if form.is_bound else {}
    cards = courses_published(
        language=language, topic=filters.get("topic") or None, level=filters.get("level") or None
    )
    context = {
        "form": form,
        # Related courses side by side: in the taxonomy's order, then by title.
        "cards": sorted(cards, key=lambda card: (card.course.topic.position, card.title)),
        "filtered": bool(filters.get("topic") or filters.get("level")),
    }
    return render(request, "catalog/reader/courses.html", context)


@require_GET
def course(request: HttpRequest, course_slug: str) -> HttpResponse:
    creator = reader_creator(request)
    try:
        detail = course_for_reader(slug=course_slug, language=reader_language(request))
    except AcademyError as error:
        return reader_error(request, error)
    overview = course_overview(creator=creator, detail=detail)
    context = {"detail": detail, "overview": overview, "creator": creator}
    return render(request, "catalog/reader/course.html", context)


# ---------------------------------------------------------------------------------------------
# The lesson player


def _lesson_url(course_slug: str, lesson_slug: str | None) -> str | None:
    if lesson_slug is None:
        return None
    return reverse(
        "catalog:lesson", kwargs={"course_slug": course_slug, "lesson_slug": lesson_slug}
    )


def lesson_page(
    request: HttpRequest,
    *,
    detail: LessonDetail,
    creator: Creator | None,
    progress: LessonProgress | None,
    quiz_form: QuizForm | None = None,
    quiz_result: QuizResult | None = None,
    certificate_code: str | None = None,
    status: int = 200,
    template: str = "catalog/reader/lesson.html",
) -> HttpResponse:
    """The lesson player (or, with ``template``, the quiz part of it for htmx)."""
    lesson = detail.lesson
    course_slug = lesson.course.slug
    context: dict[str, Any] = {
        "detail": detail,
        "lesson": lesson,
        "creator": creator,
        "progress": progress,
        "done": progress is not None and progress.completed_at is not None,
        "body_html": render_markdown(detail.body, resolve=resolve_internal_link),
        "course_url": reverse("catalog:course", kwargs={"course_slug": course_slug}),
        "previous_url": _lesson_url(course_slug, detail.previous_slug),
        "next_url": _lesson_url(course_slug, detail.next_slug),
        "viewer_timezone": creator.timezone if creator else None,
        "minutes": lesson_minutes(lesson),
        # The API the player reports to; only a creator's progress is recorded.
        "progress_url": (
            f"/api/v1/lessons/{lesson.pk}/progress"
            if creator is not None and lesson.kind in {LessonKind.VIDEO, LessonKind.ARTICLE}
            else None
        ),
    }
    if lesson.kind == LessonKind.QUIZ:
        form = quiz_form or QuizForm(questions=detail.questions)
        context.update(
            quiz_form=form,
            quiz_blocks=quiz_blocks(form, quiz_result),
            quiz_result=quiz_result,
            certificate_code=certificate_code,
        )
    if lesson.kind == LessonKind.LIVE and lesson.starts_at is not None:
        ends_at = lesson.starts_at + timedelta(minutes=lesson.duration_minutes or 60)
        context["live_upcoming"] = clock.now() < ends_at
    return render(request, template, context, status=status)


@require_GET
def lesson(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    creator = reader_creator(request)
    try:
        detail = lesson_for_reader(
            course_slug=course_slug, lesson_slug=lesson_slug, language=reader_language(request)
        )
        progress = (
            lesson_start(creator=creator, lesson=detail.lesson) if creator is not None else None
        )
    except AcademyError as error:
        return reader_error(request, error)
    return lesson_page(request, detail=detail, creator=creator, progress=progress)


# ---------------------------------------------------------------------------------------------
# The Creator Wiki


@dataclass(frozen=True)
class CategoryGroup:
    slug: str
    name: str
    cards: list[WikiCard]


@require_GET
def wiki(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category") or None
    if category is not None and category not in WikiCategory.values:
        return render(
            request,
            "web/error.html",
            {"status": 400, "message": _("There is no such wiki category.")},
            status=400,
        )
    cards = wiki_published(language=reader_language(request), category=category)
    groups = [
        CategoryGroup(
            str(value), str(label), [card for card in cards if card.article.category == value]
        )
        for value, label in WikiCategory.choices
    ]
    context = {
        "groups": [group for group in groups if group.cards],
        "categories": WikiCategory.choices,
        "current_category": category,
        "article_count": len(cards),
    }
    return render(request, "catalog/reader/wiki.html", context)


@require_GET
def wiki_article(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        detail = wiki_article_for_reader(slug=slug, language=reader_language(request))
    except AcademyError as error:
        return reader_error(request, error)
    context = {
        "detail": detail,
        "article": detail.card.article,
        "body_html": render_markdown(detail.body, resolve=resolve_internal_link),
    }
    return render(request, "catalog/reader/wiki_article.html", context)
