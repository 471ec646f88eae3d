"""The product's feed against popularity in the simulator: the same world, the same creators,
a trained For You model (docs/RECSYS.md, "Measured in the simulator")."""

from __future__ import annotations

from pathlib import Path

import pytest

from academy.catalog.content_pack import load_pack
from academy.catalog.loader import content_pack_load
from academy.recsys.simulation import feed_ctr, recsys_simulated_comparison
from academy.search.services import search_reindex

pytestmark = pytest.mark.django_db


def test_the_feed_beats_popularity_on_clicks_and_completions(events_dir: Path) -> None:
    content_pack_load(pack=load_pack())
    search_reindex()
    result = recsys_simulated_comparison(
        creators=800, warmup_days=14, days=3, seed=5, events_dir=events_dir
    )
    assert result.training.ranker
    popularity, for_you = result.popularity, result.for_you
    assert feed_ctr(for_you) > 1.15 * feed_ctr(popularity)
    assert for_you.lesson_completions > 1.1 * popularity.lesson_completions
    assert for_you.completion_rate >= popularity.completion_rate
    assert for_you.events_by_name.get("not_interested", 0) < popularity.events_by_name.get(
        "not_interested", 0
    )
