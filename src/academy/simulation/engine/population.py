"""Simulated creators: what the product can know about them, and the truth it cannot see.

``Population`` holds the attributes a Creator row carries (follower tier, region, language,
niche, goals, stated level, …). ``Truth`` holds the latent preferences that drive behaviour —
topic and format tastes, real skill, preferred session length, how often they visit — and each
item's latent quality. ``utility`` turns them into the logit-scale value of an item for a
creator, the quantity every behaviour in ``behaviour.py`` rises with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from academy.simulation.engine import assumptions as a
from academy.simulation.engine.catalog import Catalog
from academy.simulation.engine.parameters import Parameters

REGIONS = tuple(a.REGION_SHARES)
NICHES = tuple(a.NICHE_SHARES)
ACTIVITY_DEGREES = tuple(a.VISIT_PROBABILITY_BY_ACTIVITY)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Population:
    """Creator attributes as arrays of codes (index into the vocabularies of ``assumptions``)."""

    size: int
    languages: tuple[str, ...]  # the language codes ``language`` indexes
    activity: IntArray  # ACTIVITY_DEGREES
    follower_count: IntArray
    follower_tier: IntArray  # FOLLOWER_TIERS
    account_age_days: IntArray
    region: IntArray  # REGIONS
    language: IntArray
    timezone_offset_hours: FloatArray
    platform: IntArray  # PLATFORMS
    app_version: IntArray  # APP_VERSIONS
    niche: IntArray  # NICHES
    goals: BoolArray  # (creators, GOALS)
    onboarded: BoolArray
    stated_level: IntArray  # LEVELS, -1 when not onboarded
    personalisation_consent: BoolArray


@dataclass(frozen=True)
class Truth:
    """What the simulation knows and no recommender does."""

    topic_affinity: FloatArray  # (creators, catalogue topics)
    format_affinity: FloatArray  # (creators, FORMATS)
    skill: IntArray  # LEVELS
    session_seconds: FloatArray  # preferred length of a learning session
    visit_probability: FloatArray  # chance of visiting the Academy on a day, when neutral
    item_quality: FloatArray  # (items,)


def _categorical(
    rng: np.random.Generator, shares: npt.ArrayLike, size: int
) -> npt.NDArray[np.int64]:
    cumulative = np.cumsum(np.asarray(shares, dtype=np.float64))
    cumulative /= cumulative[-1]
    return np.minimum(
        np.searchsorted(cumulative, rng.random(size), side="right"), len(cumulative) - 1
    ).astype(np.int64)


def _follower_counts(parameters: Parameters, tiers: IntArray, rng: np.random.Generator) -> IntArray:
    """Counts within each creator's tier, shaped by the fitted distribution (inverse CDF)."""
    shape = parameters.follower_count.frozen()
    floors = np.asarray(a.FOLLOWER_TIER_FLOORS, dtype=np.float64)
    low = shape.cdf(np.maximum(floors - 0.5, 0.5))
    high = np.append(shape.cdf(floors[1:] - 0.5), 1.0)
    u = rng.random(tiers.size)
    counts = shape.ppf(low[tiers] + u * (high[tiers] - low[tiers]))
    counts = np.clip(np.rint(counts), floors[tiers], None)
    # Starters include creators with no follower at all.
    starter_share = parameters.follower_tier_shares[a.FOLLOWER_TIERS[0]]
    zero_given_starter = min(1.0, parameters.follower_zero_share / max(starter_share, 1e-9))
    counts[(tiers == 0) & (rng.random(tiers.size) < zero_given_starter)] = 0
    return np.asarray(counts, dtype=np.int64)


