"""Every write to the catalog: content, translations, quizzes, wiki revisions, publishing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from academy.accounts.models import User
from academy.catalog.choices import (
    LessonKind,
    Level,
    PublishStatus,
    TranslationStatus,
    WikiCategory,
)
from academy.catalog.markdown import internal_links
from academy.catalog.models import (
    Course,
    CourseText,
    Hashtag,
    Lesson,
    LessonText,
    QuizQuestion,
    QuizQuestionText,
    Topic,
    WikiArticle,
    WikiRevision,
    WikiText,
)
from academy.core import clock
from academy.core.errors import Conflict, NotFound, ValidationFailed
from academy.core.validation import require_choice, require_language
from academy.search.services import search_item_changed

Item = TypeVar("Item", Course, Lesson, WikiArticle)
MAX_HASHTAG_LENGTH = 100


# ---------------------------------------------------------------------------------------------
# Hashtags


def hashtag_normalise(raw: str) -> str:
    """'#CookingTips ' -> 'cookingtips'; unicode-aware (NFKC, case-folded)."""
    name = unicodedata.normalize("NFKC", raw).strip().lstrip("#").strip().casefold()
    if not name or any(character.isspace() for character in name):
        raise ValidationFailed(
            _("A hashtag is one word, like #editing: %(tag)s is not.") % {"tag": raw},
            errors={"hashtags": _("One word per hashtag, without spaces.")},
        )
    if len(name) > MAX_HASHTAG_LENGTH:
        raise ValidationFailed(
            _("Hashtags are at most 100 characters."), errors={"hashtags": _("Too long.")}
        )
    return name


def hashtags_ensure(names: Iterable[str]) -> list[Hashtag]:
    normalised = list(dict.fromkeys(hashtag_normalise(name) for name in names))
    existing = {tag.name: tag for tag in Hashtag.objects.filter(name__in=normalised)}
    missing = [Hashtag(name=name) for name in normalised if name not in existing]
    if missing:
        Hashtag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Hashtag.objects.filter(name__in=normalised)}
    return [existing[name] for name in normalised]


# ---------------------------------------------------------------------------------------------
# Validation helpers


def _language(language: str) -> str:
    return require_language(language)


def _required(field: str, value: str) -> str:
    if not value.strip():
        raise ValidationFailed(
            _("A required field is empty."),
            errors={field: _("This field is required.")},
        )
    return value.strip()


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Addresses the site's own routes use: /studio/…/new/ creates, /learn/<course>/enrol/ enrols.
RESERVED_SLUGS = frozenset({"new", "enrol"})


def _slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise ValidationFailed(
            _("An address uses lowercase letters, digits and single hyphens only: %(slug)s.")
            % {"slug": slug},
            errors={"slug": _("Use lowercase letters, digits and single hyphens only.")},
        )
    if slug in RESERVED_SLUGS:
        raise ValidationFailed(
            _("“%(slug)s” is taken by the site itself: choose another address.") % {"slug": slug},
            errors={"slug": _("Choose another address.")},
        )
    return slug


def _editable(item: Course | Lesson | WikiArticle) -> None:
    if item.status == PublishStatus.ARCHIVED:
        raise Conflict(_("This item is archived. Restore it to a draft before editing it."))


# ---------------------------------------------------------------------------------------------
# Courses


def course_create(
    *,
    slug: str,
    topic: Topic,
    level: str,
    language: str,
    title: str,
    summary: str = "",
    hashtags: Sequence[str] = (),
    regions: Sequence[str] = (),
    editorial_pick: bool = False,
) -> Course:
    _slug(slug)
    require_choice("level", level, Level.values)
    if Course.objects.filter(slug=slug).exists():
        raise Conflict(
            _("A course already uses the address %(slug)s.") % {"slug": slug},
            errors={"slug": _("Choose another address.")},
        )
    with transaction.atomic():
        course = Course.objects.create(
            slug=slug,
            topic=topic,
            level=level,
            original_language=_language(language),
            regions=[region.upper() for region in regions],
            editorial_pick=editorial_pick,
        )
        course.hashtags.set(hashtags_ensure(hashtags))
        CourseText.objects.create(
            course=course, language=language, title=_required("title", title), summary=summary
        )
    return course


def course_text_save(
    *,
    course: Course,
    language: str,
    title: str,
    summary: str,
    status: str | None = None,
) -> CourseText:
    """Write the course's text in one language (the original or a translation)."""
    _editable(course)
    _language(language)
    values = {"title": _required("title", title), "summary": summary.strip()}
    if status is not None:
        values["status"] = _translation_status(status)
    text, _created = CourseText.objects.update_or_create(
        course=course, language=language, defaults=values
    )
    search_item_changed(item=course)
    return text


