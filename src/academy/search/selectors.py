"""Reads of search: results pages, autocomplete, hashtag pages and the searcher's profile.

The page, the JSON API and the host-app entry point all call `search_documents`, so they can
never disagree about what a query finds.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import quote

from django.db import connection
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.catalog.choices import Level, PublishStatus
from academy.catalog.models import Course, Hashtag, Lesson, Topic, WikiArticle
from academy.catalog.services import hashtag_normalise
from academy.core.errors import NotFound, ValidationFailed
from academy.core.validation import require_choice, require_language
from academy.search.backends import Candidate, Filters, Highlight, MatchQuery, backend_for
from academy.search.evaluation import Evaluation, LabelledQuery, evaluate, load_labels
from academy.search.models import IndexVersion, ItemPopularity, SearchDocument, SearchTerm
from academy.search.ranking import (
    DEFAULT_WEIGHTS,
    Ranked,
    Scored,
    SearcherProfile,
    Weights,
    rank,
    topics_for_goals,
)
from academy.search.text import (
    ParsedQuery,
    closest_word,
    fold,
    marked_html,
    one_edit_away,
    parse_query,
    words,
)

# The blend re-orders this many of the engine's best matches (more for deep pages).
RERANK_WINDOW = 50
# With fewer items than this matching every word, items matching some words follow them, their
# text relevance scaled so the best of them scores at most this share of the last full match.
FEW_RESULTS = 5
PARTIAL_MATCH_SHARE = 0.5
MAX_PAGE = 50
MAX_PAGE_SIZE = 50
SIMILAR_TERMS = 50
KINDS = ("course", "video", "article", "quiz", "live", "wiki")


def searcher_profile(*, creator: Creator | None, language: str) -> SearcherProfile:
    """Whose results: their ``language`` first and, for a creator with personalisation on,
    their level and goal topics."""
    if creator is None or not creator.personalisation_consent:
        return SearcherProfile(language=language)
    return SearcherProfile(
        language=language, level=creator.level, topics=topics_for_goals(creator.goals)
    )


def search_filters(
    *,
    kind: str | None = None,
    level: str | None = None,
    language: str | None = None,
    topic: str | None = None,
) -> Filters:
    """Filters from a request, each checked against what exists; a 400 names a wrong one."""
    if kind:
        require_choice("kind", kind, KINDS)
    if level:
        require_choice("level", level, Level.values)
    if language:
        require_language(language)
    if topic and not Topic.objects.filter(slug=topic).exists():
        raise ValidationFailed(
            _("There is no topic “%(topic)s”.") % {"topic": topic},
            errors={"topic": _("Choose one of the offered options.")},
        )
    return Filters(
        kind=kind or None, level=level or None, language=language or None, topic=topic or None
    )


@dataclass(frozen=True)
class SearchHit:
    """One result as every surface shows it; ``title_html`` and ``snippet_html`` are escaped
    text with the matches in <mark>."""

    rank: int
    item: str
    item_kind: str
    item_id: str
    kind: str
    language: str
    is_original: bool
    level: str
    topic: str
    topic_name: str
    title: str
    title_html: str
    snippet_html: str
    url: str
    hashtags: list[str]
    parent_title: str
    score: float
    slug: str
    course_slug: str

    @property
    def stable_key(self) -> str:
        """course:<slug>, lesson:<course>/<lesson> or wiki:<slug>: the same in every database."""
        if self.item_kind == "lesson":
            return f"lesson:{self.course_slug}/{self.slug}"
        return self.item


@dataclass(frozen=True)
class SearchPage:
    """A page of results for ``query``. When nothing matched and a spelling fix did,
    ``corrected`` is True and ``searched`` is the fixed query; otherwise ``suggestion`` may offer
    a fix ("did you mean")."""

    query: ParsedQuery
    searched: str
    corrected: bool
    suggestion: str | None
    hashtag: str | None
    hits: list[SearchHit]
    total: int
    page: int
    page_size: int
    filters: Filters = field(default_factory=Filters)
    # True when more items match than the engine was asked for: `total` is a lower bound.
    more: bool = False

    @property
    def pages(self) -> int:
        """Pages known to hold results (more may follow when ``more``)."""
        return max(1, math.ceil(min(self.total, MAX_PAGE * self.page_size) / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.more and self.page < MAX_PAGE)


def document_url(document: SearchDocument) -> str:
    if document.item_kind == "course":
        return _url_with("catalog:course", course_slug=document.slug)
    if document.item_kind == "lesson":
        return _url_with(
            "catalog:lesson", course_slug=document.course_slug, lesson_slug=document.slug
        )
    return _url_with("catalog:wiki_article", slug=document.slug)


_SLOT = "00slot{}00"


@functools.lru_cache(maxsize=256)
def _url_pattern(name: str, keys: tuple[str, ...], language: str | None, prefix: str) -> str:
    """``name``'s URL with a placeholder per key, reversed once per language and script
    prefix (both part of the URL): a page of results costs one string substitution per link
    instead of ten `reverse` calls."""
    return reverse(name, kwargs={key: _SLOT.format(n) for n, key in enumerate(keys)})


def _url_with(name: str, **slugs: str) -> str:
    keys = tuple(slugs)
    url = _url_pattern(name, keys, get_language(), get_script_prefix())
    for n, key in enumerate(keys):
        url = url.replace(_SLOT.format(n), quote(slugs[key], safe=""))
    return url


def result_url(*, item: str) -> str:
    """Where a search result leads, while the item is still published."""
    document = SearchDocument.objects.filter(item=item).first()
    if document is None:
        raise NotFound(_("This result is no longer available: it may have been retired."))
    return document_url(document)


def _topic_name(slug: str, names: dict[str, str] | None, language: str) -> str:
    names = names or {}
    return str(names.get(language) or names.get("en") or slug)


@dataclass(frozen=True)
class _IndexFacts:
    """What every search looks up and what changes only with the index: each item's
    popularity score and the hashtags' names."""

    token: int
    popularity: dict[str, float]
    hashtags: frozenset[str]


