"""The published catalogue as the feed sees it: one entry per item, with its texts per language.

Built from search's index (`SearchDocument`: one row per published item and language, kept in
step with publishing), so the feed and search agree on what is live. Each serving process keeps
one snapshot and rebuilds it when the index changes (checked at most every few seconds), with
numpy arrays of the item attributes the ranking features read.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
import numpy.typing as npt

from academy.search.models import IndexVersion, ItemPopularity, SearchDocument
from academy.search.selectors import document_url

RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class ItemText:
    title: str
    summary: str
    parent_title: str
    url: str


@dataclass(frozen=True)
class CatalogueItem:
    index: int
    item: str  # "<item_kind>:<item_id>", as events name it
    item_kind: str
    kind: str  # course, video, article, quiz, live, wiki
    topic: str
    level: str
    group: str  # the course a lesson belongs to (its own key for courses and wiki articles)
    hashtags: tuple[str, ...]
    original_language: str
    published_at: datetime | None
    texts: dict[str, ItemText] = field(compare=False)

    def text(self, language: str) -> tuple[ItemText, str]:
        """The item's text in ``language`` when translated, else in its original language."""
        if language in self.texts:
            return self.texts[language], language
        return self.texts[self.original_language], self.original_language


@dataclass(frozen=True, eq=False)
class Catalogue:
    items: list[CatalogueItem]
    index: dict[str, int]
    topics: npt.NDArray[np.int32]  # topic code per item
    topic_codes: dict[str, int]
    levels: npt.NDArray[np.int8]  # 0 none, 1 beginner, 2 intermediate, 3 advanced
    groups: npt.NDArray[np.int32]
    kinds: npt.NDArray[np.int8]  # index into KINDS
    published_days: npt.NDArray[np.float64]  # days since the epoch (NaN: unknown)
    popularity: npt.NDArray[np.float64]  # search's 28-day popularity score, 0..1
    # 28-day click-through relative to the catalogue's (1.0 = average), smoothed towards 1.0
    # by CTR_PRIOR_IMPRESSIONS: an item's quality, which raw clicks confound with exposure.
    ctr_lift: npt.NDArray[np.float64]
    languages: dict[str, npt.NDArray[np.bool_]]  # language -> items readable in it
    version: tuple[int, str]

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def lessons_by_group(self) -> dict[str, list[CatalogueItem]]:
        """Each course's lessons (by group, "course:<slug>"), in catalogue order."""
        found: dict[str, list[CatalogueItem]] = {}
        for item in self.items:
            if item.item_kind == "lesson":
                found.setdefault(item.group, []).append(item)
        return found

    @cached_property
    def popularity_order(self) -> npt.NDArray[np.int64]:
        """Item indices, most popular first (equal popularity: lower index first)."""
        return np.argsort(-self.popularity, kind="stable").astype(np.int64)

    @cached_property
    def popularity_rank(self) -> npt.NDArray[np.int64]:
        """Each item's position in `popularity_order`."""
        rank = np.empty(len(self.items), dtype=np.int64)
        rank[self.popularity_order] = np.arange(len(self.items))
        return rank

    @cached_property
    def popularity_order_by_topic(self) -> dict[int, npt.NDArray[np.int64]]:
        """Each topic code's items, most popular first (`popularity_order` restricted to it)."""
        order = self.popularity_order
        topics = self.topics[order]
        return {int(topic): order[topics == topic] for topic in np.unique(topics)}

    @cached_property
    def hashtag_items(self) -> dict[str, npt.NDArray[np.int64]]:
        """Each hashtag's items (indices, ascending), for the hashtag entry point."""
        found: dict[str, list[int]] = {}
        for item in self.items:
            for tag in item.hashtags:
                found.setdefault(tag, []).append(item.index)
        return {tag: np.array(indices, dtype=np.int64) for tag, indices in found.items()}

    @cached_property
    def newest_order(self) -> npt.NDArray[np.int64]:
        """Item indices, most recently published first (equal: lower index first; unknown
        publication last)."""
        return np.argsort(-self.published_days, kind="stable").astype(np.int64)

    def prepare(self) -> None:
        """Compute the per-catalogue lookups now, so no request pays for them."""
        for name in (
            "lessons_by_group",
            "popularity_order",
            "popularity_rank",
            "popularity_order_by_topic",
            "hashtag_items",
            "newest_order",
        ):
            getattr(self, name)


KINDS = ("course", "video", "article", "quiz", "live", "wiki")
LEVELS = {"": 0, "beginner": 1, "intermediate": 2, "advanced": 3}


