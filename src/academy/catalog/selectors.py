"""Reads of the catalog, in the reader's language with a visible fallback to the original."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from academy.accounts.models import User
from academy.catalog.choices import LessonKind, PublishStatus, TranslationStatus, WikiCategory
from academy.catalog.models import (
    Course,
    CourseText,
    Lesson,
    LessonText,
    QuizQuestion,
    Topic,
    WikiArticle,
    WikiRevision,
    WikiText,
)
from academy.core.errors import Gone, NotFound


class _Text(Protocol):
    language: str
    status: str


TextT = TypeVar("TextT", bound=_Text)


@dataclass(frozen=True)
class Localised:
    """Which language version a reader gets; ``is_fallback`` means theirs is not available."""

    language: str
    is_fallback: bool


def pick_text(texts: Iterable[TextT], *, language: str, original: str) -> tuple[TextT, Localised]:
    """The published version in ``language``, else the original (flagged as a fallback)."""
    by_language = {text.language: text for text in texts}
    wanted = by_language.get(language)
    if wanted is not None and wanted.status == TranslationStatus.PUBLISHED:
        return wanted, Localised(language, is_fallback=False)
    fallback = by_language.get(original)
    if fallback is None:
        raise NotFound(_("This content has no text yet."))
    return fallback, Localised(original, is_fallback=language != original)


# Readers get a 404 for what is not out yet (its address gives nothing away) and a 410 for what
# was retired, so an old link explains itself.
NOT_YET_PUBLISHED = frozenset(
    {PublishStatus.DRAFT, PublishStatus.IN_REVIEW, PublishStatus.SCHEDULED}
)


def topics() -> QuerySet[Topic]:
    return Topic.objects.all()


def _published_courses() -> QuerySet[Course]:
    return Course.objects.filter(status=PublishStatus.PUBLISHED).select_related("topic")


def _with_texts(queryset: QuerySet[Course], *, lesson_texts: bool = False) -> QuerySet[Course]:
    lessons = Lesson.objects.filter(status=PublishStatus.PUBLISHED).order_by("position")
    if lesson_texts:
        lessons = lessons.prefetch_related("texts")
    return queryset.prefetch_related(
        "texts",
        "hashtags",
        Prefetch("lessons", queryset=lessons, to_attr="published_lessons"),
    )


@dataclass(frozen=True)
class CourseCard:
    course: Course
    title: str
    summary: str
    topic_name: str
    lesson_count: int
    localised: Localised


def _card(course: Course, language: str) -> CourseCard:
    text, localised = pick_text(
        course.texts.all(), language=language, original=course.original_language
    )
    return CourseCard(
        course=course,
        title=text.title,
        summary=text.summary,
        topic_name=course.topic.name_in(language),
        lesson_count=len(getattr(course, "published_lessons", [])),
        localised=localised,
    )


def courses_published(
    *,
    language: str,
    topic: str | None = None,
    level: str | None = None,
    published_since: datetime | None = None,
) -> list[CourseCard]:
    """Published courses as cards in ``language``; a fixed number of queries however many."""
    queryset = _published_courses()
    if topic:
        queryset = queryset.filter(topic__slug=topic)
    if level:
        queryset = queryset.filter(level=level)
    if published_since:
        queryset = queryset.filter(published_at__gte=published_since)
    return [
        _card(course, language)
        for course in _with_texts(queryset.order_by("-published_at", "slug"))
    ]


@dataclass(frozen=True)
class LessonItem:
    lesson: Lesson
    title: str
    summary: str
    localised: Localised


@dataclass(frozen=True)
class CourseDetail:
    card: CourseCard
    lessons: list[LessonItem]


def course_for_reader(*, slug: str, language: str) -> CourseDetail:
    """A published course; archived ones raise Gone so old links explain themselves."""
    course = _with_texts(
        Course.objects.filter(slug=slug).select_related("topic"), lesson_texts=True
    ).first()
    if course is None or course.status in NOT_YET_PUBLISHED:
        raise NotFound(_("There is no course at this address."))
    if course.status == PublishStatus.ARCHIVED:
        raise Gone(_("This course has been retired. Explore the current courses instead."))
    lessons = []
    for lesson in course.published_lessons:  # type: ignore[attr-defined]
        text, localised = pick_text(
            lesson.texts.all(), language=language, original=lesson.original_language
        )
        lessons.append(LessonItem(lesson, text.title, text.summary, localised))
    return CourseDetail(card=_card(course, language), lessons=lessons)


@dataclass(frozen=True)
class QuestionView:
    position: int
    prompt: str
    choices: list[str]
    explanation: str
    correct: list[int]
    multiple: bool


@dataclass(frozen=True)
class LessonDetail:
    lesson: Lesson
    course_title: str
    title: str
    summary: str
    body: str
    localised: Localised
    questions: list[QuestionView]
    previous_slug: str | None
    next_slug: str | None


def lesson_for_reader(*, course_slug: str, lesson_slug: str, language: str) -> LessonDetail:
    lesson = (
        Lesson.objects.filter(course__slug=course_slug, slug=lesson_slug)
        .select_related("course")
        .prefetch_related("texts", "course__texts")
        .first()
    )
    if lesson is None or lesson.status in NOT_YET_PUBLISHED:
        raise NotFound(_("There is no lesson at this address."))
    if lesson.status == PublishStatus.ARCHIVED or lesson.course.status == PublishStatus.ARCHIVED:
        raise Gone(_("This lesson has been retired. Its course page lists the current lessons."))
    if lesson.course.status != PublishStatus.PUBLISHED:
        raise NotFound(_("There is no lesson at this address."))
    text, localised = pick_text(
        lesson.texts.all(), language=language, original=lesson.original_language
    )
    course_text, _loc = pick_text(
        lesson.course.texts.all(), language=language, original=lesson.course.original_language
    )
    questions = _questions(lesson, localised.language) if lesson.kind == "quiz" else []
    siblings = list(
        Lesson.objects.filter(course=lesson.course, status=PublishStatus.PUBLISHED)
        .order_by("position")
        .values_list("slug", flat=True)
    )
    index = siblings.index(lesson.slug)
    return LessonDetail(
        lesson=lesson,
        course_title=course_text.title,
        title=text.title,
        summary=text.summary,
        body=text.body,
        localised=localised,
        questions=questions,
        previous_slug=siblings[index - 1] if index > 0 else None,
        next_slug=siblings[index + 1] if index + 1 < len(siblings) else None,
    )


def _questions(lesson: Lesson, language: str) -> list[QuestionView]:
    views = []
    rows: QuerySet[QuizQuestion] = lesson.questions.prefetch_related("texts").order_by("position")
    for question in rows:
        texts = {text.language: text for text in question.texts.all()}
        text = texts.get(language) or texts[lesson.original_language]
        views.append(
            QuestionView(
                position=question.position,
                prompt=text.prompt,
                choices=list(text.choices),
                explanation=text.explanation,
                correct=list(question.correct),
                multiple=len(question.correct) > 1,
            )
        )
    return views


@dataclass(frozen=True)
class WikiCard:
    article: WikiArticle
    title: str
    summary: str
    localised: Localised


def _wiki_texts() -> Any:
    return Prefetch("texts", queryset=WikiText.objects.select_related("current"))


def wiki_published(*, language: str, category: str | None = None) -> list[WikiCard]:
    queryset = (
        WikiArticle.objects.filter(status=PublishStatus.PUBLISHED)
        .select_related("topic")
        .prefetch_related(_wiki_texts())
    )
    if category:
        queryset = queryset.filter(category=category)
    cards = []
    for article in queryset.order_by("slug"):
        text, localised = pick_text(
            article.texts.all(), language=language, original=article.original_language
        )
        cards.append(WikiCard(article, text.current.title, text.current.summary, localised))
    return sorted(cards, key=lambda card: card.title.casefold())


@dataclass(frozen=True)
class WikiDetail:
    card: WikiCard
    body: str
    revision_number: int
    updated_at: datetime


def wiki_article_for_reader(*, slug: str, language: str) -> WikiDetail:
    article = (
        WikiArticle.objects.filter(slug=slug)
        .prefetch_related(_wiki_texts())
        .select_related("owner")
        .first()
    )
    if article is None or article.status in NOT_YET_PUBLISHED:
        raise NotFound(_("There is no wiki article at this address."))
    if article.status == PublishStatus.ARCHIVED:
        raise Gone(_("This article has been retired. Browse the wiki for current guidance."))
    text, localised = pick_text(
        article.texts.all(), language=language, original=article.original_language
    )
    revision = text.current
    return WikiDetail(
        card=WikiCard(article, revision.title, revision.summary, localised),
        body=revision.body,
        revision_number=revision.number,
        updated_at=revision.created_at,
    )


def course_texts_by_language(*, course: Course) -> dict[str, CourseText]:
    return {text.language: text for text in course.texts.all()}


def lesson_texts_by_language(*, lesson: Lesson) -> dict[str, LessonText]:
    return {text.language: text for text in lesson.texts.all()}


# ---------------------------------------------------------------------------------------------
# Studio: what editors read — every status, every language


def studio_languages() -> list[str]:
    """The content languages, in the order Studio shows them (the UI languages)."""
    return [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class LanguageState:
    """One language version of an item: its translation status, or None when missing."""

    language: str
    status: str | None
    is_original: bool

    @property
    def status_label(self) -> str:
        return str(TranslationStatus(self.status).label) if self.status else _("missing")


def _language_states(texts: Iterable[_Text], *, original: str) -> list[LanguageState]:
    by_language = {text.language: text.status for text in texts}
    return [
        LanguageState(code, by_language.get(code), code == original) for code in studio_languages()
    ]


def _title_in(texts: Iterable[Any], language: str) -> str:
    for text in texts:
        if text.language == language:
            return str(text.current.title if isinstance(text, WikiText) else text.title)
    return ""


@dataclass(frozen=True)
class StudioRow:
    """A line of the Studio's content table."""

    type: str  # "course", "lesson" or "wiki"
    item: Course | Lesson | WikiArticle
    title: str
    kind: str
    course_title: str
    topic_name: str
    languages: list[LanguageState]
    updated_at: datetime