class _IndexFactsCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.facts: _IndexFacts | None = None


_facts_cache = _IndexFactsCache()


def _index_facts() -> _IndexFacts:
    """The popularity and hashtag names as of the index's current version token: one lookup
    by key per search, the tables read again only when the token changed (popularity is
    refreshed daily, hashtags change with published content). Looking them up per search
    instead cost 5 to 6 ms on PostgreSQL at 100,000 items (docs/SEARCH.md)."""
    with connection.cursor() as cursor:  # plain SQL: once per search
        cursor.execute(f"SELECT token FROM {IndexVersion._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    token = int(row[0]) if row else 0
    facts = _facts_cache.facts
    if facts is not None and facts.token == token:
        return facts
    with _facts_cache.lock:
        facts = _facts_cache.facts
        if facts is None or facts.token != token:
            facts = _IndexFacts(
                token=token,
                popularity={
                    str(item): float(score)
                    for item, score in ItemPopularity.objects.values_list("item", "score")
                },
                hashtags=frozenset(Hashtag.objects.values_list("name", flat=True)),
            )
            _facts_cache.facts = facts
        return facts


def _popularity(items: Iterable[str], facts: _IndexFacts | None = None) -> dict[str, float]:
    """Each item's popularity score (ItemPopularity); items without one are left out."""
    known = (facts or _index_facts()).popularity
    return {item: known[item] for item in set(items) if item in known}


def _scored(candidates: Sequence[Candidate]) -> list[Scored]:
    return [
        Scored(c.document_id, c.item, c.language, c.level, c.topic, c.text_score)
        for c in candidates
    ]


# What a hit shows of its document, and the body the engine highlights, read in plain SQL with
# the topic's names: building the equivalent ORM query (a subquery annotation) cost about 1 ms
# of a page.
_HIT_COLUMNS = list(SearchDocument._meta.concrete_fields)
_HIT_FIELDS = tuple(field.attname for field in _HIT_COLUMNS)
# Table and column names from the models, never input.
_HIT_SQL = (  # noqa: S608
    "SELECT {columns}, t.names FROM {documents} d LEFT JOIN {topics} t ON t.slug = d.topic "
    "WHERE d.id IN ({{placeholders}})"
).format(
    columns=", ".join(f"d.{field.column}" for field in _HIT_COLUMNS),
    documents=SearchDocument._meta.db_table,
    topics=Topic._meta.db_table,
)


def _hit_documents(ids: Sequence[int]) -> dict[int, tuple[SearchDocument, dict[str, str] | None]]:
    """The documents and their topics' names, by id."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_HIT_SQL.format(placeholders=", ".join(["%s"] * len(ids))), list(ids))
        rows = cursor.fetchall()
    found = {}
    for *values, names in rows:
        document = SearchDocument(**dict(zip(_HIT_FIELDS, values, strict=True)))
        document.is_original = bool(document.is_original)  # SQLite gives 0 or 1
        found[int(document.pk)] = (document, json.loads(names) if isinstance(names, str) else names)
    return found


def _hits(
    ranked: Sequence[Ranked],
    *,
    first_rank: int,
    highlights: dict[int, Highlight],
    language: str,
    documents: dict[int, tuple[SearchDocument, dict[str, str] | None]] | None = None,
) -> list[SearchHit]:
    """The hits of ``ranked``, from ``documents`` (``_hit_documents``) if already read."""
    if documents is None:
        documents = _hit_documents([entry.document_id for entry in ranked])
    hits = []
    for offset, entry in enumerate(ranked):
        document, topic_names = documents[entry.document_id]
        highlight = highlights.get(document.pk)
        hits.append(
            SearchHit(
                rank=first_rank + offset,
                item=document.item,
                item_kind=document.item_kind,
                item_id=document.item_id,
                kind=document.kind,
                language=document.language,
                is_original=document.is_original,
                level=document.level,
                topic=document.topic,
                topic_name=_topic_name(document.topic, topic_names, language),
                title=document.title,
                title_html=(
                    marked_html(highlight.title)
                    if highlight and highlight.title
                    else escape(document.title)
                ),
                snippet_html=(
                    marked_html(highlight.snippet)
                    if highlight and highlight.snippet
                    else escape(document.summary)
                ),
                url=document_url(document),
                hashtags=document.hashtags.split(),
                parent_title=document.parent_title,
                score=round(entry.score, 4),
                slug=document.slug,
                course_slug=document.course_slug,
            )
        )
    return hits


# ---------------------------------------------------------------------------------------------
# "Did you mean"


def _vocabulary(keys: Iterable[str]) -> list[tuple[str, str, int]]:
    """(key, word, documents) of the vocabulary entries among ``keys``."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    placeholders = ", ".join(["%s"] * len(wanted))
    # Plain SQL: every search checks its words.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, word, documents FROM search_searchterm "  # noqa: S608
            f"WHERE key IN ({placeholders})",
            wanted,
        )
        return [(str(key), str(word), int(n)) for key, word, n in cursor.fetchall()]


