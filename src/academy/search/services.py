"""Writes of search: the index follows publishing, popularity follows the rollups, and every
query and click becomes an event.

Indexing is derived data: a published item's documents are rebuilt from the catalog whenever it
changes (the catalog services call `search_item_changed`, which indexes after the commit), and
`academy search reindex` rebuilds everything. A document exists for each language version a
reader gets as its own (the translation is published), so translations are found in their
language and archived or unpublished content is never found.
"""

from __future__ import annotations

import logging
import math
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch, QuerySet

from academy.accounts.models import Creator
from academy.catalog.choices import PublishStatus, TranslationStatus
from academy.catalog.models import Course, Lesson, WikiArticle, WikiText
from academy.core import clock
from academy.events import taxonomy
from academy.events.query import QueryEngine, default_engine
from academy.events.services import server_event, track_event
from academy.search.backends import backend_for
from academy.search.models import IndexVersion, ItemPopularity, SearchDocument, SearchTerm
from academy.search.text import plain_text, vocabulary_words

logger = logging.getLogger(__name__)

CatalogItem = Course | Lesson | WikiArticle
BATCH = 200
POPULARITY_DAYS = 28


def item_key(item: CatalogItem) -> str:
    """The id search and events share: course:<slug>, lesson:<pk>, wiki:<slug>."""
    if isinstance(item, Course):
        return f"course:{item.slug}"
    if isinstance(item, Lesson):
        return f"lesson:{item.pk}"
    return f"wiki:{item.slug}"


# ---------------------------------------------------------------------------------------------
# Documents from the catalog


def _published_lessons() -> QuerySet[Lesson]:
    return Lesson.objects.filter(status=PublishStatus.PUBLISHED).order_by("position", "pk")


def _courses() -> QuerySet[Course]:
    return (
        Course.objects.filter(status=PublishStatus.PUBLISHED)
        .select_related("topic")
        .prefetch_related(
            "texts",
            "hashtags",
            Prefetch(
                "lessons",
                queryset=_published_lessons().prefetch_related("texts", "hashtags"),
                to_attr="searchable_lessons",
            ),
        )
        .order_by("pk")
    )


def _wiki_articles() -> QuerySet[WikiArticle]:
    return (
        WikiArticle.objects.filter(status=PublishStatus.PUBLISHED)
        .select_related("topic")
        .prefetch_related(
            "hashtags", Prefetch("texts", queryset=WikiText.objects.select_related("current"))
        )
        .order_by("pk")
    )


def _published_texts(texts: Iterable[Any]) -> dict[str, Any]:
    return {text.language: text for text in texts if text.status == TranslationStatus.PUBLISHED}


def _tags(item: CatalogItem) -> str:
    return " ".join(sorted(tag.name for tag in item.hashtags.all()))


def _course_documents(course: Course, now: datetime) -> list[SearchDocument]:
    """The course in each published language, then its published lessons."""
    lessons: list[Lesson] = getattr(course, "searchable_lessons", [])
    texts = _published_texts(course.texts.all())
    documents = []
    for language, text in texts.items():
        lesson_lines = [
            f"{lesson_text.title}. {lesson_text.summary}"
            for lesson in lessons
            if (lesson_text := _published_texts(lesson.texts.all()).get(language)) is not None
        ]
        documents.append(
            SearchDocument(
                item=item_key(course),
                item_kind="course",
                item_id=course.slug,
                language=language,
                is_original=language == course.original_language,
                kind="course",
                level=course.level,
                topic=course.topic.slug,
                title=text.title,
                hashtags=_tags(course),
                summary=text.summary,
                body="\n".join(lesson_lines),
                slug=course.slug,
                course_slug=course.slug,
                published_at=course.published_at,
                indexed_at=now,
            )
        )
    course_titles = {language: text.title for language, text in texts.items()}
    original_title = course_titles.get(course.original_language, course.slug)
    for lesson in lessons:
        for language, text in _published_texts(lesson.texts.all()).items():
            documents.append(
                SearchDocument(
                    item=item_key(lesson),
                    item_kind="lesson",
                    item_id=str(lesson.pk),
                    language=language,
                    is_original=language == lesson.original_language,
                    kind=lesson.kind,
                    level=course.level,
                    topic=course.topic.slug,
                    title=text.title,
                    hashtags=_tags(lesson),
                    summary=text.summary,
                    body=plain_text(text.body),
                    slug=lesson.slug,
                    course_slug=course.slug,
                    parent_title=course_titles.get(language, original_title),
                    published_at=lesson.published_at,
                    indexed_at=now,
                )
            )
    return documents


def _wiki_documents(article: WikiArticle, now: datetime) -> list[SearchDocument]:
    return [
        SearchDocument(
            item=item_key(article),
            item_kind="wiki",
            item_id=article.slug,
            language=language,
            is_original=language == article.original_language,
            kind="wiki",
            level="",
            topic=article.topic.slug,
            title=text.current.title,
            hashtags=_tags(article),
            summary=text.current.summary,
            body=plain_text(text.current.body),
            slug=article.slug,
            published_at=article.published_at,
            indexed_at=now,
        )
        for language, text in _published_texts(article.texts.all()).items()
    ]