def _translation_status(status: str) -> str:
    return require_choice("status", status, TranslationStatus.values)


# ---------------------------------------------------------------------------------------------
# Lessons


@dataclass(frozen=True)
class QuestionInput:
    prompt: str
    choices: Sequence[str]
    correct: Sequence[int]
    explanation: str


def lesson_create(
    *,
    course: Course,
    slug: str,
    kind: str,
    title: str,
    summary: str = "",
    body: str = "",
    position: int | None = None,
    hashtags: Sequence[str] = (),
    **details: object,
) -> Lesson:
    """Create a lesson in the course's original language. ``details`` are kind-specific fields
    (video_url, duration_seconds, reading_minutes, pass_mark, starts_at, timezone, …)."""
    _slug(slug)
    _editable(course)
    require_choice("kind", kind, LessonKind.values)
    if Lesson.objects.filter(course=course, slug=slug).exists():
        raise Conflict(
            _("This course already has a lesson at the address %(slug)s.") % {"slug": slug},
            errors={"slug": _("Choose another address.")},
        )
    with transaction.atomic():
        if position is None:
            last = Lesson.objects.filter(course=course).aggregate(last=Max("position"))["last"]
            position = (last or 0) + 1
        lesson = Lesson(
            course=course,
            slug=slug,
            kind=kind,
            position=position,
            original_language=course.original_language,
        )
        _apply_lesson_details(lesson, details)
        lesson.save()
        lesson.hashtags.set(hashtags_ensure(hashtags))
        LessonText.objects.create(
            lesson=lesson,
            language=course.original_language,
            title=_required("title", title),
            summary=summary.strip(),
            body=body.strip(),
        )
    return lesson


LESSON_DETAIL_FIELDS = (
    "video_url",
    "duration_seconds",
    "reading_minutes",
    "pass_mark",
    "starts_at",
    "timezone",
    "duration_minutes",
    "capacity",
    "join_url",
    "recording_url",
)


def _apply_lesson_details(lesson: Lesson, details: dict[str, object]) -> list[str]:
    unknown = set(details) - set(LESSON_DETAIL_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown lesson fields: %(f)s.") % {"f": ", ".join(sorted(unknown))}
        )
    changed = []
    for name, value in details.items():
        if getattr(lesson, name) != value:
            setattr(lesson, name, value if value is not None else _empty_for(name))
            changed.append(name)
    starts_at = lesson.starts_at
    if isinstance(starts_at, datetime) and starts_at.tzinfo is None:
        raise ValidationFailed(
            _("The start time needs a time zone."), errors={"starts_at": _("Add a time zone.")}
        )
    if lesson.pass_mark is not None and not 0 < lesson.pass_mark <= 1:
        raise ValidationFailed(
            _("The pass mark is a share of correct answers, above 0 and at most 1."),
            errors={"pass_mark": _("Between 0 and 1.")},
        )
    return changed


def _empty_for(name: str) -> object:
    return "" if name in {"video_url", "timezone", "join_url", "recording_url"} else None


def lesson_update(*, lesson: Lesson, position: int | None = None, **details: object) -> Lesson:
    _editable(lesson)
    changed = _apply_lesson_details(lesson, details)
    if position is not None and position != lesson.position:
        lesson.position = position
        changed.append("position")
    if changed:
        lesson.save(update_fields=[*changed, "updated_at"])
    return lesson