def _studio_row(item: Course | Lesson | WikiArticle) -> StudioRow:
    """The item's row: its texts (and a lesson's course texts) must be prefetched."""
    texts: list[CourseText] | list[LessonText] | list[WikiText]
    course_title = ""
    if isinstance(item, Course):
        row_type, kind, topic = "course", _("Course"), item.topic
        texts = list(item.texts.all())
        edits = [text.updated_at for text in texts]
    elif isinstance(item, Lesson):
        row_type, kind, topic = "lesson", str(LessonKind(item.kind).label), item.course.topic
        texts = list(item.texts.all())
        edits = [text.updated_at for text in texts]
        course_title = _title_in(item.course.texts.all(), item.course.original_language)
    else:
        row_type, topic = "wiki", item.topic
        kind = _("Wiki: %(category)s") % {"category": WikiCategory(item.category).label}
        texts = list(item.texts.all())
        edits = [text.current.created_at for text in texts]
    return StudioRow(
        type=row_type,
        item=item,
        title=_title_in(texts, item.original_language),
        kind=kind,
        course_title=course_title,
        topic_name=topic.name_in(get_language() or "en"),
        languages=_language_states(texts, original=item.original_language),
        updated_at=max([item.updated_at, *edits]),
    )


STUDIO_TYPES = ("course", "lesson", "wiki")


