"""Reads of the For You feed: the candidate sources, ranking and the page a creator gets.

Pipeline (docs/RECSYS.md): candidate sources → features → the learned ranker (or the
documented heuristic before the first training) → re-ranking (diversity, exploration) →
cards with a reason. Everything a creator did in the last minutes (clicks, completions,
"not interested", hidden topics) is read from the database on every request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Model
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.catalog.choices import PublishStatus
from academy.catalog.models import Course
from academy.core import clock
from academy.learning.models import Enrollment, LessonProgress
from academy.recsys.catalogue import LEVELS, Catalogue, CatalogueItem, catalogue
from academy.recsys.model_store import ForYouModel, PersonalScores, current_model
from academy.recsys.models import (
    FeedPreference,
    FeedSession,
    InteractionKind,
    RecentInteraction,
    Suppression,
)
from academy.recsys.ranking import (
    FEATURES,
    Profile,
    Signals,
    Slot,
    feature_matrix,
    heuristic_scores,
    rerank,
)
from academy.search.ranking import topics_for_goals

# Editorial knowledge: which catalogue topics suit a creator's niche (goals: search.ranking).
NICHE_TOPICS = {
    "business": ("commerce", "monetisation"),
    "beauty": ("brand-partnerships",),
    "gaming": ("live",),
    "music": ("live",),
    "dance": ("live",),
    "education": ("content-strategy",),
    "lifestyle": ("wellbeing",),
    "tech": ("creation-essentials",),
    "food": ("commerce",),
}
SOURCE_SIZE = 100
FRESH_DAYS = 14
RECENT_WINDOW = timedelta(days=1)
RECENT_LIMIT = 50
EXPLORATION = 0.1
# Weights of a creator's interactions in the history the models read.
INTERACTION_WEIGHTS = {
    InteractionKind.CLICK: 1.0,
    InteractionKind.COMPLETE: 3.0,
    InteractionKind.NOT_INTERESTED: 0.0,
}


@dataclass(frozen=True)
class FeedCard:
    item: str
    item_kind: str
    kind: str
    title: str
    summary: str
    course_title: str
    url: str
    topic: str
    level: str
    language: str
    reason: str
    reason_code: str
    score: float
    propensity: float
    position: int = 0


@dataclass(frozen=True)
class CreatorState:
    """What the feed reads about a creator on every request."""

    personalised: bool
    suppressed_items: frozenset[str]
    suppressed_topics: frozenset[str]
    completed: frozenset[str]
    recent: dict[str, float]  # item -> weight, newest interactions
    next_lessons: dict[str, str]  # lesson item -> course title
    history_reset_at: datetime | None  # the creator's "reset": older history is ignored
    editorial: frozenset[str] = frozenset()  # published editorial picks (read alongside)


# One round trip for everything the feed reads per request: rows of (what, text, text, number,
# moment) from each table, tagged with what they are. Written as SQL once per process: building
# the same UNION with the ORM on every request costs more than the seven reads it replaces.
_SUPPRESSION, _COMPLETED, _RECENT, _ENROLLED, _PREFERENCE, _EDITORIAL = "s", "c", "r", "e", "p", "x"
_Row = tuple[str, str, str, int, datetime | None]


@functools.cache
def _state_sql(vendor: str, *, personalised: bool) -> str:
    """The query of `_state_rows` (parameters: see there), table and column names from the
    models."""

    def table(model: type[Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def column(model: type[Model], name: str, alias: str = "") -> str:
        quoted = connection.ops.quote_name(str(model._meta.get_field(name).column))  # type: ignore[union-attr]
        return f"{alias}.{quoted}" if alias else quoted

    def pk(model: type[Model]) -> str:
        return connection.ops.quote_name(str(model._meta.pk.column))

    parts = [
        # First: the part whose columns have the real types.
        f"SELECT '{_COMPLETED}', '', '', {column(LessonProgress, 'lesson')}, "  # noqa: S608
        f"{column(LessonProgress, 'completed_at')} FROM {table(LessonProgress)} "
        f"WHERE {column(LessonProgress, 'creator')} = %s "
        f"AND {column(LessonProgress, 'completed_at')} IS NOT NULL",
        f"SELECT '{_SUPPRESSION}', {column(Suppression, 'item')}, "  # noqa: S608
        f"{column(Suppression, 'topic')}, 0, NULL FROM {table(Suppression)} "
        f"WHERE {column(Suppression, 'creator')} = %s",
        f"SELECT '{_PREFERENCE}', '', '', 0, {column(FeedPreference, 'history_reset_at')} "  # noqa: S608
        f"FROM {table(FeedPreference)} WHERE {column(FeedPreference, 'creator')} = %s",
        f"SELECT '{_EDITORIAL}', {column(Course, 'slug')}, '', 0, NULL FROM {table(Course)} "  # noqa: S608
        f"WHERE {column(Course, 'editorial_pick')} = %s AND {column(Course, 'status')} = %s",
    ]
    if personalised:
        recent = RecentInteraction
        parts.append(
            f"SELECT '{_RECENT}', {column(recent, 'item')}, {column(recent, 'kind')}, "  # noqa: S608
            f"{pk(recent)}, {column(recent, 'at')} FROM {table(recent)} WHERE {pk(recent)} IN "
            f"(SELECT {pk(recent)} FROM {table(recent)} WHERE {column(recent, 'creator')} = %s "
            f"AND {column(recent, 'at')} >= %s "
            f"ORDER BY {column(recent, 'at')} DESC, {pk(recent)} DESC LIMIT %s)"
        )
        parts.append(
            f"SELECT '{_ENROLLED}', {column(Course, 'slug', 'c')}, '', "  # noqa: S608
            f"e.{pk(Enrollment)}, {column(Enrollment, 'last_activity_at', 'e')} "
            f"FROM {table(Enrollment)} e JOIN {table(Course)} c "
            f"ON c.{pk(Course)} = {column(Enrollment, 'course', 'e')} "
            f"WHERE {column(Enrollment, 'creator', 'e')} = %s "
            f"AND {column(Enrollment, 'completed_at', 'e')} IS NULL"
        )
    return " UNION ALL ".join(parts)


def _moment(value: Any) -> datetime | None:
    """A timestamp column as the ORM would give it (SQLite gives naive UTC, or text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # stored in UTC
    return parsed


def _state_rows(creator: Creator, since: datetime | None) -> list[_Row]:
    """The creator's suppressions, completed lessons, preference, unfinished enrolments and
    (with ``since``) recent interactions, and the published editorial picks, in one query."""
    params: list[Any] = [creator.pk, creator.pk, creator.pk, True, PublishStatus.PUBLISHED.value]
    if since is not None:
        moment = connection.ops.adapt_datetimefield_value(since)
        params += [creator.pk, moment, RECENT_LIMIT, creator.pk]
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(connection.vendor, personalised=since is not None), params)
        return [
            (str(what), str(text or ""), str(other or ""), int(number or 0), _moment(at))
            for what, text, other, number, at in cursor.fetchall()
        ]


