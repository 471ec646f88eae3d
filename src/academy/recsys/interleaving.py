"""Interleaving two For You rankers (docs/RECSYS.md, "Interleaving").

When the flag `for-you-interleaving` is on for a creator, its JSON value names two rankers,
``{"a": "model", "b": "popularity"}``; the creator's feed pages are then the team-draft
interleaving (`engine.interleaving`) of the two rankers' orderings of the feed's candidates,
and every card's `recommended` event carries the `team` (A or B) that picked it, the
`interleaving` id (``<a>~<b>``) and the picking `ranker`. `interleaving_analysis` reads those
events and the clicks on them from the lake and gives the preference share
(`academy.stats.interleaving`).

Rankers: ``model`` (the live model: its click model, or the heuristic before the first
training), ``heuristic`` (`ranking.HEURISTIC_WEIGHTS` over the live model's features),
``popularity`` (the non-personalised feed's order: 28-day popularity and freshness), or a
trained model version id (its own collaborative scores and click model). Both rankers order
the same candidates — the live feed's, with the creator's hidden items and topics, completed
lessons and already-shown cards left out — and the usual re-ranking (never two cards in a row
from one course or topic) is applied to the interleaved list; interleaved pages do not explore.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.utils.translation import gettext, gettext_noop

from academy.accounts.models import Creator
from academy.core import clock
from academy.events.query import DuckDBEngine
from academy.experiments.assignment import eval_feature
from academy.experiments.models import Flag
from academy.experiments.selectors import creator_attributes, flags_payload
from academy.recsys.catalogue import Catalogue
from academy.recsys.engine.artifact import VERSION
from academy.recsys.engine.errors import ArtifactError
from academy.recsys.engine.interleaving import Credit, Team, team_draft
from academy.recsys.model_store import ForYouModel, current_model, load_model, models_root
from academy.recsys.ranking import (
    FEATURES,
    Signals,
    Slot,
    feature_matrix,
    heuristic_scores,
    rerank,
)
from academy.recsys.selectors import (
    CreatorState,
    FeedCard,
    _because_titles,
    cf_scores,
    profile_of,
    rank_for,
    reason_for,
)
from academy.stats.errors import StatsInputError
from academy.stats.interleaving import CreatorCredit, InterleavingResult, interleaving_test

logger = logging.getLogger(__name__)

FLAG = "for-you-interleaving"
NAMED_RANKERS = ("model", "heuristic", "popularity")
DEPTH = 3  # the interleaved list is this many pages deep, so re-ranking has room to choose
_warned: set[str] = set()


@dataclass(frozen=True)
class RankerPair:
    a: str
    b: str

    @property
    def id(self) -> str:
        return f"{self.a}~{self.b}"


def ranker_problem(name: Any, *, translate: bool = False) -> str:
    """Why ``name`` cannot rank the feed ("" when it can); in English for the log, or in the
    reader's language with ``translate``."""

    def say(message: str, **values: str) -> str:
        return (gettext(message) if translate else message) % values

    if not isinstance(name, str) or not name:
        return say(gettext_noop("a ranker is a non-empty string"))
    if name in NAMED_RANKERS:
        return ""
    if not VERSION.match(name):
        return say(
            gettext_noop("“%(name)s” is neither one of %(named)s nor a model version id"),
            name=name,
            named=", ".join(NAMED_RANKERS),
        )
    if not (models_root() / name).is_dir():
        return say(gettext_noop("there is no trained model version “%(name)s”"), name=name)
    return ""


def pair_problem(value: Any, *, translate: bool = False) -> str:
    """Why a flag value does not name two usable, different rankers ("" when it does)."""
    if not isinstance(value, Mapping):
        message = gettext_noop('the value is not {"a": …, "b": …}')
        return gettext(message) if translate else message
    a, b = value.get("a"), value.get("b")
    problem = ranker_problem(a, translate=translate) or ranker_problem(b, translate=translate)
    if not problem and a == b:
        message = gettext_noop("the two rankers are the same")
        problem = gettext(message) if translate else message
    return problem


def pair_from_value(value: Any) -> RankerPair | None:
    """The two rankers a flag value names, or None (with a warning in the log) for a value
    that does not name two usable, different rankers. A flag value of null, false or {} is
    the way to turn interleaving off for some creators."""
    if value in (None, False, {}):
        return None
    problem = pair_problem(value)
    if problem:
        if problem not in _warned:  # once per process, not on every page
            _warned.add(problem)
            logger.warning("%s: interleaving is off: %s", FLAG, problem)
        return None
    return RankerPair(a=str(value["a"]), b=str(value["b"]))


@dataclass(frozen=True)
class FlagState:
    """The interleaving flag as the console shows it."""

    exists: bool
    enabled: bool = False
    default: RankerPair | None = None
    rules: int = 0
    problem: str = ""  # why the default value interleaves nothing