def studio_content(
    *,
    status: str | None = None,
    item_type: str | None = None,
    language: str | None = None,
    topic: str | None = None,
    include_archived: bool = True,
) -> list[StudioRow]:
    """Courses each followed by their lessons, then wiki articles; a fixed number of queries."""
    courses = Course.objects.select_related("topic").prefetch_related("texts").order_by("slug")
    lessons = (
        Lesson.objects.select_related("course__topic")
        .prefetch_related("texts", "course__texts")
        .order_by("course__slug", "position", "pk")
    )
    articles = (
        WikiArticle.objects.select_related("topic").prefetch_related(_wiki_texts()).order_by("slug")
    )
    if status:
        courses, lessons = courses.filter(status=status), lessons.filter(status=status)
        articles = articles.filter(status=status)
    if not include_archived:
        courses = courses.exclude(status=PublishStatus.ARCHIVED)
        lessons = lessons.exclude(status=PublishStatus.ARCHIVED)
        articles = articles.exclude(status=PublishStatus.ARCHIVED)
    if language:
        # One text row per item and language, so these joins never repeat an item.
        courses, lessons = (
            courses.filter(texts__language=language),
            lessons.filter(texts__language=language),
        )
        articles = articles.filter(texts__language=language)
    if topic:
        courses, lessons = (
            courses.filter(topic__slug=topic),
            lessons.filter(course__topic__slug=topic),
        )
        articles = articles.filter(topic__slug=topic)
    wanted = {item_type} if item_type in STUDIO_TYPES else set(STUDIO_TYPES)

    course_rows = (
        {course.pk: _studio_row(course) for course in courses} if "course" in wanted else {}
    )
    lessons_by_course: dict[int, list[Lesson]] = {}
    if "lesson" in wanted:
        for lesson in lessons:
            lessons_by_course.setdefault(lesson.course_id, []).append(lesson)
    slugs = {row.item.pk: row.item.slug for row in course_rows.values()}
    slugs.update({pk: group[0].course.slug for pk, group in lessons_by_course.items()})
    rows: list[StudioRow] = []
    for course_id in sorted(slugs, key=slugs.__getitem__):
        if course_id in course_rows:
            rows.append(course_rows[course_id])
        rows.extend(_studio_row(lesson) for lesson in lessons_by_course.get(course_id, []))
    if "wiki" in wanted:
        rows.extend(_studio_row(article) for article in articles)
    return rows