def creator_state(creator: Creator, cat: Catalogue, *, now: datetime | None = None) -> CreatorState:
    personalised = creator.personalisation_consent
    since = (now or clock.now()) - RECENT_WINDOW if personalised else None
    rows: dict[str, list[_Row]] = {}
    for row in _state_rows(creator, since):
        rows.setdefault(row[0], []).append(row)
    suppressions = rows.get(_SUPPRESSION, [])
    # Completed lessons in lesson order; recent interactions newest first (the same moment:
    # the last recorded first); enrolments by latest activity (the same: the first enrolled).
    completions = sorted(rows.get(_COMPLETED, []), key=lambda row: row[3])
    completed = {f"lesson:{lesson_id}" for _w, _t, _o, lesson_id, _at in completions}
    recent: dict[str, float] = {}
    next_lessons: dict[str, str] = {}
    if since is not None:
        newest = sorted(rows.get(_RECENT, []), key=lambda row: (row[4], row[3]), reverse=True)
        for _what, item, kind, _pk, _at in newest:
            recent[item] = recent.get(item, 0.0) + INTERACTION_WEIGHTS[InteractionKind(kind)]
        for _what, _text, _other, lesson_id, completed_at in completions:
            if completed_at is not None and completed_at >= since:
                item = f"lesson:{lesson_id}"
                weight = INTERACTION_WEIGHTS[InteractionKind.COMPLETE]
                recent[item] = recent.get(item, 0.0) + weight
        enrolled = sorted(rows.get(_ENROLLED, []), key=lambda row: row[3])
        enrolled.sort(key=lambda row: row[4] or datetime.min.replace(tzinfo=UTC), reverse=True)
        next_lessons = _next_lessons(creator, [row[1] for row in enrolled[:6]], completed, cat)
    preference = rows.get(_PREFERENCE)
    return CreatorState(
        personalised=personalised,
        suppressed_items=frozenset(item for _w, item, _topic, _n, _at in suppressions if item),
        suppressed_topics=frozenset(topic for _w, _item, topic, _n, _at in suppressions if topic),
        completed=frozenset(completed),
        recent={item: weight for item, weight in recent.items() if weight > 0},
        next_lessons=next_lessons,
        history_reset_at=preference[0][4] if preference else None,
        editorial=frozenset(f"course:{row[1]}" for row in rows.get(_EDITORIAL, [])),
    )


