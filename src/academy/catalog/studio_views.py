"""Studio pages. Thin: parse with forms, call catalog services and selectors, render."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from academy.accounts.models import User
from academy.accounts.selectors import creator_for_user
from academy.catalog.choices import LessonKind, TranslationStatus
from academy.catalog.markdown import render_markdown
from academy.catalog.models import Course, Lesson, WikiArticle
from academy.catalog.selectors import (
    course_preview,
    lesson_preview,
    studio_calendar,
    studio_content,
    studio_course,
    studio_languages,
    studio_lesson,
    studio_translation,
    studio_wiki,
    wiki_preview,
    wiki_revision_diff,
    wiki_revision_get,
    wiki_revisions,
    workflow_actions,
)
from academy.catalog.services import (
    Item,
    content_approve,
    content_archive,
    content_restore,
    content_send_back,
    content_submit_for_review,
    course_create,
    course_text_save,
    course_update,
    lesson_create_with_questions,
    lesson_edit,
    lesson_translation_save,
    lessons_reorder,
    translation_set_status,
    wiki_article_create,
    wiki_article_update,
    wiki_mark_reviewed,
    wiki_revision_restore,
    wiki_revision_save,
)
from academy.catalog.studio_forms import (
    LESSON_FORMS,
    ContentFilterForm,
    CourseForm,
    ReorderForm,
    RevisionPairForm,
    TranslationForm,
    TranslationStatusForm,
    WikiForm,
    WorkflowForm,
)
from academy.core import clock
from academy.core.errors import AcademyError, NotFound

studio_required = permission_required("accounts.access_studio", raise_exception=True)
DASHBOARD_PAGE_SIZE = 100
Found = TypeVar("Found")


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context.setdefault("languages", studio_languages())
    context.setdefault("zone", _editor_zone(request))
    context.setdefault("studio_section", "content")
    return render(request, f"catalog/studio/{template}", context, status=status)


def _found(read: Callable[..., Found], **kwargs: Any) -> Found:
    try:
        return read(**kwargs)
    except NotFound as error:
        raise Http404(error.detail) from error


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _editor_zone(request: HttpRequest) -> str:
    """The editor's time zone: their creator profile's, else UTC."""
    creator = creator_for_user(user=_user(request))
    name = creator.timezone if creator else "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def _language_name(code: str) -> str:
    return str(get_language_info(code)["name_translated"])


def _content_language(language: str) -> str:
    if language not in studio_languages():
        raise Http404(_("Studio has no such language."))
    return language


def _preview_language(request: HttpRequest, default: str) -> str:
    language = request.GET.get("lang", default)
    if language not in studio_languages():
        raise BadRequest(_("Unknown language."))
    return language


def _workflow_form(request: HttpRequest) -> WorkflowForm:
    return WorkflowForm(initial={"timezone": _editor_zone(request)})


def _actions(item: Course | Lesson | WikiArticle) -> list[tuple[str, str]]:
    """The workflow buttons this item's status allows, with their labels."""
    return [(action, str(WorkflowForm.ACTIONS[action])) for action in workflow_actions(item=item)]


def _when(moment: datetime, zone: str) -> str:
    local = formats.date_format(moment.astimezone(zoneinfo.ZoneInfo(zone)), "DATETIME_FORMAT")
    return f"{local} ({zone})"


def _run_workflow(
    request: HttpRequest,
    item: Item,
    *,
    success_url: str,
    on_error: Callable[[WorkflowForm, int], HttpResponse],
) -> HttpResponse:
    """Parse a workflow button, call its service, and say what happened."""
    form = WorkflowForm(request.POST)
    if not form.is_valid():
        return on_error(form, 400)
    action = form.cleaned_data["action"]
    try:
        if action == "submit":
            content_submit_for_review(item=item)
            message = _("Submitted for review.")
        elif action == "send_back":
            content_send_back(item=item)
            message = _("Sent back to draft.")
        elif action == "approve":
            content_approve(item=item)
            message = _("Approved and published.")
        elif action == "schedule":
            publish_at = form.cleaned_data["publish_at"]
            content_approve(item=item, publish_at=publish_at)
            message = _("Approved and scheduled for %(when)s.") % {
                "when": _when(publish_at, form.cleaned_data["timezone"])
            }
        elif action == "archive":
            content_archive(item=item)
            message = _("Archived: creators no longer see it.")
        else:
            content_restore(item=item)
            message = _("Restored as a draft.")
    except AcademyError as error:
        form.add_service_error(error)
        return on_error(form, error.status)
    messages.success(request, message)
    return redirect(success_url)