def interleaving_flag() -> FlagState:
    flag = Flag.objects.filter(key=FLAG).first()
    if flag is None:
        return FlagState(exists=False)
    value = flag.default_value
    off = value in (None, False, {})
    return FlagState(
        exists=True,
        enabled=flag.enabled,
        default=None if off else pair_from_value(value),
        rules=len(flag.rules),
        problem="" if off else pair_problem(value, translate=True),
    )


def interleaving_pair(creator: Creator) -> RankerPair | None:
    """The rankers to interleave for the creator, when the flag is on for them."""
    served = flags_payload()
    if FLAG not in served.payload.get("features", {}):
        return None
    result = eval_feature(FLAG, served.flags, creator_attributes(creator=creator))
    return pair_from_value(result.value)


@functools.lru_cache(maxsize=2)
def _version(name: str, root: Path) -> ForYouModel | None:
    try:
        return load_model(root / name)
    except ArtifactError:
        logger.exception("%s: model version %s could not be loaded", FLAG, name)
        return None


def _scores(
    ranker: str,
    creator: Creator,
    cat: Catalogue,
    state: CreatorState,
    candidates: npt.NDArray[np.int64],
    sources: Mapping[int, str],
) -> npt.NDArray[np.float64]:
    """``ranker``'s score of each candidate (higher first)."""
    if ranker == "popularity":
        model = None
    elif ranker in ("model", "heuristic"):
        model = current_model()
    else:
        model = _version(ranker, models_root())
    personal = cf_scores(model, creator, state, cat)
    next_lessons = [index for index, source in sources.items() if source == "next_lesson"]
    editorial = [cat.index[item] for item in state.editorial if item in cat.index]
    signals = Signals(
        item_knn=personal.knn_at(candidates) if personal else np.zeros(len(candidates)),
        als=personal.als_at(candidates) if personal else np.zeros(len(candidates)),
        next_lesson=np.isin(candidates, np.array(next_lessons, dtype=np.int64)),
        editorial=np.isin(candidates, np.array(editorial, dtype=np.int64)),
    )
    today = clock.now().timestamp() / 86400
    features = feature_matrix(
        cat, candidates, profile_of(creator, cat, state), signals, today=today
    )
    if ranker == "popularity":
        return np.asarray(
            features[:, FEATURES.index("popularity")]
            - 0.1 * features[:, FEATURES.index("age_days")],
            dtype=np.float64,
        )
    if ranker != "heuristic" and model is not None and model.ranker is not None:
        return np.asarray(model.ranker.predict(features), dtype=np.float64)
    return heuristic_scores(features)


@dataclass(frozen=True)
class InterleavedPage:
    cards: list[FeedCard]
    model_version: str
    properties: list[dict[str, str]]  # per card: team, interleaving, ranker


def _cards(
    creator: Creator,
    cat: Catalogue,
    state: CreatorState,
    slots: Sequence[Slot],
    sources: Mapping[int, str],
    model: ForYouModel | None,
) -> list[FeedCard]:
    """Cards for ``slots``, with their reasons, as `selectors.cards_for` builds them."""
    because = _because_titles(
        model,
        cat,
        [slot.index for slot in slots if sources.get(slot.index) == "because_you"],
        state,
        creator.language,
    )
    cards = []
    for position, slot in enumerate(slots):
        item = cat.items[slot.index]
        text, language = item.text(creator.language)
        code = sources.get(slot.index, "trending")
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
    return cards


def interleaved_ranking(
    creator: Creator,
    pair: RankerPair,
    *,
    limit: int,
    exclude: Sequence[str] = (),
    only: npt.NDArray[np.bool_] | None = None,
    seed: int | None = None,
) -> tuple[list[Slot], dict[int, Team], Catalogue, CreatorState, dict[int, str], str] | None:
    """The interleaved page as catalogue slots and the team of each (None for a creator
    without personalisation: their feed is the same for everyone, nothing to compare)."""
    ranked, cat, state = rank_for(creator, limit=1, exclude=exclude, only=only, explore=False)
    if not state.personalised:
        return None
    sources = dict(ranked.sources)
    candidates = np.array(sorted(sources), dtype=np.int64)
    orders, scores = {}, {}
    for team, ranker in (("A", pair.a), ("B", pair.b)):
        values = _scores(ranker, creator, cat, state, candidates, sources)
        order = np.argsort(-values, kind="stable")
        orders[team] = [int(i) for i in candidates[order]]
        scores[team] = dict(zip(orders[team], values[order].tolist(), strict=True))
    rng = np.random.default_rng(seed)
    mixed = team_draft(orders["A"], orders["B"], length=DEPTH * limit, rng=rng)
    teams: dict[int, Team] = dict(zip(mixed.items, mixed.teams, strict=True))
    slots = rerank(
        cat,
        list(mixed.items),
        [scores[team][index] for index, team in zip(mixed.items, mixed.teams, strict=True)],
        limit=limit,
        exploration=0.0,
        explore_pool=np.zeros(0, dtype=np.int64),
        rng=rng,
    )
    return slots, teams, cat, state, sources, ranked.model_version