# Which workflow buttons an item shows. The services enforce the transitions; this only keeps
# the pages from offering a button that would be refused.
WORKFLOW_ACTIONS: dict[str, tuple[str, ...]] = {
    PublishStatus.DRAFT: ("submit", "archive"),
    PublishStatus.IN_REVIEW: ("approve", "schedule", "send_back", "archive"),
    PublishStatus.SCHEDULED: ("send_back", "archive"),
    PublishStatus.PUBLISHED: ("archive",),
    PublishStatus.ARCHIVED: ("restore",),
}


def workflow_actions(*, item: Course | Lesson | WikiArticle) -> tuple[str, ...]:
    return WORKFLOW_ACTIONS.get(item.status, ())


@dataclass(frozen=True)
class StudioCourse:
    course: Course
    title: str
    summary: str
    topic_name: str
    hashtags: list[str]
    languages: list[LanguageState]
    lessons: list[StudioRow]


def studio_course(*, slug: str) -> StudioCourse:
    """A course in any status, with all its lessons, for editors."""
    course = (
        Course.objects.filter(slug=slug)
        .select_related("topic")
        .prefetch_related(
            "texts",
            "hashtags",
            Prefetch(
                "lessons",
                queryset=Lesson.objects.order_by("position", "pk").prefetch_related("texts"),
            ),
        )
        .first()
    )
    if course is None:
        raise NotFound(_("There is no course at this address."))
    texts = {text.language: text for text in course.texts.all()}
    original = texts.get(course.original_language)
    for lesson in course.lessons.all():
        lesson.course = course  # already loaded: spares a query per lesson
    return StudioCourse(
        course=course,
        title=original.title if original else "",
        summary=original.summary if original else "",
        topic_name=course.topic.name_in(get_language() or "en"),
        hashtags=sorted(tag.name for tag in course.hashtags.all()),
        languages=_language_states(texts.values(), original=course.original_language),
        lessons=[_studio_row(lesson) for lesson in course.lessons.all()],
    )


@dataclass(frozen=True)
class StudioLesson:
    lesson: Lesson
    course_title: str
    title: str
    summary: str
    body: str
    hashtags: list[str]
    languages: list[LanguageState]
    questions: list[QuestionView]


def studio_lesson(*, course_slug: str, lesson_slug: str) -> StudioLesson:
    """A lesson in any status, with its original text and questions, for editors."""
    lesson = (
        Lesson.objects.filter(course__slug=course_slug, slug=lesson_slug)
        .select_related("course")
        .prefetch_related("texts", "course__texts", "hashtags")
        .first()
    )
    if lesson is None:
        raise NotFound(_("There is no lesson at this address."))
    texts = {text.language: text for text in lesson.texts.all()}
    original = texts.get(lesson.original_language)
    return StudioLesson(
        lesson=lesson,
        course_title=_title_in(lesson.course.texts.all(), lesson.course.original_language),
        title=original.title if original else "",
        summary=original.summary if original else "",
        body=original.body if original else "",
        hashtags=sorted(tag.name for tag in lesson.hashtags.all()),
        languages=_language_states(texts.values(), original=lesson.original_language),
        questions=_questions(lesson, lesson.original_language)
        if lesson.kind == LessonKind.QUIZ
        else [],
    )