# ---------------------------------------------------------------------------------------------
# Writing documents and the vocabulary together


def _document_words(document: SearchDocument) -> dict[str, str]:
    return vocabulary_words((document.title, document.hashtags, document.summary, document.body))


def _vocabulary_apply(delta: Mapping[str, int], shown: Mapping[str, str]) -> None:
    """Add ``delta`` (folded word -> change in documents) to the vocabulary; forget words no
    document holds any more."""
    changes = {key: change for key, change in delta.items() if change}
    if not changes:
        return
    added = [key for key, change in changes.items() if change > 0]
    SearchTerm.objects.bulk_create(
        [SearchTerm(key=key, word=shown.get(key, key), documents=0) for key in added],
        ignore_conflicts=True,
        batch_size=500,
    )
    by_change: dict[int, list[str]] = {}
    for key, change in changes.items():
        by_change.setdefault(change, []).append(key)
    for change, keys in by_change.items():
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            if change > 0:
                SearchTerm.objects.filter(key__in=chunk).update(documents=F("documents") + change)
            else:
                # A count never goes below zero, even if the vocabulary had drifted.
                SearchTerm.objects.filter(key__in=chunk, documents__gte=-change).update(
                    documents=F("documents") + change
                )
                SearchTerm.objects.filter(key__in=chunk, documents__lt=-change).update(documents=0)
    SearchTerm.objects.filter(documents=0).delete()


def _index_changed() -> None:
    """Give the index a new version token, inside the caller's transaction."""
    token = secrets.randbits(62)
    if not IndexVersion.objects.filter(pk=1).update(token=token):
        IndexVersion.objects.update_or_create(pk=1, defaults={"token": token})


def _replace_documents(keys: set[str], documents: list[SearchDocument]) -> None:
    """Make ``documents`` the index's documents of the items ``keys``, in one transaction."""
    with transaction.atomic():
        delta: Counter[str] = Counter()
        shown: dict[str, str] = {}
        old = SearchDocument.objects.filter(item__in=keys).only(
            "title", "hashtags", "summary", "body"
        )
        for document in old:
            delta.subtract(_document_words(document).keys())
        SearchDocument.objects.filter(item__in=keys).delete()
        for document in documents:
            found = _document_words(document)
            delta.update(found.keys())
            for key, word in found.items():
                shown.setdefault(key, word)
        SearchDocument.objects.bulk_create(documents, batch_size=BATCH)
        _vocabulary_apply(delta, shown)
        _index_changed()


def search_item_refresh(*, item: CatalogItem) -> None:
    """Index the item as it is now: its documents if it is published, none otherwise.

    A course is indexed with its lessons (a lesson is found only while its course is
    published, and a course's document lists its lessons); a lesson, with its course.
    """
    now = clock.now()
    if isinstance(item, WikiArticle):
        article = _wiki_articles().filter(pk=item.pk).first()
        documents = _wiki_documents(article, now) if article else []
        _replace_documents({item_key(item)}, documents)
        return
    course_id = item.pk if isinstance(item, Course) else item.course_id
    lessons = Lesson.objects.filter(course_id=course_id).values_list("pk", flat=True)
    slugs = Course.objects.filter(pk=course_id).values_list("slug", flat=True)
    keys = {f"lesson:{pk}" for pk in lessons} | {f"course:{slug}" for slug in slugs}
    course = _courses().filter(pk=course_id).first()
    _replace_documents(keys, _course_documents(course, now) if course else [])


def search_item_changed(*, item: CatalogItem) -> None:
    """Re-index ``item`` once the current transaction commits (called by catalog services).

    A failure is logged and never undoes the catalog change; `academy search reindex` repairs.
    """
    model, pk = type(item), item.pk

    def refresh() -> None:
        current = model.objects.filter(pk=pk).first()
        if current is not None:
            search_item_refresh(item=current)
        elif isinstance(item, WikiArticle):
            _replace_documents({item_key(item)}, [])

    transaction.on_commit(refresh, robust=True)


@dataclass(frozen=True)
class ReindexRun:
    items: int
    documents: int
    removed: int


def _searchable_batches() -> Iterator[tuple[set[str], list[SearchDocument]]]:
    for start in range(0, Course.objects.filter(status=PublishStatus.PUBLISHED).count(), 50):
        for course in _courses()[start : start + 50]:
            now = clock.now()
            keys = {item_key(course)} | {
                item_key(lesson) for lesson in getattr(course, "searchable_lessons", [])
            }
            yield keys, _course_documents(course, now)
    for start in range(0, WikiArticle.objects.filter(status=PublishStatus.PUBLISHED).count(), 100):
        for article in _wiki_articles()[start : start + 100]:
            yield {item_key(article)}, _wiki_documents(article, clock.now())


