"""The engine cannot import Django, so it repeats the product's vocabularies: kept equal here."""

from __future__ import annotations

from academy.accounts.choices import FOLLOWER_TIER_FLOORS, Goal, Level, Niche, Region
from academy.catalog.choices import SEED_TOPICS, LessonKind
from academy.events.lake import ARROW_SCHEMA
from academy.events.taxonomy import BY_NAME, ENTRY_POINTS
from academy.simulation.engine import assumptions
from academy.simulation.engine.events import EVENT_ENTRY_POINTS, EVENT_NAMES, LAKE_SCHEMA
from academy.simulation.engine.population import NICHES, REGIONS


def test_creator_vocabularies_are_the_products() -> None:
    assert set(REGIONS) == set(Region.values)
    assert set(NICHES) == set(Niche.values)
    assert set(assumptions.GOALS) == set(Goal.values)
    assert tuple(Level.values) == assumptions.LEVELS
    assert sorted(
        zip(assumptions.FOLLOWER_TIER_FLOORS, assumptions.FOLLOWER_TIERS, strict=True)
    ) == sorted((floor, tier.value) for floor, tier in FOLLOWER_TIER_FLOORS)
    assert set(assumptions.REGION_TIMEZONES) == set(REGIONS)


def test_catalogue_vocabularies_are_the_products() -> None:
    assert set(assumptions.TOPIC_DEMAND_ORDER) == {slug for slug, _names in SEED_TOPICS}
    assert set(assumptions.FORMATS) == {*LessonKind.values, "course", "wiki"}


def test_simulated_events_are_events_the_platform_knows() -> None:
    assert set(EVENT_NAMES) <= set(BY_NAME)
    assert set(EVENT_ENTRY_POINTS) <= set(ENTRY_POINTS)
    assert LAKE_SCHEMA == ARROW_SCHEMA
