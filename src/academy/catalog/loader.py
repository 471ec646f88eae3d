"""Load a content pack (docs/CONTENT.md) into the catalog. Idempotent: a second load of the same
pack writes nothing; a changed file updates just what changed (wiki edits become revisions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction

from academy.accounts.models import User
from academy.catalog.choices import PublishStatus, TranslationStatus
from academy.catalog.content_pack import ContentPack, CourseSpec, LessonSpec, WikiSpec
from academy.catalog.models import (
    Course,
    CourseText,
    Lesson,
    LessonText,
    QuizQuestion,
    QuizQuestionText,
    Topic,
    WikiArticle,
    WikiRevision,
    WikiText,
)
from academy.catalog.services import hashtags_ensure
from academy.core import clock
from academy.search.services import search_item_changed


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    items: list[str] = field(default_factory=list)

    def count(self, outcome: str, label: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "unchanged":
            self.items.append(f"{outcome} {label}")


def _sync(
    model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[Any, str]:
    """Create the row, or update only the fields that differ. Returns (row, outcome)."""
    row = model.objects.filter(**lookup).first()  # type: ignore[attr-defined]
    if row is None:
        return model.objects.create(**lookup, **values), "created"  # type: ignore[attr-defined]
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, values[name])
    auto = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    row.save(update_fields=[*changed, *auto])
    return row, "updated"


def _sync_hashtags(item: Course | Lesson | WikiArticle, names: Iterable[str]) -> bool:
    wanted = {tag.pk for tag in hashtags_ensure(names)}
    current = set(item.hashtags.values_list("pk", flat=True))
    if wanted == current:
        return False
    item.hashtags.set(wanted)
    return True


def _published(now: datetime, existing: Any) -> dict[str, Any]:
    return {
        "status": PublishStatus.PUBLISHED,
        "published_at": existing.published_at if existing and existing.published_at else now,
    }


def _course(spec: CourseSpec, topics: dict[str, Topic], now: datetime, report: LoadReport) -> None:
    existing = Course.objects.filter(slug=spec.slug).first()
    course, outcome = _sync(
        Course,
        {"slug": spec.slug},
        {
            "topic": topics[spec.topic],
            "level": spec.level,
            "original_language": spec.language,
            "regions": list(spec.regions),
            "editorial_pick": spec.editorial_pick,
            "publish_at": None,
            **_published(now, existing),
        },
    )
    if _sync_hashtags(course, spec.hashtags) and outcome == "unchanged":
        outcome = "updated"
    texts = {spec.language: (spec.title, spec.summary)} | {
        language: (text.title, text.summary) for language, text in spec.translations.items()
    }
    for language, (title, summary) in texts.items():
        _row, text_outcome = _sync(
            CourseText,
            {"course": course, "language": language},
            {"title": title, "summary": summary, "status": TranslationStatus.PUBLISHED},
        )
        if text_outcome != "unchanged" and outcome == "unchanged":
            outcome = "updated"
    report.count(outcome, f"course {spec.slug}")
    for lesson_spec in spec.lessons:
        _lesson(lesson_spec, course, now, report)
    search_item_changed(item=course)


def _lesson(spec: LessonSpec, course: Course, now: datetime, report: LoadReport) -> None:
    existing = Lesson.objects.filter(course=course, slug=spec.slug).first()
    lesson, outcome = _sync(
        Lesson,
        {"course": course, "slug": spec.slug},
        {
            "position": spec.order,
            "kind": spec.kind,
            "original_language": spec.language,
            "video_url": spec.video_url,
            "duration_seconds": spec.duration_seconds,
            "reading_minutes": spec.reading_minutes,
            "pass_mark": spec.pass_mark,
            "starts_at": spec.starts_at,
            "timezone": spec.timezone,
            "duration_minutes": spec.duration_minutes,
            "capacity": spec.capacity,
            "join_url": spec.join_url,
            "recording_url": spec.recording_url,
            "publish_at": None,
            **_published(now, existing),
        },
    )
    changed = outcome != "unchanged"
    changed |= _sync_hashtags(lesson, spec.hashtags)
    versions = {spec.language: (spec.title, spec.summary, spec.body)} | {
        language: (t.title, t.summary, t.body) for language, t in spec.translations.items()
    }
    for language, (title, summary, body) in versions.items():
        _row, text_outcome = _sync(
            LessonText,
            {"lesson": lesson, "language": language},
            {
                "title": title,
                "summary": summary,
                "body": body,
                "status": TranslationStatus.PUBLISHED,
            },
        )
        changed |= text_outcome != "unchanged"
    changed |= _questions(spec, lesson)
    report.count("created" if outcome == "created" else "updated" if changed else "unchanged",
                 f"lesson {course.slug}/{spec.slug}")  # fmt: skip


def _questions(spec: LessonSpec, lesson: Lesson) -> bool:
    changed = False
    kept: list[int] = []
    for position, question in enumerate(spec.questions, start=1):
        row, outcome = _sync(
            QuizQuestion,
            {"lesson": lesson, "position": position},
            {"choice_count": len(question.text.choices), "correct": sorted(question.correct)},
        )
        kept.append(row.pk)
        changed |= outcome != "unchanged"
        texts = {spec.language: question.text} | {
            language: translation.questions[position - 1]
            for language, translation in spec.translations.items()
            if len(translation.questions) >= position
        }
        for language, text in texts.items():
            _text, text_outcome = _sync(
                QuizQuestionText,
                {"question": row, "language": language},
                {
                    "prompt": text.prompt,
                    "choices": list(text.choices),
                    "explanation": text.explanation,
                },
            )
            changed |= text_outcome != "unchanged"
    removed, _detail = QuizQuestion.objects.filter(lesson=lesson).exclude(pk__in=kept).delete()
    return changed or bool(removed)


def _wiki(spec: WikiSpec, topics: dict[str, Topic], now: datetime, report: LoadReport) -> None:
    owner = User.objects.filter(email__iexact=spec.owner).first() if spec.owner else None
    existing = WikiArticle.objects.filter(slug=spec.slug).first()
    article, outcome = _sync(
        WikiArticle,
        {"slug": spec.slug},
        {
            "category": spec.category,
            "topic": topics[spec.topic],
            "original_language": spec.language,
            "owner": owner if owner is not None else (existing.owner if existing else None),
            "last_reviewed_at": spec.last_reviewed,
            "publish_at": None,
            **_published(now, existing),
        },
    )
    changed = outcome != "unchanged"
    changed |= _sync_hashtags(article, spec.hashtags)
    versions = {spec.language: (spec.title, spec.summary, spec.body)} | {
        language: (t.title, t.summary, t.body) for language, t in spec.translations.items()
    }
    for language, (title, summary, body) in versions.items():
        changed |= _wiki_text(article, language, title, summary, body, now)
    search_item_changed(item=article)
    report.count("created" if outcome == "created" else "updated" if changed else "unchanged",
                 f"wiki {spec.slug}")  # fmt: skip


def _wiki_text(
    article: WikiArticle, language: str, title: str, summary: str, body: str, now: datetime
) -> bool:
    text = (
        WikiText.objects.select_related("current")
        .filter(article=article, language=language)
        .first()
    )
    if text is not None:
        current = text.current
        same = (current.title, current.summary, current.body) == (title, summary, body)
        if same and text.status == TranslationStatus.PUBLISHED:
            return False
        if same:
            text.status = TranslationStatus.PUBLISHED
            text.save(update_fields=["status"])
            return True
    number = (text.current.number if text else 0) + 1
    revision = WikiRevision.objects.create(
        article=article, language=language, number=number, title=title, summary=summary,
        body=body, author=None, note="Content pack", created_at=now,
    )  # fmt: skip
    if text is None:
        WikiText.objects.create(
            article=article, language=language, current=revision, status=TranslationStatus.PUBLISHED
        )
    else:
        text.current = revision
        text.status = TranslationStatus.PUBLISHED
        text.save(update_fields=["current", "status"])
    return True


def content_pack_load(
    *, pack: ContentPack, progress: Callable[[str], None] | None = None
) -> LoadReport:
    """Upsert every course, lesson and wiki article of the pack as published content."""
    now = clock.now()
    report = LoadReport()
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    # Wiki first: lesson bodies may link to articles, and links are checked against the catalog.
    for article in pack.wiki:
        with transaction.atomic():
            _wiki(article, topics, now, report)
        if progress:
            progress(f"wiki {article.slug}")
    for course in pack.courses:
        with transaction.atomic():
            _course(course, topics, now, report)
        if progress:
            progress(f"course {course.slug}")
    return report
