"""docs/METRICS.md documents every metric and tile exactly as the code defines them."""

from __future__ import annotations

from academy.insights.documentation import DOC_PATH, document_with_reference
from academy.insights.metrics import BY_KEY, METRICS
from academy.insights.tiles import TILES


def test_metrics_md_matches_the_definitions() -> None:
    current = DOC_PATH.read_text(encoding="utf-8")
    assert document_with_reference(current) == current, (
        "docs/METRICS.md drifted from academy.insights.metrics: "
        "run `academy insights docs --write`."
    )
    for metric in METRICS:
        assert f"#### {metric.name}\n\n`{metric.key}` — {metric.definition}" in current


def test_every_tile_shows_defined_metrics() -> None:
    for spec in TILES.values():
        assert spec.metrics, spec.key
        assert set(spec.metrics) <= set(BY_KEY), spec.key
