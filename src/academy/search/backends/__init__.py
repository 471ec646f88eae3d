"""The search backend interface and the choice of backend by the database in use.

Two real implementations: SQLite FTS5 (`sqlite.py`) and PostgreSQL full-text search with
pg_trgm (`postgres.py`). Both index the `SearchDocument` table and answer the same questions;
everything above them (query parsing, typo correction, the ranking blend, pages and the API) is
shared, so the two engines differ only in how they match, score and highlight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

if TYPE_CHECKING:
    from academy.search.models import SearchDocument

# Relative weights of the indexed fields: title > hashtags > summary > body.
FIELD_WEIGHTS = {"title": 10.0, "hashtags": 6.0, "summary": 3.5, "body": 1.0}
HEAD_FIELDS = ("title", "hashtags", "summary")
# Matching is two tiers: documents matching in their title, hashtags or summary (the "head"),
# then documents matching only with their body. Each tier ranks at most its MATCH_CAP most
# recently indexed matches (or as many as asked for, if more), so a word in most documents
# costs no more than a rare one.
MATCH_CAP = 100


@dataclass(frozen=True)
class Filters:
    """What the searcher narrowed results to; None means any."""

    kind: str | None = None
    level: str | None = None
    language: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class MatchQuery:
    """Which documents match: every group must match, and a group matches when any of its words
    does. ``prefix_last`` also matches the last group's first word as the start of a word
    (autocomplete)."""

    groups: tuple[tuple[str, ...], ...]
    prefix_last: bool = False

    @classmethod
    def of_terms(cls, terms: tuple[str, ...], *, any_word: bool = False) -> MatchQuery:
        """All the terms (the default), or any one of them."""
        return cls(groups=(terms,) if any_word else tuple((term,) for term in terms))


@dataclass(frozen=True)
class Candidate:
    """A matching document and its text relevance (higher is better, above 0)."""

    document_id: int
    item: str
    language: str
    level: str
    topic: str
    text_score: float


@dataclass(frozen=True)
class Highlight:
    """Engine output with text.MARK_START/MARK_END around matches (not yet escaped)."""

    title: str
    snippet: str


class SearchBackend(Protocol):
    vendor: str

    def candidates(self, query: MatchQuery, filters: Filters, *, limit: int) -> Matches:
        """The best ``limit`` matching documents, best first, as ``tiered`` orders them."""
        ...

    def candidates_many(
        self, queries: Sequence[tuple[MatchQuery, int]], filters: Filters, *, limit: int
    ) -> dict[MatchQuery, Matches]:
        """``candidates`` of a chain of (query, fewer_than): the first query, then each next
        one while every query before it found fewer items (distinct ``Candidate.item``) than
        its ``fewer_than``; the queries not asked for are left out of the answer."""
        ...

    def highlights(
        self, query: MatchQuery, documents: Sequence[SearchDocument]
    ) -> dict[int, Highlight]:
        """The title with its matches marked and the best passage of the body or summary, by
        document id (``documents`` as read for the page, bodies included)."""
        ...

    def similar_terms(self, key: str, *, limit: int) -> list[tuple[str, str, int]]:
        """Vocabulary entries (key, word, documents) that look like the folded word ``key``."""
        ...

    def rebuild(self) -> None:
        """Recreate the engine's own structures from the SearchDocument and SearchTerm rows."""
        ...


def backend_for(
    db: BaseDatabaseWrapper | None = None, *, version: int | None = None
) -> SearchBackend:
    """The backend of the database in use (``connection.vendor``). ``version`` is the index's
    version token (models.IndexVersion) when the caller has read it: what a backend caches
    about the index is kept while it holds."""
    db = db or connection
    if db.vendor == "sqlite":
        from academy.search.backends.sqlite import SqliteBackend

        return SqliteBackend(db)
    if db.vendor == "postgresql":
        from academy.search.backends.postgres import PostgresBackend

        return PostgresBackend(db, version=version)
    raise NotImplementedError(f"Search supports SQLite and PostgreSQL, not {db.vendor}.")


@dataclass(frozen=True)
class Matches:
    """The best matching documents, best first; ``complete`` when they are every match there
    is (so counting them needs no further query)."""

    candidates: list[Candidate]
    complete: bool


def tiered(head: list[Candidate], body: list[Candidate], *, limit: int, complete: bool) -> Matches:
    """Head matches first (text score 1 + relevance / best head relevance), then the other
    body matches (relevance / best body relevance): every score above 0, at most 2."""
    best_head = max((c.text_score for c in head), default=0.0) or 1.0
    best_body = max((c.text_score for c in body), default=0.0) or 1.0
    seen = {c.document_id for c in head}
    ranked = [
        Candidate(c.document_id, c.item, c.language, c.level, c.topic, 1 + c.text_score / best_head)
        for c in head
    ]
    ranked += [
        Candidate(c.document_id, c.item, c.language, c.level, c.topic, c.text_score / best_body)
        for c in body
        if c.document_id not in seen
    ]
    return Matches(candidates=ranked[:limit], complete=complete)