def lesson_text_save(
    *,
    lesson: Lesson,
    language: str,
    title: str,
    summary: str,
    body: str,
    status: str | None = None,
) -> LessonText:
    _editable(lesson)
    _language(language)
    _check_links(body)
    values = {"title": _required("title", title), "summary": summary.strip(), "body": body.strip()}
    if status is not None:
        values["status"] = _translation_status(status)
    text, _created = LessonText.objects.update_or_create(
        lesson=lesson, language=language, defaults=values
    )
    search_item_changed(item=lesson)
    return text


def quiz_questions_set(*, lesson: Lesson, questions: Sequence[QuestionInput]) -> None:
    """Replace the quiz's questions (in the original language); translations are dropped
    because they no longer match the questions."""
    _editable(lesson)
    if lesson.kind != LessonKind.QUIZ:
        raise ValidationFailed(_("Only a quiz lesson has questions."))
    for number, question in enumerate(questions, start=1):
        _check_question(number, question.prompt, question.choices, question.explanation)
        if any(not 0 <= index < len(question.choices) for index in question.correct):
            raise ValidationFailed(
                _("Question %(n)d marks an answer that is not one of its choices.") % {"n": number},
                errors={"questions": _("Correct answers must be among the choices.")},
            )
    with transaction.atomic():
        lesson.questions.all().delete()
        for position, question in enumerate(questions, start=1):
            row = QuizQuestion.objects.create(
                lesson=lesson,
                position=position,
                choice_count=len(question.choices),
                correct=sorted(set(question.correct)),
            )
            QuizQuestionText.objects.create(
                question=row,
                language=lesson.original_language,
                prompt=question.prompt.strip(),
                choices=[choice.strip() for choice in question.choices],
                explanation=question.explanation.strip(),
            )


def _check_question(number: int, prompt: str, choices: Sequence[str], explanation: str) -> None:
    if not prompt.strip():
        raise ValidationFailed(
            _("Question %(n)d has no prompt.") % {"n": number},
            errors={"questions": _("Every question needs a prompt.")},
        )
    if len(choices) < 2 or any(not choice.strip() for choice in choices):
        raise ValidationFailed(
            _("Question %(n)d needs at least two non-empty choices.") % {"n": number},
            errors={"questions": _("At least two choices per question.")},
        )


@dataclass(frozen=True)
class QuestionTextInput:
    prompt: str
    choices: Sequence[str]
    explanation: str


def quiz_translation_save(
    *, lesson: Lesson, language: str, questions: Sequence[QuestionTextInput]
) -> None:
    """Translate the quiz's questions; the count and choice counts must match the original."""
    _editable(lesson)
    _language(language)
    rows = list(lesson.questions.order_by("position"))
    if len(rows) != len(questions):
        raise ValidationFailed(
            _("Translate every question: the quiz has %(n)d.") % {"n": len(rows)},
            errors={"questions": _("One translation per question.")},
        )
    with transaction.atomic():
        for number, (row, question) in enumerate(zip(rows, questions, strict=True), start=1):
            _check_question(number, question.prompt, question.choices, question.explanation)
            if len(question.choices) != row.choice_count:
                raise ValidationFailed(
                    _("Question %(n)d must keep its %(c)d choices.")
                    % {"n": number, "c": row.choice_count},
                    errors={"questions": _("Same number of choices as the original.")},
                )
            QuizQuestionText.objects.update_or_create(
                question=row,
                language=language,
                defaults={
                    "prompt": question.prompt.strip(),
                    "choices": [choice.strip() for choice in question.choices],
                    "explanation": question.explanation.strip(),
                },
            )


# ---------------------------------------------------------------------------------------------
# Wiki