def interleaved_page(
    creator: Creator, *, limit: int, exclude: Sequence[str] = (), seed: int | None = None
) -> InterleavedPage | None:
    """The creator's next feed page interleaved, when the flag is on for them (else None)."""
    pair = interleaving_pair(creator)
    if pair is None:
        return None
    found = interleaved_ranking(creator, pair, limit=limit, exclude=exclude, seed=seed)
    if found is None:
        return None
    slots, teams, cat, state, sources, version = found
    cards = _cards(creator, cat, state, slots, sources, current_model())
    properties = [
        {
            "team": teams[slot.index],
            "interleaving": pair.id,
            "ranker": pair.a if teams[slot.index] == "A" else pair.b,
        }
        for slot in slots
    ]
    return InterleavedPage(cards=cards, model_version=version, properties=properties)


# ---------------------------------------------------------------------------------------------
# The analysis


@dataclass(frozen=True)
class Comparison:
    """One interleaving (a pair of rankers) over a period, analysed."""

    interleaving: str
    a: str
    b: str
    first_seen: str
    last_seen: str
    pages: int
    result: InterleavingResult | None  # None: not enough clicked pages yet
    problem: str = ""

    @property
    def preferred_ranker(self) -> str:
        """The ranker creators prefer ("" while the interval contains one half)."""
        if self.result is None or not self.result.preferred:
            return ""
        return self.a if self.result.preferred == "A" else self.b

    def as_json(self) -> dict[str, Any]:
        result = None
        if self.result is not None:
            result = {**dataclasses.asdict(self.result), "delta": self.result.delta}
        return {
            "interleaving": self.interleaving,
            "a": self.a,
            "b": self.b,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "pages": self.pages,
            "preferred": self.preferred_ranker,
            "result": result,
            "problem": self.problem,
        }


_SQL = """
WITH shown AS (
    SELECT creator_id, request_id, item_kind, item_id, MIN(epoch(timestamp)) AS at,
           json_extract_string(properties, '$.interleaving') AS interleaving,
           json_extract_string(properties, '$.team') AS team
    FROM events
    WHERE name = 'recommended' AND request_id <> '' AND creator_id <> ''
      AND json_extract_string(properties, '$.team') IN ('A', 'B')
      AND epoch(timestamp) >= ?
    GROUP BY ALL
), clicked AS (
    SELECT DISTINCT request_id, item_kind, item_id FROM events
    WHERE name = 'click' AND request_id <> '' AND epoch(timestamp) >= ?
)
SELECT s.interleaving, s.creator_id, s.request_id, MIN(s.at), MAX(s.at),
       COUNT(c.request_id) FILTER (WHERE s.team = 'A'),
       COUNT(c.request_id) FILTER (WHERE s.team = 'B')
FROM shown s LEFT JOIN clicked c
  ON c.request_id = s.request_id AND c.item_kind = s.item_kind AND c.item_id = s.item_id
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""


def interleaving_analysis(
    *, since_days: int = 28, events_dir: Path | None = None, alpha: float = 0.05
) -> list[Comparison]:
    """Every interleaving with pages served in the last ``since_days`` days, the one served
    most recently first: per creator, the clicked pages each ranker won or tied, and the
    preference share of ranker A."""
    events_dir = events_dir or Path(settings.ACADEMY_EVENTS_DIR)
    since = int((clock.now() - timedelta(days=since_days)).timestamp())
    with DuckDBEngine() as engine:
        engine.register_lake(events_dir)
        rows = engine.query(_SQL, [since, since])
    per: dict[str, dict[str, list[int]]] = {}
    seen: dict[str, list[Any]] = {}
    for interleaving, creator_id, _request, first, last, clicks_a, clicks_b in rows:
        counts = per.setdefault(interleaving, {}).setdefault(creator_id, [0, 0, 0])
        if clicks_a or clicks_b:  # a page without a click says nothing about the rankers
            outcome = Credit(clicks_a=int(clicks_a), clicks_b=int(clicks_b)).outcome
            counts[{"A": 0, "B": 1, "tie": 2}[outcome]] += 1
        span = seen.setdefault(interleaving, [first, last, 0])
        span[0], span[1], span[2] = min(span[0], first), max(span[1], last), span[2] + 1
    comparisons = []
    for interleaving, creators in per.items():
        a, _sep, b = interleaving.partition("~")
        first, last, pages = seen[interleaving]
        credits = [CreatorCredit(*counts) for counts in creators.values()]
        try:
            result, problem = interleaving_test(credits, alpha=alpha), ""
        except StatsInputError as error:
            result, problem = None, str(error)
        comparisons.append(
            Comparison(
                interleaving=interleaving,
                a=a,
                b=b,
                first_seen=datetime.fromtimestamp(first, UTC).isoformat(),
                last_seen=datetime.fromtimestamp(last, UTC).isoformat(),
                pages=pages,
                result=result,
                problem=problem,
            )
        )
    comparisons.sort(key=lambda comparison: comparison.last_seen, reverse=True)
    return comparisons