@dataclass(frozen=True)
class _Vocabulary:
    token: int
    entries: dict[str, tuple[str, int]]


class _VocabularyCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.vocabulary: _Vocabulary | None = None


_vocabulary_cache = _VocabularyCache()


def _whole_vocabulary(token: int) -> dict[str, tuple[str, int]]:
    """Every vocabulary entry, key -> (word, documents), as of the index version ``token``:
    read when a search first has a word the index has never seen, then kept until the index
    changes. Looking up the few hundred words one edit away from a typo instead cost 3 to 10 ms
    per misspelled word on PostgreSQL (docs/SEARCH.md)."""
    vocabulary = _vocabulary_cache.vocabulary
    if vocabulary is not None and vocabulary.token == token:
        return vocabulary.entries
    with _vocabulary_cache.lock:
        vocabulary = _vocabulary_cache.vocabulary
        if vocabulary is None or vocabulary.token != token:
            entries = {
                str(key): (str(word), int(n))
                for key, word, n in SearchTerm.objects.values_list("key", "word", "documents")
            }
            vocabulary = _Vocabulary(token=token, entries=entries)
            _vocabulary_cache.vocabulary = vocabulary
        return vocabulary.entries


def spelling_fixes(terms: Sequence[str], facts: _IndexFacts | None = None) -> dict[str, str]:
    """Query words the index has never seen, each with the closest word it has.

    Candidates: every vocabulary word one edit away, and the words sharing most trigrams
    (backend.similar_terms); text.closest_word picks the fewest edits, then the commonest.
    """
    checkable = {fold(term): term for term in terms if term.isalpha() and len(term) >= 3}
    token = (facts or _index_facts()).token
    cached = _vocabulary_cache.vocabulary
    if cached is not None and cached.token == token:
        known = {key for key in checkable if key in cached.entries}
    else:
        known = {key for key, _word, _n in _vocabulary(checkable)}
    unknown = [key for key in checkable if key not in known]
    if not unknown:
        return {}
    vocabulary = _whole_vocabulary(token)
    backend = backend_for()
    fixes = {}
    for key in unknown:
        # One edit away covers most typos; only then look further, by shared trigrams.
        near = [
            (variant, *vocabulary[variant])
            for variant in one_edit_away(key)
            if variant in vocabulary
        ]
        fixed = closest_word(key, near)
        if fixed is None:
            fixed = closest_word(key, backend.similar_terms(key, limit=SIMILAR_TERMS))
        if fixed is not None and fold(fixed) != key:
            fixes[checkable[key]] = fixed
    return fixes