def _check_links(body: str) -> None:
    """Refuse internal links to content that does not exist, so readers never hit dead ends."""
    for scheme, target in internal_links(body):
        if scheme == "wiki":
            exists = WikiArticle.objects.filter(slug=target).exists()
        else:
            course_slug, _sep, lesson_slug = target.partition("/")
            exists = Lesson.objects.filter(course__slug=course_slug, slug=lesson_slug).exists()
        if not exists:
            raise ValidationFailed(
                _("The link %(scheme)s:%(target)s points to nothing: no such %(scheme)s.")
                % {"scheme": scheme, "target": target},
                errors={"body": _("Fix or remove the link to %(target)s.") % {"target": target}},
            )


def wiki_article_create(
    *,
    slug: str,
    category: str,
    topic: Topic,
    language: str,
    title: str,
    summary: str,
    body: str,
    author: User | None,
    owner: User | None = None,
    hashtags: Sequence[str] = (),
) -> WikiArticle:
    _slug(slug)
    if WikiArticle.objects.filter(slug=slug).exists():
        raise Conflict(
            _("A wiki article already uses the address %(slug)s.") % {"slug": slug},
            errors={"slug": _("Choose another address.")},
        )
    with transaction.atomic():
        article = WikiArticle.objects.create(
            slug=slug,
            category=category,
            topic=topic,
            original_language=_language(language),
            owner=owner or author,
        )
        article.hashtags.set(hashtags_ensure(hashtags))
        wiki_revision_save(
            article=article, language=language, title=title, summary=summary, body=body,
            author=author, note=_("Created"),
        )  # fmt: skip
    return article


def wiki_revision_save(
    *,
    article: WikiArticle,
    language: str,
    title: str,
    summary: str,
    body: str,
    author: User | None,
    note: str = "",
    status: str | None = None,
) -> WikiRevision:
    """Save a new revision of the article in ``language`` and make it current."""
    _editable(article)
    _language(language)
    _required("body", body)
    _check_links(body)
    with transaction.atomic():
        # Lock the language's text row so two editors never write the same revision number.
        text = (
            WikiText.objects.select_for_update().filter(article=article, language=language).first()
        )
        last = (
            WikiRevision.objects.filter(article=article, language=language).aggregate(
                last=Max("number")
            )["last"]
            or 0
        )
        revision = WikiRevision.objects.create(
            article=article,
            language=language,
            number=last + 1,
            title=_required("title", title),
            summary=summary.strip(),
            body=body.strip(),
            author=author,
            note=note[:200],
            created_at=clock.now(),
        )
        if text is None:
            WikiText.objects.create(
                article=article,
                language=language,
                current=revision,
                status=_translation_status(status or TranslationStatus.DRAFT),
            )
        else:
            text.current = revision
            fields = ["current"]
            if status is not None:
                text.status = _translation_status(status)
                fields.append("status")
            text.save(update_fields=fields)
        search_item_changed(item=article)
    return revision


def wiki_revision_restore(*, revision: WikiRevision, author: User | None) -> WikiRevision:
    """Make an old revision current again, as a new revision (history is never rewritten)."""
    return wiki_revision_save(
        article=revision.article,
        language=revision.language,
        title=revision.title,
        summary=revision.summary,
        body=revision.body,
        author=author,
        note=_("Restored revision %(n)d") % {"n": revision.number},
    )


def wiki_mark_reviewed(*, article: WikiArticle, on: datetime | None = None) -> WikiArticle:
    article.last_reviewed_at = (on or clock.now()).date()
    article.save(update_fields=["last_reviewed_at", "updated_at"])
    return article


def _texts_of(item: Course | Lesson | WikiArticle) -> QuerySet[Any]:
    """The per-language text rows of an item, whatever its kind."""
    if isinstance(item, Course):
        return CourseText.objects.filter(course=item)
    if isinstance(item, Lesson):
        return LessonText.objects.filter(lesson=item)
    return WikiText.objects.filter(article=item)