def creators_sample(
    *, size: int, parameters: Parameters, catalog: Catalog, seed: int
) -> tuple[Population, Truth]:
    """Draw ``size`` creators and their latent truth; the same seed gives the same creators.

    Item quality has its own stream, so it does not change with the number of creators.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    languages = catalog.languages
    activity_shares = [parameters.activity_shares.get(degree, 0.0) for degree in ACTIVITY_DEGREES]
    activity = _categorical(rng, activity_shares, size)
    tiers = _categorical(
        rng, [parameters.follower_tier_shares[tier] for tier in a.FOLLOWER_TIERS], size
    )
    followers = _follower_counts(parameters, tiers, rng)
    age = np.maximum(np.rint(parameters.account_age_days.sample(rng, size)), 1).astype(np.int64)
    for degree, (low, high) in a.NEW_ACCOUNT_AGE_DAYS.items():
        chosen = activity == ACTIVITY_DEGREES.index(degree)
        age[chosen] = rng.integers(low, high + 1, size=int(chosen.sum()))
    region = _categorical(rng, list(a.REGION_SHARES.values()), size)
    language = np.zeros(size, dtype=np.int64)
    offsets = np.zeros(size, dtype=np.float64)
    platform = np.zeros(size, dtype=np.int64)
    for code, name in enumerate(REGIONS):
        chosen = np.flatnonzero(region == code)
        wanted = a.REGION_LANGUAGES.get(name, {"en": 1.0})
        usable = {lang: share for lang, share in wanted.items() if lang in languages}
        if not usable:
            usable = {languages[0]: 1.0}
        codes = np.array([languages.index(lang) for lang in usable], dtype=np.int64)
        language[chosen] = codes[_categorical(rng, list(usable.values()), chosen.size)]
        offsets[chosen] = a.REGION_TIMEZONES[name][1]
        platform_shares = (
            a.PLATFORM_SHARES_ANDROID_MARKET
            if name in a.ANDROID_MARKETS
            else a.PLATFORM_SHARES_OTHER_MARKET
        )
        platform[chosen] = _categorical(rng, platform_shares, chosen.size)
    goal_shares = np.array([a.GOAL_SHARES_BY_TIER[goal] for goal in a.GOALS]).T  # (tiers, goals)
    goal_shares[:, a.GOALS.index("go_live")] *= parameters.live_streamer_share
    chance = goal_shares[tiers]
    draws = rng.random(chance.shape)
    goals = draws < chance
    # At most MAX_GOALS: the most decided ones (lowest draw relative to chance) are kept.
    keenness = np.where(goals, draws / chance, np.inf)
    rank = np.argsort(np.argsort(keenness, axis=1), axis=1)
    goals &= rank < a.MAX_GOALS
    goals[~goals.any(axis=1), a.GOALS.index("grow_audience")] = True
    niche = _categorical(rng, list(a.NICHE_SHARES.values()), size)
    onboarded = rng.random(size) < a.ONBOARDED_SHARE
    skill = _skill(followers, age, rng)
    # The others say a level next to theirs (inwards from beginner and advanced).
    off = rng.random(size) >= a.STATED_LEVEL_ACCURACY
    step = np.where(rng.random(size) < 0.5, -1, 1)
    step = np.where(skill == 0, 1, np.where(skill == len(a.LEVELS) - 1, -1, step))
    stated = np.where(off, skill + step, skill)
    population = Population(
        size=size,
        languages=languages,
        activity=activity,
        follower_count=followers,
        follower_tier=tiers,
        account_age_days=age,
        region=region,
        language=language,
        timezone_offset_hours=offsets,
        platform=platform,
        app_version=_categorical(rng, a.APP_VERSION_SHARES, size),
        niche=niche,
        goals=goals,
        onboarded=onboarded,
        stated_level=np.where(onboarded, stated, -1).astype(np.int64),
        personalisation_consent=rng.random(size) < a.PERSONALISATION_CONSENT_SHARE,
    )
    truth = Truth(
        topic_affinity=_topic_affinity(population, skill, catalog, parameters, rng),
        format_affinity=a.FORMAT_NOISE * rng.standard_normal((size, len(a.FORMATS))),
        skill=skill,
        session_seconds=60.0
        * a.SESSION_MINUTES_MEDIAN
        * np.exp(a.SESSION_MINUTES_SIGMA * rng.standard_normal(size)),
        visit_probability=np.array(
            [a.VISIT_PROBABILITY_BY_ACTIVITY[degree] for degree in ACTIVITY_DEGREES]
        )[activity],
        item_quality=a.ITEM_QUALITY_SIGMA
        * np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,))).standard_normal(
            catalog.size
        ),
    )
    return population, truth


def _skill(followers: IntArray, age: IntArray, rng: np.random.Generator) -> IntArray:
    score = (
        a.SKILL_FOLLOWER_WEIGHT * np.log10(1.0 + followers)
        + a.SKILL_AGE_WEIGHT * np.log1p(age / 365.0)
        + a.SKILL_NOISE * rng.standard_normal(followers.size)
    )
    if not score.size:
        return np.zeros(0, dtype=np.int64)
    cuts = np.quantile(score, np.cumsum(a.SKILL_SHARES)[:-1])
    return np.asarray(np.searchsorted(cuts, score, side="right"), dtype=np.int64)


def _topic_affinity(
    population: Population,
    skill: IntArray,
    catalog: Catalog,
    parameters: Parameters,
    rng: np.random.Generator,
) -> FloatArray:
    topics = catalog.topics
    shares = parameters.tag_rank_shares
    ranked = {topic: rank for rank, topic in enumerate(a.TOPIC_DEMAND_ORDER) if rank < len(shares)}
    demand = np.array(
        [shares[ranked[topic]] if topic in ranked else float(np.median(shares)) for topic in topics]
    )
    log_demand = np.log(demand) - np.log(demand).mean()
    affinity = a.TOPIC_DEMAND_WEIGHT * log_demand[None, :] + a.TOPIC_NOISE * rng.standard_normal(
        (population.size, len(topics))
    )
    for g, goal in enumerate(a.GOALS):
        for topic in a.GOAL_TOPICS[goal]:
            if topic in topics:
                affinity[:, topics.index(topic)] += a.GOAL_TOPIC_BOOST * population.goals[:, g]
    for niche, niche_topics in a.NICHE_TOPICS.items():
        chosen = population.niche == NICHES.index(niche)
        for topic in niche_topics:
            if topic in topics:
                affinity[chosen, topics.index(topic)] += a.NICHE_TOPIC_BOOST
    if "getting-started" in topics:
        affinity[skill == 0, topics.index("getting-started")] += a.BEGINNER_TOPIC_BOOST
    # Centred per creator: a random item is worth about nothing, whatever the creator likes.
    return np.asarray(affinity - affinity.mean(axis=1, keepdims=True), dtype=np.float64)


def utility(
    *, truth: Truth, population: Population, catalog: Catalog, creators: IntArray
) -> FloatArray:
    """Logit-scale value of every item for each of ``creators``: (len(creators), items)."""
    topic = truth.topic_affinity[creators][:, catalog.topic_code]
    fmt = truth.format_affinity[creators][:, catalog.format_code]
    level = np.asarray(a.LEVEL_FIT)[truth.skill[creators]][:, catalog.level_code]
    has_language = (catalog.language_mask[None, :] >> population.language[creators, None]) & 1
    language = np.where(has_language == 1, 0.0, a.MISSING_LANGUAGE_PENALTY)
    return np.asarray(
        topic + fmt + level + language + truth.item_quality[None, :], dtype=np.float64
    )