def _any_word(match: MatchQuery) -> MatchQuery:
    """Any of ``match``'s words."""
    return MatchQuery.of_terms(
        tuple(dict.fromkeys(word for group in match.groups for word in group)), any_word=True
    )


def _fixed_text(text: str, fixes: dict[str, str]) -> str:
    return " ".join(fixes.get(word, word) for word in words(text))


def _hashtag_in(query: ParsedQuery, facts: _IndexFacts) -> str | None:
    """A hashtag the query names (``#hook``, ``hook``, ``brand deals`` -> ``branddeals``)."""
    if not query.terms:
        return None
    names = [*query.terms, "".join(query.terms)]
    found = facts.hashtags
    return next((name for name in reversed(names) if name in found), None)


# ---------------------------------------------------------------------------------------------
# Search


def search_documents(
    *,
    query: str,
    profile: SearcherProfile,
    filters: Filters | None = None,
    page: int = 1,
    page_size: int = 10,
    weights: Weights = DEFAULT_WEIGHTS,
) -> SearchPage:
    """A page of results: matches ranked by the blend (ranking.py), with highlights.

    All the query's words must match; when nothing does, a spelling fix is tried, then any of
    the words. The query is never passed to an engine as typed (see text.parse_query).
    """
    filters = filters or Filters()
    page = min(max(page, 1), MAX_PAGE)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    parsed = parse_query(query)
    empty = SearchPage(
        query=parsed, searched=parsed.text, corrected=False, suggestion=None, hashtag=None,
        hits=[], total=0, page=page, page_size=page_size, filters=filters,
    )  # fmt: skip
    if parsed.is_empty:
        return empty
    terms = parsed.terms
    facts = _index_facts()
    backend = backend_for(version=facts.token)
    fixes = spelling_fixes(terms, facts)
    window = max(RERANK_WINDOW, page * page_size)
    # An item may match in several languages: fetch more documents than `window` items.
    limit = window * (1 if filters.language else 2)

    match = MatchQuery.of_terms(terms)
    fixed_match = (
        MatchQuery.of_terms(tuple(dict.fromkeys(fixes.get(t, t) for t in terms))) if fixes else None
    )
    # What this page may run, asked for as a chain (one statement on PostgreSQL): the query as
    # typed; when a word is unknown and it found nothing, the fixed query; when the latter of
    # them found few items, any of its words.
    chain = [(match, 0)]
    if fixed_match is not None:
        chain.append((fixed_match, 1))
    if len((fixed_match or match).groups) > 1:
        chain.append((_any_word(fixed_match or match), FEW_RESULTS))
    answered = backend.candidates_many(chain, filters, limit=limit)

    def matches(match: MatchQuery) -> tuple[list[Candidate], int, bool]:
        # Items found, and whether there are more: counting every match of a common word would
        # cost more than the search itself, so a page says "more than N results" instead.
        found = answered.get(match) or backend.candidates(match, filters, limit=limit)
        return found.candidates, len({c.item for c in found.candidates}), not found.complete

    candidates, total, more = matches(match)
    searched, corrected = parsed.text, False
    if total == 0 and fixed_match is not None:
        fixed = matches(fixed_match)
        if fixed[1]:
            match, (candidates, total, more) = fixed_match, fixed
            searched, corrected = _fixed_text(parsed.text, fixes), True
    if total < FEW_RESULTS and len(match.groups) > 1:
        # Few items have every word: add those with some of them, after the complete matches.
        broader = _any_word(match)
        complete = {candidate.document_id for candidate in candidates}
        worst = min((candidate.text_score for candidate in candidates), default=0.0)
        broader_candidates, total, more = matches(broader)
        partial = [c for c in broader_candidates if c.document_id not in complete]
        top = max((c.text_score for c in partial), default=0.0)
        scale = min(1.0, PARTIAL_MATCH_SHARE * worst / top) if partial and worst else 1.0
        candidates += [replace(c, text_score=c.text_score * scale) for c in partial]
        match = broader
    suggestion = _fixed_text(parsed.text, fixes) if fixes and not corrected else None
    hashtag = _hashtag_in(parsed, facts)
    if total == 0:
        return SearchPage(
            query=parsed, searched=searched, corrected=corrected, suggestion=suggestion,
            hashtag=hashtag, hits=[], total=0, page=page, page_size=page_size, filters=filters,
        )  # fmt: skip
    ranked = rank(
        _scored(candidates),
        profile=profile,
        popularity=_popularity((candidate.item for candidate in candidates), facts),
        weights=weights,
    )
    start = (page - 1) * page_size
    shown = ranked[start : start + page_size]
    documents = _hit_documents([entry.document_id for entry in shown])
    highlights = backend.highlights(match, [document for document, _names in documents.values()])
    return SearchPage(
        query=parsed, searched=searched, corrected=corrected, suggestion=suggestion,
        hashtag=hashtag, total=total, page=page, page_size=page_size, filters=filters,
        more=more,
        hits=_hits(
            shown, first_rank=start + 1, highlights=highlights, language=profile.language,
            documents=documents,
        ),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Autocomplete


@dataclass(frozen=True)
class Suggestion:
    """A completed query (``url`` empty: search for ``text``) or an item to open."""

    text: str
    kind: str  # "query", or the item's kind: course, video, article, quiz, live, wiki
    url: str


COMPLETIONS = 5
ITEM_SUGGESTIONS = 5


def _completions(prefix_key: str) -> list[str]:
    if not prefix_key:
        return []
    return list(
        SearchTerm.objects.filter(key__gte=prefix_key, key__lt=prefix_key + "\U0010ffff")
        .order_by("-documents", "key")
        .values_list("word", flat=True)[:COMPLETIONS]
    )


def search_suggestions(*, query: str, profile: SearcherProfile) -> list[Suggestion]:
    """Completions of the word being typed, then items whose titles and text match so far."""
    parsed = parse_query(query)
    if parsed.is_empty:
        return []
    typed = words(parsed.text)
    still_typing = not query.endswith(" ") and typed and typed[-1] == parsed.terms[-1]
    head, last = parsed.terms[:-1], parsed.terms[-1]
    completions = _completions(fold(last)) if still_typing else []
    before = " ".join(typed[:-1])
    suggestions = [
        Suggestion(text=f"{before} {word}".strip(), kind="query", url="")
        for word in completions
        if word != last
    ]
    groups = tuple((term,) for term in head)
    if still_typing:
        match = MatchQuery(groups=(*groups, (last, *completions)), prefix_last=True)
    else:
        match = MatchQuery.of_terms(parsed.terms)
    candidates = backend_for().candidates(match, Filters(), limit=ITEM_SUGGESTIONS * 3).candidates
    ranked = rank(_scored(candidates), profile=profile, popularity={})[:ITEM_SUGGESTIONS]
    documents = SearchDocument.objects.in_bulk([entry.document_id for entry in ranked])
    for entry in ranked:
        document = documents[entry.document_id]
        suggestions.append(
            Suggestion(text=document.title, kind=document.kind, url=document_url(document))
        )
    return suggestions


# ---------------------------------------------------------------------------------------------
# Hashtag pages


def _published_count(model: type[Course] | type[Lesson] | type[WikiArticle]) -> Coalesce:
    """How many published items of ``model`` carry the outer query's hashtag."""
    per_tag = (
        model.objects.filter(status=PublishStatus.PUBLISHED, hashtags=OuterRef("pk"))
        .order_by()
        .values("hashtags")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(per_tag), Value(0))


def popular_hashtags(*, limit: int = 12) -> list[str]:
    """The hashtags the most published courses, lessons and articles carry."""
    return list(
        Hashtag.objects.annotate(
            items=_published_count(Course)
            + _published_count(Lesson)
            + _published_count(WikiArticle)
        )
        .filter(items__gt=0)
        .order_by("-items", "name")
        .values_list("name", flat=True)[:limit]
    )


@dataclass(frozen=True)
class RelatedHashtag:
    name: str
    items: int


@dataclass(frozen=True)
class HashtagPage:
    tag: str
    hits: list[SearchHit]
    total: int
    page: int
    page_size: int
    related: list[RelatedHashtag]
    more: bool = False  # every item with the hashtag is counted

    @property
    def pages(self) -> int:
        return max(1, math.ceil(min(self.total, MAX_PAGE * self.page_size) / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


RELATED_HASHTAGS = 8


def _published_key(document: SearchDocument) -> datetime:
    return document.published_at or datetime.min.replace(tzinfo=UTC)


def hashtag_items(*, tag: str) -> set[str]:
    """Search keys of every item carrying the hashtag (published or not)."""
    hashtag = Hashtag.objects.filter(name=tag).first()
    if hashtag is None:
        raise NotFound(_("There is no hashtag #%(tag)s yet.") % {"tag": tag})
    courses = Course.objects.filter(hashtags=hashtag).values_list("slug", flat=True)
    lessons = Lesson.objects.filter(hashtags=hashtag).values_list("pk", flat=True)
    articles = WikiArticle.objects.filter(hashtags=hashtag).values_list("slug", flat=True)
    return (
        {f"course:{slug}" for slug in courses}
        | {f"lesson:{pk}" for pk in lessons}
        | {f"wiki:{slug}" for slug in articles}
    )


def hashtag_page(
    *, tag: str, profile: SearcherProfile, page: int = 1, page_size: int = 10
) -> HashtagPage:
    """Published content with the hashtag, ranked for the searcher (popularity and profile,
    their language first, newest first on ties), and the hashtags found beside it."""
    name = hashtag_normalise(tag)
    page = min(max(page, 1), MAX_PAGE)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    documents = list(
        SearchDocument.objects.filter(item__in=hashtag_items(tag=name)).defer("body", "summary")
    )
    newest_first = sorted(documents, key=_published_key, reverse=True)
    order = {document.pk: position for position, document in enumerate(newest_first)}
    candidates = [Scored(d.pk, d.item, d.language, d.level, d.topic, text=1.0) for d in documents]
    ranked = sorted(
        rank(candidates, profile=profile, popularity=_popularity(d.item for d in documents)),
        key=lambda entry: (not entry.in_language, -entry.score, order[entry.document_id]),
    )
    start = (page - 1) * page_size
    hits = _hits(
        ranked[start : start + page_size], first_rank=start + 1, highlights={},
        language=profile.language,
    )  # fmt: skip
    by_item: dict[str, set[str]] = {}
    for document in documents:
        by_item.setdefault(document.item, set()).update(document.hashtags.split())
    related = Counter(other for tags in by_item.values() for other in tags if other != name)
    return HashtagPage(
        tag=name, hits=hits, total=len(ranked), page=page, page_size=page_size,
        related=[
            RelatedHashtag(other, count)
            for other, count in sorted(related.items(), key=lambda pair: (-pair[1], pair[0]))
        ][:RELATED_HASHTAGS],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Quality


def search_quality(*, queries: Sequence[LabelledQuery] | None = None) -> Evaluation:
    """MRR and NDCG@10 of the labelled queries (evaluation.yaml) against the current index."""
    queries = load_labels() if queries is None else queries
    indexed = {
        f"lesson:{course_slug}/{slug}" if kind == "lesson" else f"{kind}:{item_id}"
        for kind, item_id, slug, course_slug in SearchDocument.objects.values_list(
            "item_kind", "item_id", "slug", "course_slug"
        ).distinct()
    }
    missing = sorted({key for query in queries for key in query.relevant} - indexed)
    if missing:
        raise NotFound(
            _(
                "%(count)d labelled items are not in the search index (%(first)s, …): load the "
                "demo content with `academy content load`, then run `academy search reindex`."
            )
            % {"count": len(missing), "first": missing[0]}
        )

    def run(query: LabelledQuery) -> list[str]:
        page = search_documents(
            query=query.query, profile=SearcherProfile(language=query.language), page_size=10
        )
        return [hit.stable_key for hit in page.hits]

    return evaluate(queries, run)