@dataclass(frozen=True)
class StudioWiki:
    article: WikiArticle
    title: str
    summary: str
    topic_name: str
    body: str
    hashtags: list[str]
    languages: list[LanguageState]
    revisions: dict[str, int]  # language -> current revision number


def studio_wiki(*, slug: str) -> StudioWiki:
    """A wiki article in any status, with its current text per language, for editors."""
    article = (
        WikiArticle.objects.filter(slug=slug)
        .select_related("topic", "owner")
        .prefetch_related(_wiki_texts(), "hashtags")
        .first()
    )
    if article is None:
        raise NotFound(_("There is no wiki article at this address."))
    texts = {text.language: text for text in article.texts.all()}
    original = texts.get(article.original_language)
    return StudioWiki(
        article=article,
        title=original.current.title if original else "",
        summary=original.current.summary if original else "",
        topic_name=article.topic.name_in(get_language() or "en"),
        body=original.current.body if original else "",
        hashtags=sorted(tag.name for tag in article.hashtags.all()),
        languages=_language_states(texts.values(), original=article.original_language),
        revisions={language: text.current.number for language, text in texts.items()},
    )


def studio_editors() -> QuerySet[User]:
    """The people who may own wiki articles: everyone who can use Studio."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="access_studio")
            | Q(user_permissions__codename="access_studio")
        )
        .distinct()
        .order_by("display_name", "email")
    )


# Translation: the original beside one language's version


@dataclass(frozen=True)
class TextVersion:
    title: str
    summary: str
    body: str


@dataclass(frozen=True)
class QuestionPair:
    original: QuestionView
    prompt: str
    choices: list[str]
    explanation: str


@dataclass(frozen=True)
class TranslationSource:
    language: str
    original_language: str
    original: TextVersion
    translation: TextVersion | None
    status: str | None
    questions: list[QuestionPair]


def studio_translation(*, item: Course | Lesson | WikiArticle, language: str) -> TranslationSource:
    """An item's original text beside its version in ``language`` (None while missing)."""
    if language not in studio_languages() or language == item.original_language:
        raise NotFound(_("Choose a language other than the original."))
    versions: dict[str, tuple[TextVersion, str]] = {}
    if isinstance(item, WikiArticle):
        for wiki_text in WikiText.objects.filter(article=item).select_related("current"):
            revision = wiki_text.current
            versions[wiki_text.language] = (
                TextVersion(revision.title, revision.summary, revision.body),
                wiki_text.status,
            )
    elif isinstance(item, Lesson):
        for lesson_text in LessonText.objects.filter(lesson=item):
            versions[lesson_text.language] = (
                TextVersion(lesson_text.title, lesson_text.summary, lesson_text.body),
                lesson_text.status,
            )
    else:
        for course_text in CourseText.objects.filter(course=item):
            versions[course_text.language] = (
                TextVersion(course_text.title, course_text.summary, ""),
                course_text.status,
            )
    if item.original_language not in versions:
        raise NotFound(_("This content has no text yet."))
    translated = versions.get(language)
    questions = []
    if isinstance(item, Lesson) and item.kind == LessonKind.QUIZ:
        rows = item.questions.prefetch_related("texts").order_by("position")
        for original, row in zip(_questions(item, item.original_language), rows, strict=True):
            texts = {text.language: text for text in row.texts.all()}
            mine = texts.get(language)
            questions.append(
                QuestionPair(
                    original=original,
                    prompt=mine.prompt if mine else "",
                    choices=list(mine.choices) if mine else [""] * row.choice_count,
                    explanation=mine.explanation if mine else "",
                )
            )
    return TranslationSource(
        language=language,
        original_language=item.original_language,
        original=versions[item.original_language][0],
        translation=translated[0] if translated else None,
        status=translated[1] if translated else None,
        questions=questions,
    )


# Preview: what a creator would see, in any status


def _preview_text(
    texts: Iterable[TextT], *, language: str, original: str
) -> tuple[TextT, Localised]:
    """The version in ``language`` whatever its status, else the original (flagged)."""
    by_language = {text.language: text for text in texts}
    if language in by_language:
        return by_language[language], Localised(language, is_fallback=False)
    if original not in by_language:
        raise NotFound(_("This content has no text yet."))
    return by_language[original], Localised(original, is_fallback=language != original)


