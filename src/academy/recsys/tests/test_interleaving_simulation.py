"""Interleaving in the simulator (docs/RECSYS.md, "Interleaving"): on the same world, it finds
the better feed ranker with fewer creators than an A/B comparison needs, and no preference
between a ranker and itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from academy.catalog.content_pack import load_pack
from academy.catalog.loader import content_pack_load
from academy.recsys.interleaving_simulation import interleaving_sensitivity
from academy.search.services import search_reindex

pytestmark = pytest.mark.django_db


def test_interleaving_finds_the_better_ranker_with_fewer_creators_than_an_ab_test(
    events_dir: Path,
) -> None:
    content_pack_load(pack=load_pack())
    search_reindex()
    found = interleaving_sensitivity(
        creators=600, warmup_days=14, days=3, seed=6, events_dir=events_dir
    )
    # The product feed beats popularity in the A/B comparison (docs/RECSYS.md) ...
    assert found.ab_for_you_ctr > 1.3 * found.ab_popularity_ctr
    # ... and creators prefer it when the two are interleaved, clearly. (The simulated pages
    # differ slightly between SQLite and PostgreSQL, which list some rows in another order:
    # the share's interval starts above 0.6 on SQLite and at 0.5999 on PostgreSQL.)
    result = found.interleaving
    assert result.preferred == "A"
    assert result.ci_low > 0.55
    assert result.p_value < 0.001
    assert found.credited_share > 0.9
    # For the same power, interleaving needs fewer creators than the A/B test (both arms).
    assert found.interleaving_creators_needed < found.ab_creators_needed / 2
    # A ranker interleaved with itself: no preference.
    same = found.self_interleaving
    assert same.ci_low <= 0.5 <= same.ci_high
    assert same.creators > 30