def search_reindex(*, progress: Callable[[int, int], None] | None = None) -> ReindexRun:
    """Rebuild every published item's documents, then drop documents of anything else.

    Each item is replaced in its own transaction, so stopping half way (Ctrl-C) leaves every
    item either as it was or freshly indexed; running again finishes the job.
    """
    total = (
        Course.objects.filter(status=PublishStatus.PUBLISHED).count()
        + WikiArticle.objects.filter(status=PublishStatus.PUBLISHED).count()
    )
    searchable: set[str] = set()
    items = documents = 0
    for keys, batch in _searchable_batches():
        _replace_documents(keys, batch)
        searchable |= {document.item for document in batch}
        items += 1
        documents += len(batch)
        if progress:
            progress(items, total)
    stale = set(SearchDocument.objects.values_list("item", flat=True).distinct()) - searchable
    for start in range(0, len(stale), BATCH):
        _replace_documents(set(sorted(stale)[start : start + BATCH]), [])
    return ReindexRun(items=items, documents=documents, removed=len(stale))


def search_vocabulary_rebuild() -> int:
    """Count every word of every document again (after a bulk load or to repair drift)."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for document in SearchDocument.objects.only("title", "hashtags", "summary", "body").iterator(
        chunk_size=2000
    ):
        found = _document_words(document)
        counts.update(found.keys())
        for key, word in found.items():
            shown.setdefault(key, word)
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create(
            [SearchTerm(key=key, word=shown[key], documents=n) for key, n in counts.items()],
            batch_size=2000,
        )
        _index_changed()  # after a bulk load: what readers cached of the index is stale too
    return len(counts)


def search_engine_rebuild() -> None:
    """Recreate the engine's structures (FTS tables and triggers, or the tsvector column and
    indexes) from the documents and the vocabulary."""
    with transaction.atomic():
        backend_for().rebuild()


# ---------------------------------------------------------------------------------------------
# Popularity from the rollups


def search_popularity_refresh(
    *, events_dir: Path, today: date | None = None, engine: QueryEngine | None = None
) -> int:
    """Recompute every item's clicks and impressions over the last 28 days (UTC) from the
    `creator_item_daily` rollup; return how many items have any."""
    end = today or clock.now().date()
    start = end - timedelta(days=POPULARITY_DAYS - 1)
    with engine or default_engine() as reader:
        reader.register_rollup(
            events_dir, "creator_item_daily", start=start.isoformat(), end=end.isoformat()
        )
        rows = reader.query(
            "SELECT item_kind, item_id, SUM(clicks), SUM(impressions) FROM creator_item_daily "
            "WHERE item_kind IN ('course', 'lesson', 'wiki') AND item_id <> '' "
            "GROUP BY item_kind, item_id"
        )
    most = max((int(clicks) for _kind, _id, clicks, _shown in rows), default=0)
    now = clock.now()
    popularity = [
        ItemPopularity(
            item=f"{kind}:{item_id}",
            clicks=int(clicks),
            impressions=int(shown),
            score=math.log1p(int(clicks)) / math.log1p(most) if most else 0.0,
            refreshed_at=now,
        )
        for kind, item_id, clicks, shown in rows
    ]
    with transaction.atomic():
        ItemPopularity.objects.all().delete()
        ItemPopularity.objects.bulk_create(popularity, batch_size=1000)
        _index_changed()
    return len(popularity)


# ---------------------------------------------------------------------------------------------
# Analytics events


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Searcher:
    """Who searched, for the event: a creator, or an anonymous visitor or API caller."""

    creator: Creator | None = None
    anonymous_id: str = ""
    language: str = ""


def _identity(searcher: Searcher) -> dict[str, Any]:
    creator = searcher.creator
    if creator is not None:
        return {
            "creator_id": creator.external_id,
            "context": taxonomy.Context(region=creator.region, language=creator.language),
        }
    return {
        "anonymous_id": searcher.anonymous_id[:64],
        "context": taxonomy.Context(language=searcher.language),
    }


def search_logged(
    *,
    searcher: Searcher,
    query: str,
    results: int,
    request_id: str,
    surface: str,
    entry_point: str = "search",
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record a `search` event: the query as searched, how many results, where it came from."""
    track_event(
        server_event(
            taxonomy.Search,
            entry_point=entry_point,
            request_id=request_id,
            properties={"query": query, "results": results, "surface": surface, **(details or {})},
            **_identity(searcher),
        )
    )


def search_click_logged(
    *, searcher: Searcher, query: str, item: str, rank: int, request_id: str
) -> None:
    """Record a `search_click` event: the result at ``rank`` (1 = first) was opened."""
    item_kind, _sep, item_id = item.partition(":")
    track_event(
        server_event(
            taxonomy.SearchClick,
            entry_point="search",
            request_id=request_id,
            item_kind=item_kind,
            item_id=item_id,
            position=rank - 1,
            properties={"query": query, "rank": rank},
            **_identity(searcher),
        )
    )