def _next_lessons(
    creator: Creator, courses: Sequence[str], completed: set[str], cat: Catalogue
) -> dict[str, str]:
    """The first unfinished published lesson of each of ``courses`` (slugs)."""
    found: dict[str, str] = {}
    for slug in courses:
        lessons = cat.lessons_by_group.get(f"course:{slug}", [])
        upcoming = next((lesson for lesson in lessons if lesson.item not in completed), None)
        if upcoming is not None:
            found[upcoming.item] = upcoming.text(creator.language)[0].parent_title
    return found


def profile_of(creator: Creator, cat: Catalogue, state: CreatorState) -> Profile:
    if not state.personalised:
        return Profile(language=creator.language)
    affinity = None
    if state.recent:
        counts = np.zeros(len(cat.topic_codes))
        for item, weight in state.recent.items():
            if item in cat.index:
                counts[cat.topics[cat.index[item]]] += weight
        if counts.sum() > 0:
            affinity = counts / counts.sum()
    niche = set(NICHE_TOPICS.get(creator.niche, ()))
    return Profile(
        language=creator.language,
        level=LEVELS.get(creator.level, 0),
        goal_topics=frozenset(
            cat.topic_codes[t] for t in topics_for_goals(creator.goals) if t in cat.topic_codes
        ),
        niche_topics=frozenset(cat.topic_codes[t] for t in niche if t in cat.topic_codes),
        topic_affinity=affinity,
    )


def _first_allowed(
    order: npt.NDArray[np.int64],
    k: int,
    keep: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.bool_]],
) -> list[int]:
    """The first ``k`` items of ``order`` that ``keep`` accepts, reading only as far as needed
    (``keep`` gets a block of item indices and answers a mask)."""
    picked: list[int] = []
    start, chunk = 0, max(4 * k, 256)
    while len(picked) < k and start < len(order):
        block = order[start : start + chunk]
        picked.extend(block[keep(block)][: k - len(picked)].tolist())
        start, chunk = start + chunk, chunk * 4
    return picked


def _most_popular_of_topics(
    cat: Catalogue, topics: Iterable[int], allowed: npt.NDArray[np.bool_], k: int
) -> list[int]:
    """The ``k`` most popular allowed items of ``topics``, most popular first: the first ``k``
    of the popularity order that are of those topics, read from each topic's own order. Read
    from the whole order, a creator whose topics have few items in their language scanned most
    of the catalogue (over 1 ms at 100,000 items)."""
    picked: list[int] = []
    for topic in topics:
        order = cat.popularity_order_by_topic.get(topic)
        if order is not None:
            picked.extend(_first_allowed(order, k, lambda block: allowed[block]))
    if not picked:
        return []
    found = np.array(picked, dtype=np.int64)
    return [int(i) for i in found[np.argsort(cat.popularity_rank[found])][:k]]


def _freshest(cat: Catalogue, allowed: npt.NDArray[np.bool_], today: float, k: int) -> list[int]:
    """The ``k`` allowed items published in the last FRESH_DAYS, newest first."""
    order = cat.newest_order
    picked: list[int] = []
    start, chunk = 0, max(4 * k, 256)
    while len(picked) < k and start < len(order):
        block = order[start : start + chunk]
        fresh = np.nan_to_num(today - cat.published_days[block], nan=1e9) <= FRESH_DAYS
        picked.extend(block[fresh & allowed[block]][: k - len(picked)].tolist())
        if not fresh.all():  # newest first: everything after this block is older
            break
        start, chunk = start + chunk, chunk * 4
    return picked


def cf_scores(
    model: ForYouModel | None, creator: Creator, state: CreatorState, cat: Catalogue
) -> PersonalScores | None:
    """The creator's item-kNN and ALS scores (None without a model or a history)."""
    if model is None or not state.personalised:
        return None
    trained_at = str(model.manifest.get("trained_at", ""))
    forget = state.history_reset_at is not None and trained_at < state.history_reset_at.isoformat()
    columns, weights = model.history(creator.external_id, state.recent, include_trained=not forget)
    if not len(columns):
        return None
    return model.personal_scores(cat, columns, weights)