@dataclass(frozen=True)
class Preview:
    """``is_live``: creators see exactly this (the item and this language are published)."""

    language: str
    text_status: str
    is_live: bool
    item_status: str


@dataclass(frozen=True)
class CoursePreview:
    detail: CourseDetail
    preview: Preview


def course_preview(*, slug: str, language: str) -> CoursePreview:
    course = (
        Course.objects.filter(slug=slug)
        .select_related("topic")
        .prefetch_related(
            "texts",
            Prefetch(
                "lessons",
                queryset=Lesson.objects.exclude(status=PublishStatus.ARCHIVED)
                .order_by("position", "pk")
                .prefetch_related("texts"),
                to_attr="published_lessons",
            ),
        )
        .first()
    )
    if course is None:
        raise NotFound(_("There is no course at this address."))
    text, localised = _preview_text(
        course.texts.all(), language=language, original=course.original_language
    )
    lessons = []
    for lesson in course.published_lessons:
        lesson_text, lesson_localised = _preview_text(
            lesson.texts.all(), language=language, original=lesson.original_language
        )
        lessons.append(LessonItem(lesson, lesson_text.title, lesson_text.summary, lesson_localised))
    card = CourseCard(
        course=course,
        title=text.title,
        summary=text.summary,
        topic_name=course.topic.name_in(language),
        lesson_count=len(lessons),
        localised=localised,
    )
    return CoursePreview(
        detail=CourseDetail(card=card, lessons=lessons),
        preview=_preview_state(course, text.status, localised),
    )


def _preview_state(
    item: Course | Lesson | WikiArticle, text_status: str, localised: Localised
) -> Preview:
    live = item.status == PublishStatus.PUBLISHED and text_status == TranslationStatus.PUBLISHED
    if isinstance(item, Lesson):
        live = live and item.course.status == PublishStatus.PUBLISHED
    return Preview(
        language=localised.language,
        text_status=text_status,
        is_live=live and not localised.is_fallback,
        item_status=item.status,
    )


@dataclass(frozen=True)
class LessonPreview:
    detail: LessonDetail
    preview: Preview


def lesson_preview(*, course_slug: str, lesson_slug: str, language: str) -> LessonPreview:
    lesson = (
        Lesson.objects.filter(course__slug=course_slug, slug=lesson_slug)
        .select_related("course")
        .prefetch_related("texts", "course__texts")
        .first()
    )
    if lesson is None:
        raise NotFound(_("There is no lesson at this address."))
    text, localised = _preview_text(
        lesson.texts.all(), language=language, original=lesson.original_language
    )
    course_text, _loc = _preview_text(
        lesson.course.texts.all(), language=language, original=lesson.course.original_language
    )
    siblings = list(
        Lesson.objects.filter(course=lesson.course)
        .exclude(status=PublishStatus.ARCHIVED)
        .order_by("position", "pk")
        .values_list("slug", flat=True)
    )
    index = siblings.index(lesson.slug) if lesson.slug in siblings else -1
    detail = LessonDetail(
        lesson=lesson,
        course_title=course_text.title,
        title=text.title,
        summary=text.summary,
        body=text.body,
        localised=localised,
        questions=_questions(lesson, language) if lesson.kind == LessonKind.QUIZ else [],
        previous_slug=siblings[index - 1] if index > 0 else None,
        next_slug=siblings[index + 1] if 0 <= index < len(siblings) - 1 else None,
    )
    return LessonPreview(detail=detail, preview=_preview_state(lesson, text.status, localised))


@dataclass(frozen=True)
class WikiPreview:
    detail: WikiDetail
    preview: Preview


def wiki_preview(*, slug: str, language: str) -> WikiPreview:
    article = WikiArticle.objects.filter(slug=slug).prefetch_related(_wiki_texts()).first()
    if article is None:
        raise NotFound(_("There is no wiki article at this address."))
    text, localised = _preview_text(
        article.texts.all(), language=language, original=article.original_language
    )
    revision = text.current
    detail = WikiDetail(
        card=WikiCard(article, revision.title, revision.summary, localised),
        body=revision.body,
        revision_number=revision.number,
        updated_at=revision.created_at,
    )
    return WikiPreview(detail=detail, preview=_preview_state(article, text.status, localised))


# Calendar: scheduled releases, recent publications