def _version() -> tuple[int, str]:
    """Changes when an item is indexed or removed, or popularity is refreshed: search's index
    version, one row read by its key."""
    token = IndexVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    return int(token or 0), ""


def _build(version: tuple[int, str]) -> Catalogue:
    by_item: dict[str, list[SearchDocument]] = {}
    for document in SearchDocument.objects.defer("body").order_by("item", "-is_original"):
        by_item.setdefault(document.item, []).append(document)
    counts = {
        item: (score, clicks, impressions)
        for item, score, clicks, impressions in ItemPopularity.objects.values_list(
            "item", "score", "clicks", "impressions"
        )
    }
    popularity = {item: score for item, (score, _c, _i) in counts.items()}
    items: list[CatalogueItem] = []
    for key in sorted(by_item):
        documents = by_item[key]
        original = documents[0]
        group = f"course:{original.course_slug}" if original.course_slug else key
        items.append(
            CatalogueItem(
                index=len(items),
                item=key,
                item_kind=original.item_kind,
                kind=original.kind,
                topic=original.topic,
                level=original.level,
                group=group,
                hashtags=tuple(original.hashtags.split()),
                original_language=original.language,
                published_at=original.published_at,
                texts={
                    document.language: ItemText(
                        title=document.title,
                        summary=document.summary,
                        parent_title=document.parent_title,
                        url=document_url(document),
                    )
                    for document in documents
                },
            )
        )
    topic_codes = {topic: code for code, topic in enumerate(sorted({i.topic for i in items}))}
    group_codes = {group: code for code, group in enumerate(sorted({i.group for i in items}))}
    languages = sorted({language for item in items for language in item.texts})
    return Catalogue(
        items=items,
        index={item.item: item.index for item in items},
        topics=np.array([topic_codes[i.topic] for i in items], dtype=np.int32),
        topic_codes=topic_codes,
        levels=np.array([LEVELS.get(i.level, 0) for i in items], dtype=np.int8),
        groups=np.array([group_codes[i.group] for i in items], dtype=np.int32),
        kinds=np.array([KINDS.index(i.kind) if i.kind in KINDS else 0 for i in items], np.int8),
        published_days=np.array(
            [i.published_at.timestamp() / 86400 if i.published_at else np.nan for i in items]
        ),
        popularity=np.array([float(popularity.get(i.item, 0.0)) for i in items]),
        ctr_lift=_ctr_lift([counts.get(i.item, (0.0, 0, 0)) for i in items]),
        languages={
            language: np.array([language in i.texts for i in items], dtype=np.bool_)
            for language in languages
        },
        version=version,
    )


CTR_PRIOR_IMPRESSIONS = 100


def _ctr_lift(counts: list[tuple[float, int, int]]) -> npt.NDArray[np.float64]:
    clicks = np.array([c for _s, c, _i in counts], dtype=np.float64)
    shown = np.array([i for _s, _c, i in counts], dtype=np.float64)
    overall = clicks.sum() / shown.sum() if shown.sum() else 0.0
    if overall == 0.0:
        return np.ones(len(counts))
    smoothed = (clicks + CTR_PRIOR_IMPRESSIONS * overall) / (shown + CTR_PRIOR_IMPRESSIONS)
    return np.asarray(smoothed / overall, dtype=np.float64)


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.catalogue: Catalogue | None = None
        self.checked = 0.0


_cache = _Cache()


def catalogue() -> Catalogue:
    """This process's snapshot of the published catalogue, rebuilt when the index changed.

    Between checks the snapshot is returned without taking the lock; while one thread checks
    (or rebuilds), the others keep serving the snapshot they have instead of waiting."""
    current = _cache.catalogue
    if current is not None and time.monotonic() - _cache.checked < RECHECK_SECONDS:
        return current
    if current is None:
        _cache.lock.acquire()
    elif not _cache.lock.acquire(blocking=False):
        return current
    try:
        now = time.monotonic()
        current = _cache.catalogue
        if current is not None and now - _cache.checked < RECHECK_SECONDS:
            return current
        version = _version()
        if current is None or current.version != version:
            current = _build(version)
            current.prepare()
            _cache.catalogue = current
        _cache.checked = now
        return current
    finally:
        _cache.lock.release()


def catalogue_forget() -> None:
    """Drop this process's snapshot (tests, and after a bulk reindex)."""
    with _cache.lock:
        _cache.catalogue = None