def _top_pairs(items: npt.NDArray[np.int64], scores: npt.NDArray[np.float64], k: int) -> list[int]:
    """The ``k`` of ``items`` with the highest ``scores`` (aligned), best first (equal scores:
    lower item first)."""
    k = min(k, len(items))
    if k <= 0:
        return []
    if k < len(items):
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = scores >= kth
        items, scores = items[keep], scores[keep]
    order = np.lexsort((items, -scores))[:k]
    return [int(i) for i in items[order]]


def _allowed(
    creator: Creator, cat: Catalogue, state: CreatorState, exclude: Iterable[str]
) -> npt.NDArray[np.bool_]:
    allowed = cat.languages.get(creator.language)
    if allowed is None or not allowed.any():
        allowed = cat.languages.get("en", np.ones(len(cat), dtype=np.bool_))
    allowed = allowed.copy()
    for item in (*state.suppressed_items, *state.completed, *exclude):
        if item in cat.index:
            allowed[cat.index[item]] = False
    for topic in state.suppressed_topics:
        if topic in cat.topic_codes:
            allowed &= cat.topics != cat.topic_codes[topic]
    return allowed


@dataclass(frozen=True)
class Ranked:
    slots: list[Slot]
    sources: dict[int, str]
    model_version: str


def rank_for(
    creator: Creator,
    *,
    limit: int,
    exclude: Sequence[str] = (),
    seed: int | None = None,
    only: npt.NDArray[np.bool_] | None = None,
    explore: bool = True,
) -> tuple[Ranked, Catalogue, CreatorState]:
    """The creator's next ``limit`` cards, as catalogue slots with their sources."""
    cat = catalogue()
    now = clock.now()
    state = creator_state(creator, cat, now=now)
    model = current_model() if state.personalised else None
    allowed = _allowed(creator, cat, state, exclude)
    if only is not None:
        allowed &= only
    profile = profile_of(creator, cat, state)
    personal = cf_scores(model, creator, state, cat)
    found: list[npt.NDArray[np.int64]] = []
    found_sources: list[str] = []

    def add(indices: Iterable[int], source: str) -> None:
        block = np.fromiter(indices, dtype=np.int64)
        found.append(block[allowed[block]])
        found_sources.append(source)

    add((cat.index[item] for item in state.next_lessons if item in cat.index), "next_lesson")
    editorial = state.editorial
    add((cat.index[item] for item in editorial if item in cat.index), "editorial")
    if state.personalised:
        if personal is not None:
            near = allowed[personal.knn_items]  # the few items near the creator's history
            add(_top_pairs(personal.knn_items[near], personal.knn_values[near], SOURCE_SIZE),
                "because_you")  # fmt: skip
            head, head_scores = personal.als_head()
            fits = allowed[head] & (head_scores > 0)
            add(_top_pairs(head[fits], head_scores[fits], SOURCE_SIZE), "similar_creators")
        add(
            _most_popular_of_topics(
                cat, profile.goal_topics | profile.niche_topics, allowed, SOURCE_SIZE
            ),
            "your_goals",
        )
    today = now.timestamp() / 86400
    add(_freshest(cat, allowed, today, 50), "fresh")
    add(_first_allowed(cat.popularity_order, SOURCE_SIZE, lambda block: allowed[block]), "trending")
    # Each candidate once, credited to the first source that proposed it.
    everything = np.concatenate(found)
    proposed_by = np.repeat(np.arange(len(found)), [len(block) for block in found])
    candidates, first = np.unique(everything, return_index=True)
    candidate_sources = proposed_by[first]
    sources = {
        index: found_sources[source]
        for index, source in zip(candidates.tolist(), candidate_sources.tolist(), strict=True)
    }
    signals = Signals(
        item_knn=personal.knn_at(candidates) if personal else np.zeros(len(candidates)),
        als=personal.als_at(candidates) if personal else np.zeros(len(candidates)),
        next_lesson=candidate_sources == found_sources.index("next_lesson"),
        editorial=np.isin(
            candidates,
            np.array([cat.index[item] for item in editorial if item in cat.index], np.int64),
        ),
    )
    features = feature_matrix(cat, candidates, profile, signals, today=today)
    if not state.personalised:
        # Not personalised: popularity and freshness only, the same for everyone.
        scores = (
            features[:, FEATURES.index("popularity")]
            - 0.1 * features[:, FEATURES.index("age_days")]
        )
    elif model is not None and model.ranker is not None and len(candidates):
        scores = model.ranker.predict(features)
    else:
        scores = heuristic_scores(features)
    order = np.argsort(-scores, kind="stable")
    rng = np.random.default_rng(seed)
    explores = explore and state.personalised and bool(allowed.any())
    slots = rerank(
        cat,
        candidates[order].tolist(),
        scores[order].tolist(),
        limit=limit,
        exploration=EXPLORATION if explores else 0.0,
        explore_pool=allowed if explores else np.zeros(0, np.int64),
        rng=rng,
    )
    for slot in slots:
        if slot.explored:
            sources[slot.index] = "explore"
    return (
        Ranked(slots=slots, sources=sources, model_version=model.version if model else ""),
        cat,
        state,
    )