def translation_set_status(
    *, item: Course | Lesson | WikiArticle, language: str, status: str
) -> None:
    """Move one language version through draft → in review → published."""
    _translation_status(status)
    if not _texts_of(item).filter(language=language).update(status=status):
        raise NotFound(
            _("There is no version in “%(language)s” yet.")
            % {"language": get_language_info(language)["name_translated"]}
        )
    search_item_changed(item=item)


# ---------------------------------------------------------------------------------------------
# Publishing: draft → in review → scheduled → published → archived


def _publish_problems(item: Course | Lesson | WikiArticle) -> list[str]:
    problems: list[str] = []
    if isinstance(item, Lesson) and item.kind == LessonKind.QUIZ:
        questions = list(item.questions.all())
        if not questions:
            problems.append(_("A quiz needs at least one question."))
        for question in questions:
            if not question.correct:
                problems.append(
                    _("Question %(n)d has no correct answer.") % {"n": question.position}
                )
    if isinstance(item, Lesson) and item.kind == LessonKind.VIDEO and not item.video_url:
        problems.append(_("A video lesson needs its video URL."))
    if (
        isinstance(item, Lesson)
        and item.kind == LessonKind.LIVE
        and not (item.starts_at and item.join_url)
    ):
        problems.append(_("A live class needs a start time and a join link."))
    if (
        isinstance(item, Course)
        and not item.lessons.filter(status=PublishStatus.PUBLISHED).exists()
    ):
        problems.append(_("A course cannot be published before at least one of its lessons."))
    return problems


def _check_publishable(item: Course | Lesson | WikiArticle) -> None:
    problems = _publish_problems(item)
    if problems:
        raise ValidationFailed(" ".join(problems), errors={"status": problems[0]})


def _transition(item: Item, allowed_from: set[str], to: str, verb: str) -> None:
    if item.status not in allowed_from:
        raise Conflict(
            _("Cannot %(verb)s an item that is %(status)s.")
            % {"verb": verb, "status": PublishStatus(item.status).label.lower()}
        )


def content_submit_for_review(*, item: Item) -> Item:
    _transition(item, {PublishStatus.DRAFT}, PublishStatus.IN_REVIEW, _("submit for review"))
    item.status = PublishStatus.IN_REVIEW
    item.save(update_fields=["status", "updated_at"])
    return item


def content_send_back(*, item: Item) -> Item:
    """Return an item under review (or scheduled) to its author as a draft."""
    _transition(
        item, {PublishStatus.IN_REVIEW, PublishStatus.SCHEDULED}, PublishStatus.DRAFT,
        _("send back"),
    )  # fmt: skip
    item.status = PublishStatus.DRAFT
    item.publish_at = None
    item.save(update_fields=["status", "publish_at", "updated_at"])
    return item


def content_approve(*, item: Item, publish_at: datetime | None = None) -> Item:
    """Approve an item under review: publish it now, or schedule it for a future time."""
    _transition(item, {PublishStatus.IN_REVIEW}, PublishStatus.PUBLISHED, _("approve"))
    now = clock.now()
    if publish_at is not None:
        if publish_at.tzinfo is None:
            raise ValidationFailed(
                _("The publish time needs a time zone."),
                errors={"publish_at": _("Add a time zone.")},
            )
        if publish_at <= now:
            raise ValidationFailed(
                _("A schedule cannot be in the past. Pick a time after now or publish now."),
                errors={"publish_at": _("Pick a future time.")},
            )
        item.status = PublishStatus.SCHEDULED
        item.publish_at = publish_at
        item.save(update_fields=["status", "publish_at", "updated_at"])
        return item
    return _publish(item, now)


def _publish(item: Item, now: datetime) -> Item:
    _check_publishable(item)
    item.status = PublishStatus.PUBLISHED
    item.published_at = item.published_at or now
    item.save(update_fields=["status", "published_at", "updated_at"])
    # The original language's text is what was reviewed: it goes live with the item.
    _texts_of(item).filter(language=item.original_language).update(
        status=TranslationStatus.PUBLISHED
    )
    search_item_changed(item=item)
    return item