def _preview_resolver(language: str) -> Callable[[str, str], str | None]:
    """Internal links in a preview stay inside Studio's previews, in the same language."""

    def resolve(scheme: str, target: str) -> str | None:
        try:
            if scheme == "wiki":
                url = reverse("studio:wiki_preview", args=[target])
            else:
                course_slug, _sep, lesson_slug = target.partition("/")
                url = reverse("studio:lesson_preview", args=[course_slug, lesson_slug])
        except NoReverseMatch:
            return None
        return f"{url}?lang={language}"

    return resolve


# ---------------------------------------------------------------------------------------------
# Dashboard and calendar


@studio_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = ContentFilterForm(request.GET)
    valid = form.is_valid()
    rows = studio_content(**form.filters()) if valid else []
    query = request.GET.copy()
    query.pop("page", None)
    return _page(
        request,
        "dashboard.html",
        {
            "form": form,
            "rows": Paginator(rows, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page")),
            "total": len(rows),
            "filtered": any(form.cleaned_data.values()) if valid else True,
            "query": query.urlencode(),
        },
        status=200 if valid else 400,
    )


@studio_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    zone = _editor_zone(request)
    return _page(
        request,
        "calendar.html",
        {
            "zone": zone,
            "studio_section": "calendar",
            "calendar": studio_calendar(now=clock.now(), tz=zoneinfo.ZoneInfo(zone)),
            "matrix": studio_content(include_archived=False),
        },
    )


# ---------------------------------------------------------------------------------------------
# Courses


@studio_required
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            course = course_create(
                slug=data["slug"],
                topic=data["topic"],
                level=data["level"],
                language=data["language"],
                title=data["title"],
                summary=data["summary"],
                hashtags=form.hashtag_list(),
                regions=data["regions"],
                editorial_pick=data["editorial_pick"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Course created as a draft. Add its first lesson."))
            return redirect("studio:course", course.slug)
    return _page(request, "course_form.html", {"form": form}, status=400 if form.errors else 200)


def _item_page(
    request: HttpRequest,
    template: str,
    *,
    detail: Any,
    item: Course | Lesson | WikiArticle,
    workflow_url: str,
    workflow_form: WorkflowForm | None,
    status: int,
    **extra: Any,
) -> HttpResponse:
    """An item's Studio page: its detail, the workflow actions its status allows, and forms."""
    return _page(
        request,
        template,
        {
            "detail": detail,
            "item": item,
            "actions": _actions(item),
            "workflow_form": workflow_form or _workflow_form(request),
            "workflow_url": workflow_url,
            **extra,
        },
        status=status,
    )


def _course_page(
    request: HttpRequest,
    slug: str,
    *,
    workflow_form: WorkflowForm | None = None,
    reorder_form: ReorderForm | None = None,
    status: int = 200,
) -> HttpResponse:
    detail = _found(studio_course, slug=slug)
    return _item_page(
        request,
        "course.html",
        detail=detail,
        item=detail.course,
        workflow_url=reverse("studio:course_workflow", args=[slug]),
        workflow_form=workflow_form,
        status=status,
        reorder_form=reorder_form or ReorderForm(lessons=detail.lessons),
    )


@studio_required
@require_GET
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _course_page(request, slug)


@studio_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, slug: str) -> HttpResponse:
    detail = _found(studio_course, slug=slug)
    course = detail.course
    initial = {
        "slug": course.slug,
        "title": detail.title,
        "summary": detail.summary,
        "topic": course.topic.slug,
        "level": course.level,
        "language": course.original_language,
        "hashtags": ", ".join(detail.hashtags),
        "regions": course.regions,
        "editorial_pick": course.editorial_pick,
    }
    form = CourseForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            course_update(
                course=course,
                topic=data["topic"],
                level=data["level"],
                title=data["title"],
                summary=data["summary"],
                hashtags=form.hashtag_list(),
                regions=data["regions"],
                editorial_pick=data["editorial_pick"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Course saved."))
            return redirect("studio:course", course.slug)
    return _page(
        request,
        "course_form.html",
        {"form": form, "detail": detail},
        status=400 if form.errors else 200,
    )


@studio_required
@require_POST
def course_reorder(request: HttpRequest, slug: str) -> HttpResponse:
    detail = _found(studio_course, slug=slug)
    form = ReorderForm(request.POST, lessons=detail.lessons)
    if form.is_valid():
        try:
            lessons_reorder(course=detail.course, positions=form.positions())
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Lesson order saved."))
            return redirect("studio:course", slug)
    return _course_page(request, slug, reorder_form=form, status=400)


@studio_required
@require_POST
def course_workflow(request: HttpRequest, slug: str) -> HttpResponse:
    course = _found(studio_course, slug=slug).course
    return _run_workflow(
        request,
        course,
        success_url=reverse("studio:course", args=[slug]),
        on_error=lambda form, status: _course_page(
            request, slug, workflow_form=form, status=status
        ),
    )


@studio_required
@require_GET
def course_preview_view(request: HttpRequest, slug: str) -> HttpResponse:
    course = _found(studio_course, slug=slug).course
    language = _preview_language(request, course.original_language)
    preview = _found(course_preview, slug=slug, language=language)
    return _page(
        request,
        "preview_course.html",
        {"item": course, "preview": preview.preview, "course": preview.detail, "lang": language},
    )


# ---------------------------------------------------------------------------------------------
# Lessons


@studio_required
@require_http_methods(["GET", "POST"])
def lesson_new(request: HttpRequest, slug: str) -> HttpResponse:
    detail = _found(studio_course, slug=slug)
    kind = request.GET.get("kind", "")
    if kind not in LESSON_FORMS:
        return _page(request, "lesson_kind.html", {"detail": detail, "kinds": LessonKind.choices})
    form = LESSON_FORMS[kind](request.POST or None, initial={"timezone": _editor_zone(request)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lesson = lesson_create_with_questions(
                course=detail.course,
                slug=data["slug"],
                kind=kind,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                hashtags=form.hashtag_list(),
                questions=form.questions() or (),
                **form.details(),
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Lesson created as a draft."))
            return redirect("studio:lesson", slug, lesson.slug)
    return _page(
        request,
        "lesson_form.html",
        {"form": form, "detail": detail, "kind_label": LessonKind(kind).label},
        status=400 if form.errors else 200,
    )


def _lesson_page(
    request: HttpRequest,
    course_slug: str,
    lesson_slug: str,
    *,
    workflow_form: WorkflowForm | None = None,
    status: int = 200,
) -> HttpResponse:
    detail = _found(studio_lesson, course_slug=course_slug, lesson_slug=lesson_slug)
    return _item_page(
        request,
        "lesson.html",
        detail=detail,
        item=detail.lesson,
        workflow_url=reverse("studio:lesson_workflow", args=[course_slug, lesson_slug]),
        workflow_form=workflow_form,
        status=status,
    )


@studio_required
@require_GET
def lesson_detail(request: HttpRequest, slug: str, lesson: str) -> HttpResponse:
    return _lesson_page(request, slug, lesson)


@studio_required
@require_http_methods(["GET", "POST"])
def lesson_edit_view(request: HttpRequest, slug: str, lesson: str) -> HttpResponse:
    detail = _found(studio_lesson, course_slug=slug, lesson_slug=lesson)
    form_class = LESSON_FORMS[detail.lesson.kind]
    form = form_class(request.POST or None, initial=form_class.initial_from(detail), editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lesson_edit(
                lesson=detail.lesson,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                hashtags=form.hashtag_list(),
                questions=form.questions(),
                **form.details(),
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Lesson saved."))
            return redirect("studio:lesson", slug, lesson)
    return _page(
        request,
        "lesson_form.html",
        {
            "form": form,
            "detail": detail,
            "lesson": detail,
            "kind_label": LessonKind(detail.lesson.kind).label,
        },
        status=400 if form.errors else 200,
    )


@studio_required
@require_POST
def lesson_workflow(request: HttpRequest, slug: str, lesson: str) -> HttpResponse:
    item = _found(studio_lesson, course_slug=slug, lesson_slug=lesson).lesson
    return _run_workflow(
        request,
        item,
        success_url=reverse("studio:lesson", args=[slug, lesson]),
        on_error=lambda form, status: _lesson_page(
            request, slug, lesson, workflow_form=form, status=status
        ),
    )


@studio_required
@require_GET
def lesson_preview_view(request: HttpRequest, slug: str, lesson: str) -> HttpResponse:
    item = _found(studio_lesson, course_slug=slug, lesson_slug=lesson).lesson
    language = _preview_language(request, item.original_language)
    preview = _found(lesson_preview, course_slug=slug, lesson_slug=lesson, language=language)
    detail = preview.detail
    return _page(
        request,
        "preview_lesson.html",
        {
            "item": item,
            "preview": preview.preview,
            "lesson": detail,
            "body_html": render_markdown(detail.body, resolve=_preview_resolver(language)),
            "lang": language,
            "starts_in_zone": (
                item.starts_at.astimezone(zoneinfo.ZoneInfo(item.timezone or "UTC"))
                if item.starts_at
                else None
            ),
        },
    )


# ---------------------------------------------------------------------------------------------
# Translations (courses, lessons, wiki articles)


TranslationSaver = Callable[[TranslationForm], object]


def _translate(
    request: HttpRequest,
    *,
    item: Course | Lesson | WikiArticle,
    language: str,
    back_url: str,
    save: TranslationSaver,
    context: dict[str, Any],
    has_body: bool = True,
    has_note: bool = False,
) -> HttpResponse:
    """The side-by-side page: the original, read-only, beside the form for ``language``.

    It takes two forms: the translation itself, and (``form=status``) its status alone.
    """
    source = _found(studio_translation, item=item, language=_content_language(language))
    language_name = _language_name(language)
    posted = request.POST if request.method == "POST" else None
    status_only = posted is not None and posted.get("form") == "status"
    status_form = TranslationStatusForm(
        posted if status_only else None, initial={"status": source.status}
    )
    initial: dict[str, Any] = {"status": source.status or TranslationStatus.DRAFT}
    if source.translation:
        initial.update(
            title=source.translation.title,
            summary=source.translation.summary,
            body=source.translation.body,
        )
    form = TranslationForm(
        None if status_only else posted,
        initial=initial,
        has_body=has_body,
        body_required=isinstance(item, WikiArticle),
        has_note=has_note,
        questions=source.questions,
        language=language,
    )
    status = 200
    if status_only and status_form.is_valid():
        new_status = status_form.cleaned_data["status"]
        try:
            translation_set_status(item=item, language=language, status=new_status)
        except AcademyError as error:
            status_form.add_service_error(error)
            status = error.status
        else:
            messages.success(
                request,
                _("%(language)s version is now %(status)s.")
                % {
                    "language": language_name,
                    "status": TranslationStatus(new_status).label.lower(),
                },
            )
            return redirect(request.path)
    elif posted is not None and not status_only and form.is_valid():
        try:
            save(form)
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("%(language)s version saved.") % {"language": language_name}
            )
            return redirect(back_url)
    if form.errors or (status_form.errors and status == 200):
        status = 400
    return _page(
        request,
        "translate.html",
        {
            **context,
            "item": item,
            "source": source,
            "form": form,
            "status_form": status_form,
            "back_url": back_url,
            "language_name": language_name,
            "original_name": _language_name(source.original_language),
        },
        status=status,
    )


@studio_required
@require_http_methods(["GET", "POST"])
def course_translate(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    detail = _found(studio_course, slug=slug)

    def save(form: TranslationForm) -> object:
        data = form.cleaned_data
        return course_text_save(
            course=detail.course,
            language=language,
            title=data["title"],
            summary=data["summary"],
            status=data["status"],
        )

    return _translate(
        request,
        item=detail.course,
        language=language,
        back_url=reverse("studio:course", args=[slug]),
        save=save,
        context={"course_detail": detail},
        has_body=False,
    )


@studio_required
@require_http_methods(["GET", "POST"])
def lesson_translate(request: HttpRequest, slug: str, lesson: str, language: str) -> HttpResponse:
    detail = _found(studio_lesson, course_slug=slug, lesson_slug=lesson)

    def save(form: TranslationForm) -> object:
        data = form.cleaned_data
        return lesson_translation_save(
            lesson=detail.lesson,
            language=language,
            title=data["title"],
            summary=data["summary"],
            body=data["body"],
            status=data["status"],
            questions=form.question_inputs(),
        )

    return _translate(
        request,
        item=detail.lesson,
        language=language,
        back_url=reverse("studio:lesson", args=[slug, lesson]),
        save=save,
        context={"lesson_detail": detail},
    )


@studio_required
@require_http_methods(["GET", "POST"])
def wiki_translate(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    detail = _found(studio_wiki, slug=slug)

    def save(form: TranslationForm) -> object:
        data = form.cleaned_data
        return wiki_revision_save(
            article=detail.article,
            language=language,
            title=data["title"],
            summary=data["summary"],
            body=data["body"],
            author=_user(request),
            note=data["note"],
            status=data["status"],
        )

    return _translate(
        request,
        item=detail.article,
        language=language,
        back_url=reverse("studio:wiki", args=[slug]),
        save=save,
        context={"wiki_detail": detail},
        has_note=True,
    )


# ---------------------------------------------------------------------------------------------
# Wiki


@studio_required
@require_http_methods(["GET", "POST"])
def wiki_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = WikiForm(
        request.POST or None, initial={"language": request.LANGUAGE_CODE, "owner": user.pk}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = wiki_article_create(
                slug=data["slug"],
                category=data["category"],
                topic=data["topic"],
                language=data["language"],
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                author=user,
                owner=data["owner"],
                hashtags=form.hashtag_list(),
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Wiki article created as a draft."))
            return redirect("studio:wiki", article.slug)
    return _page(request, "wiki_form.html", {"form": form}, status=400 if form.errors else 200)


def _wiki_page(
    request: HttpRequest,
    slug: str,
    *,
    workflow_form: WorkflowForm | None = None,
    status: int = 200,
) -> HttpResponse:
    detail = _found(studio_wiki, slug=slug)
    return _item_page(
        request,
        "wiki.html",
        detail=detail,
        item=detail.article,
        workflow_url=reverse("studio:wiki_workflow", args=[slug]),
        workflow_form=workflow_form,
        status=status,
    )


@studio_required
@require_GET
def wiki_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _wiki_page(request, slug)


@studio_required
@require_http_methods(["GET", "POST"])
def wiki_edit(request: HttpRequest, slug: str) -> HttpResponse:
    detail = _found(studio_wiki, slug=slug)
    article = detail.article
    initial = {
        "slug": article.slug,
        "title": detail.title,
        "summary": detail.summary,
        "body": detail.body,
        "category": article.category,
        "topic": article.topic.slug,
        "language": article.original_language,
        "hashtags": ", ".join(detail.hashtags),
        "owner": article.owner_id,
    }
    form = WikiForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            wiki_article_update(
                article=article,
                category=data["category"],
                topic=data["topic"],
                owner=data["owner"],
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                author=_user(request),
                hashtags=form.hashtag_list(),
                note=data["note"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Wiki article saved."))
            return redirect("studio:wiki", slug)
    return _page(
        request,
        "wiki_form.html",
        {"form": form, "detail": detail},
        status=400 if form.errors else 200,
    )


@studio_required
@require_POST
def wiki_workflow(request: HttpRequest, slug: str) -> HttpResponse:
    article = _found(studio_wiki, slug=slug).article
    return _run_workflow(
        request,
        article,
        success_url=reverse("studio:wiki", args=[slug]),
        on_error=lambda form, status: _wiki_page(request, slug, workflow_form=form, status=status),
    )


@studio_required
@require_POST
def wiki_reviewed(request: HttpRequest, slug: str) -> HttpResponse:
    article = _found(studio_wiki, slug=slug).article
    wiki_mark_reviewed(article=article, on=clock.now())
    messages.success(request, _("Marked as reviewed today."))
    return redirect("studio:wiki", slug)


@studio_required
@require_GET
def wiki_preview_view(request: HttpRequest, slug: str) -> HttpResponse:
    article = _found(studio_wiki, slug=slug).article
    language = _preview_language(request, article.original_language)
    preview = _found(wiki_preview, slug=slug, language=language)
    return _page(
        request,
        "preview_wiki.html",
        {
            "item": article,
            "preview": preview.preview,
            "wiki": preview.detail,
            "body_html": render_markdown(preview.detail.body, resolve=_preview_resolver(language)),
            "lang": language,
        },
    )


def _wiki_history_page(
    request: HttpRequest, slug: str, language: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    detail = _found(studio_wiki, slug=slug)
    revisions = _found(wiki_revisions, article=detail.article, language=_content_language(language))
    return _page(
        request,
        "wiki_history.html",
        {
            "detail": detail,
            "item": detail.article,
            "revisions": revisions,
            "current": detail.revisions.get(language),
            "language": language,
            "language_name": _language_name(language),
            "error": error,
            "compare": RevisionPairForm(
                initial={
                    "old": revisions[1].number if len(revisions) > 1 else revisions[0].number,
                    "new": revisions[0].number,
                }
            ),
        },
        status=status,
    )


@studio_required
@require_GET
def wiki_history(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    return _wiki_history_page(request, slug, language)


@studio_required
@require_GET
def wiki_revision(request: HttpRequest, slug: str, language: str, number: int) -> HttpResponse:
    detail = _found(studio_wiki, slug=slug)
    revision = _found(
        wiki_revision_get,
        article=detail.article,
        language=_content_language(language),
        number=number,
    )
    return _page(
        request,
        "wiki_revision.html",
        {
            "detail": detail,
            "item": detail.article,
            "revision": revision,
            "is_current": detail.revisions.get(language) == number,
            "language": language,
            "language_name": _language_name(language),
        },
    )


@studio_required
@require_GET
def wiki_diff(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    detail = _found(studio_wiki, slug=slug)
    form = RevisionPairForm(request.GET)
    if not form.is_valid():
        raise BadRequest(_("Choose two revisions to compare."))
    diff = _found(
        wiki_revision_diff,
        article=detail.article,
        language=_content_language(language),
        old_number=form.cleaned_data["old"],
        new_number=form.cleaned_data["new"],
    )
    return _page(
        request,
        "wiki_diff.html",
        {
            "detail": detail,
            "item": detail.article,
            "diff": diff,
            "current": detail.revisions.get(language),
            "language": language,
            "language_name": _language_name(language),
        },
    )


@studio_required
@require_POST
def wiki_restore(request: HttpRequest, slug: str, language: str, number: int) -> HttpResponse:
    detail = _found(studio_wiki, slug=slug)
    revision = _found(
        wiki_revision_get,
        article=detail.article,
        language=_content_language(language),
        number=number,
    )
    try:
        restored = wiki_revision_restore(revision=revision, author=_user(request))
    except AcademyError as error:
        return _wiki_history_page(request, slug, language, error=error.detail, status=error.status)
    messages.success(
        request,
        _("Revision %(old)d restored as revision %(new)d.")
        % {"old": number, "new": restored.number},
    )
    return redirect("studio:wiki_history", slug, language)
