"""The ranking blend: text relevance, popularity and the searcher's profile, language first.

Plain Python over dataclasses, documented in docs/SEARCH.md:

    score = 0.70 · text + 0.20 · popularity + 0.10 · profile

- text: the engine's relevance divided by the best candidate's, so the best match is 1.0;
- popularity: the item's 28-day clicks, log1p-scaled so the most clicked item is 1.0;
- profile: the mean of level match (same level 1, next level 0.5, wiki articles 0.5) and topic
  match (1 when the item's topic serves one of the creator's goals).

Results in the searcher's language come first, each group ordered by score; an item found in
several languages appears once, in the searcher's language when it has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

LEVELS = ("beginner", "intermediate", "advanced")
# Which catalog topics serve each onboarding goal (accounts.choices.Goal).
GOAL_TOPICS: Mapping[str, frozenset[str]] = {
    "grow_audience": frozenset({"growth-analytics", "content-strategy"}),
    "improve_content": frozenset({"creation-essentials"}),
    "monetise": frozenset({"monetisation", "commerce"}),
    "go_live": frozenset({"live"}),
    "brand_deals": frozenset({"brand-partnerships"}),
    "build_community": frozenset({"community-safety", "live"}),
    "stay_safe": frozenset({"community-safety"}),
}


@dataclass(frozen=True)
class Weights:
    text: float = 0.70
    popularity: float = 0.20
    profile: float = 0.10


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class SearcherProfile:
    """What ranking knows of the searcher: their language, and (with personalisation on)
    their level and the topics of their goals."""

    language: str
    level: str = ""
    topics: frozenset[str] = frozenset()


def topics_for_goals(goals: Iterable[str]) -> frozenset[str]:
    return frozenset(topic for goal in goals for topic in GOAL_TOPICS.get(goal, ()))


@dataclass(frozen=True)
class Scored:
    """A candidate document: its item, language, level, topic and raw text relevance."""

    document_id: int
    item: str
    language: str
    level: str
    topic: str
    text: float


@dataclass(frozen=True)
class Ranked:
    document_id: int
    item: str
    language: str
    in_language: bool
    score: float
    text: float
    popularity: float
    profile: float


def level_match(item_level: str, searcher_level: str) -> float:
    if not searcher_level or searcher_level not in LEVELS:
        return 0.0
    if item_level not in LEVELS:
        return 0.5  # wiki articles serve every level
    distance = abs(LEVELS.index(item_level) - LEVELS.index(searcher_level))
    return {0: 1.0, 1: 0.5}.get(distance, 0.0)


def profile_match(*, level: str, topic: str, profile: SearcherProfile) -> float:
    topic_part = 1.0 if topic in profile.topics else 0.0
    return (level_match(level, profile.level) + topic_part) / 2


def rank(
    candidates: Sequence[Scored],
    *,
    profile: SearcherProfile,
    popularity: Mapping[str, float],
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Ranked]:
    """Blend, keep each item once (its searcher-language document if it matched), and order:
    the searcher's language first, then by score; ties by document id, so pages are stable."""
    best_text = max((candidate.text for candidate in candidates), default=0.0)
    chosen: dict[str, Ranked] = {}
    for candidate in candidates:
        text = candidate.text / best_text if best_text > 0 else 0.0
        pop = popularity.get(candidate.item, 0.0)
        prof = profile_match(level=candidate.level, topic=candidate.topic, profile=profile)
        ranked = Ranked(
            document_id=candidate.document_id,
            item=candidate.item,
            language=candidate.language,
            in_language=candidate.language == profile.language,
            score=weights.text * text + weights.popularity * pop + weights.profile * prof,
            text=text,
            popularity=pop,
            profile=prof,
        )
        current = chosen.get(candidate.item)
        if current is None or _order(ranked) < _order(current):
            chosen[candidate.item] = ranked
    return sorted(chosen.values(), key=_order)


def _order(ranked: Ranked) -> tuple[bool, float, int]:
    return (not ranked.in_language, -ranked.score, ranked.document_id)