@dataclass(frozen=True)
class PublishRun:
    published: list[str]
    failed: dict[str, str]


def content_publish_due(*, now: datetime | None = None) -> PublishRun:
    """Publish every scheduled item whose time has come (lessons before their courses).

    An item that can no longer be published (say, a quiz edited into an invalid state) stays
    scheduled and is reported, so one bad item never blocks the others.
    """
    now = now or clock.now()
    published: list[str] = []
    failed: dict[str, str] = {}
    for model in (Lesson, WikiArticle, Course):
        due = model.objects.filter(status=PublishStatus.SCHEDULED, publish_at__lte=now)
        for item in due.order_by("publish_at", "pk"):
            label = f"{model.__name__.lower()}:{item}"
            try:
                with transaction.atomic():
                    _publish(item, item.publish_at or now)  # type: ignore[type-var]
            except ValidationFailed as error:
                failed[label] = error.detail
            else:
                published.append(label)
    return PublishRun(published=published, failed=failed)


def content_archive(*, item: Item) -> Item:
    """Retire an item: creators no longer find it; old links show a "retired" page."""
    _transition(
        item,
        {
            PublishStatus.PUBLISHED,
            PublishStatus.SCHEDULED,
            PublishStatus.DRAFT,
            PublishStatus.IN_REVIEW,
        },
        PublishStatus.ARCHIVED,
        _("archive"),
    )
    item.status = PublishStatus.ARCHIVED
    item.archived_at = clock.now()
    item.publish_at = None
    item.save(update_fields=["status", "archived_at", "publish_at", "updated_at"])
    search_item_changed(item=item)
    return item


def content_restore(*, item: Item) -> Item:
    """Bring an archived item back as a draft."""
    _transition(item, {PublishStatus.ARCHIVED}, PublishStatus.DRAFT, _("restore"))
    item.status = PublishStatus.DRAFT
    item.archived_at = None
    item.save(update_fields=["status", "archived_at", "updated_at"])
    return item


# ---------------------------------------------------------------------------------------------
# Studio edits: one call per editor action, so a page never leaves an item half-written


def course_update(
    *,
    course: Course,
    topic: Topic,
    level: str,
    title: str,
    summary: str,
    hashtags: Sequence[str] = (),
    regions: Sequence[str] = (),
    editorial_pick: bool = False,
) -> Course:
    """Change a course's settings and its text in the original language together."""
    _editable(course)
    require_choice("level", level, Level.values)
    with transaction.atomic():
        course.topic = topic
        course.level = level
        course.regions = [region.upper() for region in regions]
        course.editorial_pick = editorial_pick
        course.save(update_fields=["topic", "level", "regions", "editorial_pick", "updated_at"])
        course.hashtags.set(hashtags_ensure(hashtags))
        course_text_save(
            course=course, language=course.original_language, title=title, summary=summary
        )
    return course


def lessons_reorder(*, course: Course, positions: dict[int, int]) -> None:
    """Put the course's lessons in the order of ``positions`` (lesson id -> wished position).

    Positions are renumbered 1, 2, 3…; on a tie the lesson the editor moved goes first, so
    typing "2" for the fourth lesson makes it the second.
    """
    _editable(course)
    lessons = list(course.lessons.order_by("position", "pk"))
    unknown = set(positions) - {lesson.pk for lesson in lessons}
    if unknown:
        raise ValidationFailed(_("Some of these lessons are not in this course."))
    if any(position < 1 for position in positions.values()):
        raise ValidationFailed(
            _("Positions start at 1."), errors={"positions": _("Use 1 or more.")}
        )

    def wished(lesson: Lesson) -> tuple[int, int, int]:
        position = positions.get(lesson.pk, lesson.position)
        return (position, 0 if position != lesson.position else 1, lesson.position)

    with transaction.atomic():
        for number, lesson in enumerate(sorted(lessons, key=wished), start=1):
            if lesson.position != number:
                lesson.position = number
                lesson.save(update_fields=["position", "updated_at"])