@dataclass(frozen=True)
class CalendarEntry:
    row: StudioRow
    when: datetime


@dataclass(frozen=True)
class CalendarDay:
    day: date
    entries: list[CalendarEntry]


@dataclass(frozen=True)
class StudioCalendar:
    overdue: list[CalendarEntry]
    upcoming: list[CalendarDay]
    recent: list[CalendarEntry]


def studio_calendar(*, now: datetime, tz: tzinfo, recent_days: int = 14) -> StudioCalendar:
    """Scheduled items by day in ``tz`` (overdue ones apart) and what was published lately."""
    since = now - timedelta(days=recent_days)
    due = Q(status=PublishStatus.SCHEDULED) | Q(
        status=PublishStatus.PUBLISHED, published_at__gte=since
    )
    rows = [
        *(_studio_row(course) for course in Course.objects.filter(due)
          .select_related("topic").prefetch_related("texts")),
        *(_studio_row(lesson) for lesson in Lesson.objects.filter(due)
          .select_related("course__topic").prefetch_related("texts", "course__texts")),
        *(_studio_row(article) for article in WikiArticle.objects.filter(due)
          .select_related("topic").prefetch_related(_wiki_texts())),
    ]  # fmt: skip
    scheduled = sorted(
        (
            CalendarEntry(row, row.item.publish_at)
            for row in rows
            if row.item.status == PublishStatus.SCHEDULED and row.item.publish_at
        ),
        key=lambda entry: entry.when,
    )
    days: dict[date, list[CalendarEntry]] = {}
    for entry in scheduled:
        if entry.when > now:
            days.setdefault(entry.when.astimezone(tz).date(), []).append(entry)
    recent = sorted(
        (
            CalendarEntry(row, row.item.published_at)
            for row in rows
            if row.item.status == PublishStatus.PUBLISHED and row.item.published_at
        ),
        key=lambda entry: entry.when,
        reverse=True,
    )
    return StudioCalendar(
        overdue=[entry for entry in scheduled if entry.when <= now],
        upcoming=[CalendarDay(day, entries) for day, entries in days.items()],
        recent=recent,
    )


# Wiki history


def wiki_revisions(*, article: WikiArticle, language: str) -> list[WikiRevision]:
    """Every revision of the article in ``language``, newest first, with its author."""
    revisions = list(
        WikiRevision.objects.filter(article=article, language=language)
        .select_related("author")
        .order_by("-number")
    )
    if not revisions:
        raise NotFound(_("There is no %(language)s version yet.") % {"language": language})
    return revisions


def wiki_revision_get(*, article: WikiArticle, language: str, number: int) -> WikiRevision:
    revision = (
        WikiRevision.objects.filter(article=article, language=language, number=number)
        .select_related("author", "article")
        .first()
    )
    if revision is None:
        raise NotFound(_("There is no revision %(n)d.") % {"n": number})
    return revision


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "context", "added", "removed" or "hunk"
    text: str
    old_number: int | None = None
    new_number: int | None = None


@dataclass(frozen=True)
class RevisionDiff:
    old: WikiRevision
    new: WikiRevision
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return any(line.kind in {"added", "removed"} for line in self.lines)


def _revision_document(revision: WikiRevision) -> list[str]:
    return [
        f"# {revision.title}",
        "",
        *revision.summary.splitlines(),
        "",
        *revision.body.splitlines(),
    ]


def wiki_revision_diff(
    *, article: WikiArticle, language: str, old_number: int, new_number: int
) -> RevisionDiff:
    """A unified diff (three lines of context) of title, summary and body between two revisions."""
    old = wiki_revision_get(article=article, language=language, number=old_number)
    new = wiki_revision_get(article=article, language=language, number=new_number)
    before, after = _revision_document(old), _revision_document(new)
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        lines.append(
            DiffLine(
                "hunk",
                f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@",
            )
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine("context", before[i], i + 1, j1 + offset + 1)
                    for offset, i in enumerate(range(i1, i2))
                )
                continue
            if tag in {"replace", "delete"}:
                lines.extend(
                    DiffLine("removed", before[i], old_number=i + 1) for i in range(i1, i2)
                )
            if tag in {"replace", "insert"}:
                lines.extend(DiffLine("added", after[j], new_number=j + 1) for j in range(j1, j2))
    return RevisionDiff(old=old, new=new, lines=lines)