def _because_titles(
    model: ForYouModel | None,
    cat: Catalogue,
    indices: Sequence[int],
    state: CreatorState,
    language: str,
) -> dict[int, str]:
    """For each of ``indices``, the title of the item of the creator's recent history most
    similar to it (the first of equals; none without a positive similarity)."""
    if model is None or not indices:
        return {}
    history = [
        (item, model.item_index[item])
        for item in state.recent
        if item in model.item_index and item in cat.index
    ]
    targets = [(index, model.item_index.get(cat.items[index].item)) for index in indices]
    known = [(index, column) for index, column in targets if column is not None]
    if not history or not known:
        return {}
    # One read of the similarity matrix: history items x these cards.
    block = (
        model.knn.item_similarity[[row for _item, row in history]][
            :, [column for _index, column in known]
        ]
        .toarray()
        .astype(np.float64)
    )
    titles: dict[int, str] = {}
    for position, (index, _column) in enumerate(known):
        best, best_similarity = "", 0.0
        for row, (item, _source) in enumerate(history):
            value = float(block[row, position])
            if value > best_similarity:
                best, best_similarity = item, value
        if best:
            titles[index] = cat.items[cat.index[best]].text(language)[0].title
    return titles


def reason_for(code: str, item: CatalogueItem, *, course_title: str = "", because: str = "") -> str:
    """The human-readable "why am I seeing this" of a card."""
    if code == "next_lesson":
        return _("Next in “%(course)s”") % {"course": course_title}
    if code == "because_you" and because:
        return _("Because you viewed “%(title)s”") % {"title": because}
    if code in {"because_you", "similar_creators"}:
        return _("Creators who learn what you learn liked this")
    if code == "your_goals":
        return _("Matches your goals and niche")
    if code == "editorial":
        return _("Picked by the Academy team")
    if code == "fresh":
        return _("New in the Academy")
    if code == "explore":
        return _("Something new to try")
    return _("Popular with creators right now")


def cards_for(
    creator: Creator,
    *,
    limit: int,
    exclude: Sequence[str] = (),
    seed: int | None = None,
    only: npt.NDArray[np.bool_] | None = None,
    explore: bool = True,
) -> tuple[list[FeedCard], str]:
    """The next ``limit`` cards of the creator's feed, and the model version that ranked them."""
    ranked, cat, state = rank_for(
        creator, limit=limit, exclude=exclude, seed=seed, only=only, explore=explore
    )
    model = current_model() if state.personalised else None
    because = _because_titles(
        model,
        cat,
        [s.index for s in ranked.slots if ranked.sources.get(s.index) == "because_you"],
        state,
        creator.language,
    )
    cards = []
    for position, slot in enumerate(ranked.slots):
        item = cat.items[slot.index]
        text, language = item.text(creator.language)
        code = ranked.sources.get(slot.index, "trending")
        reason = reason_for(
            code,
            item,
            course_title=state.next_lessons.get(item.item, text.parent_title),
            because=because.get(slot.index, "") if code == "because_you" else "",
        )
        cards.append(
            FeedCard(
                item=item.item, item_kind=item.item_kind, kind=item.kind, title=text.title,
                summary=text.summary, course_title=text.parent_title, url=text.url,
                topic=item.topic, level=item.level, language=language, reason=reason,
                reason_code=code, score=round(slot.score, 4),
                propensity=round(slot.propensity, 6), position=position,
            )
        )  # fmt: skip
    return cards, ranked.model_version


def feed_session_get(*, session_id: str, creator: Creator) -> FeedSession | None:
    return FeedSession.objects.filter(pk=session_id, creator=creator).first()


def suppressions_of(*, creator: Creator) -> list[Suppression]:
    return list(Suppression.objects.filter(creator=creator).order_by("-created_at"))