def lesson_create_with_questions(
    *,
    course: Course,
    slug: str,
    kind: str,
    title: str,
    summary: str = "",
    body: str = "",
    hashtags: Sequence[str] = (),
    questions: Sequence[QuestionInput] = (),
    **details: Any,
) -> Lesson:
    """Create a lesson and, for a quiz, its questions, in one transaction."""
    _check_links(body)
    with transaction.atomic():
        lesson = lesson_create(
            course=course, slug=slug, kind=kind, title=title, summary=summary, body=body,
            hashtags=hashtags, **details,
        )  # fmt: skip
        if kind == LessonKind.QUIZ and questions:
            quiz_questions_set(lesson=lesson, questions=questions)
    return lesson


def _current_questions(lesson: Lesson) -> list[QuestionInput]:
    rows = lesson.questions.prefetch_related("texts").order_by("position")
    current = []
    for row in rows:
        text = next(t for t in row.texts.all() if t.language == lesson.original_language)
        current.append(
            QuestionInput(text.prompt, list(text.choices), list(row.correct), text.explanation)
        )
    return current


def lesson_edit(
    *,
    lesson: Lesson,
    title: str,
    summary: str,
    body: str,
    hashtags: Sequence[str] = (),
    questions: Sequence[QuestionInput] | None = None,
    **details: Any,
) -> Lesson:
    """Save a lesson's details, hashtags and original text; replace a quiz's questions only
    when they changed (replacing them drops their translations)."""
    with transaction.atomic():
        lesson_update(lesson=lesson, **details)
        lesson.hashtags.set(hashtags_ensure(hashtags))
        lesson_text_save(
            lesson=lesson, language=lesson.original_language, title=title, summary=summary,
            body=body,
        )  # fmt: skip
        if questions is not None:
            wanted = [
                QuestionInput(
                    q.prompt.strip(),
                    [choice.strip() for choice in q.choices],
                    sorted(set(q.correct)),
                    q.explanation.strip(),
                )
                for q in questions
            ]
            if wanted != _current_questions(lesson):
                quiz_questions_set(lesson=lesson, questions=wanted)
    return lesson


def lesson_translation_save(
    *,
    lesson: Lesson,
    language: str,
    title: str,
    summary: str,
    body: str,
    status: str | None = None,
    questions: Sequence[QuestionTextInput] | None = None,
) -> LessonText:
    """Translate a lesson's text and, for a quiz, its questions, together."""
    if language == lesson.original_language:
        raise ValidationFailed(_("This is the original language: edit the lesson instead."))
    with transaction.atomic():
        text = lesson_text_save(
            lesson=lesson, language=language, title=title, summary=summary, body=body,
            status=status,
        )  # fmt: skip
        if questions is not None:
            quiz_translation_save(lesson=lesson, language=language, questions=questions)
    return text


def wiki_article_update(
    *,
    article: WikiArticle,
    category: str,
    topic: Topic,
    owner: User | None,
    title: str,
    summary: str,
    body: str,
    author: User | None,
    hashtags: Sequence[str] = (),
    note: str = "",
) -> WikiArticle:
    """Change an article's settings; its text in the original language becomes a new revision
    when it changed."""
    _editable(article)
    require_choice("category", category, WikiCategory.values)
    with transaction.atomic():
        article.category = category
        article.topic = topic
        article.owner = owner
        article.save(update_fields=["category", "topic", "owner", "updated_at"])
        article.hashtags.set(hashtags_ensure(hashtags))
        search_item_changed(item=article)
        current = (
            WikiText.objects.select_related("current")
            .filter(article=article, language=article.original_language)
            .first()
        )
        unchanged = current is not None and (
            current.current.title,
            current.current.summary,
            current.current.body,
        ) == (title.strip(), summary.strip(), body.strip())
        if not unchanged:
            wiki_revision_save(
                article=article, language=article.original_language, title=title,
                summary=summary, body=body, author=author, note=note,
            )  # fmt: skip
    return article
