"""docs/METRICS.md's reference section, generated from the metric definitions and the tiles so
the documentation and the code cannot drift (a test compares them)."""

from __future__ import annotations

from pathlib import Path

from academy.insights.metrics import reference
from academy.insights.selectors import FILTERS
from academy.insights.tiles import TILES

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "METRICS.md"
BEGIN = "<!-- generated: academy insights docs --write -->"
END = "<!-- /generated -->"


def render_reference() -> str:
    lines = [
        BEGIN,
        "",
        "### Tiles",
        "",
        "| tile | dashboard | metrics | breakdowns | filters | parameters (default) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for spec in TILES.values():
        params = ", ".join(f"`{name}` ({value})" for name, value in spec.params.items()) or "—"
        lines.append(
            f"| `{spec.key}` | {spec.dashboard} | "
            f"{', '.join(f'`{metric}`' for metric in spec.metrics)} | "
            f"{', '.join(spec.breakdowns) or '—'} | {', '.join(FILTERS[spec.key]) or '—'} | "
            f"{params} |"
        )
    lines += ["", "### Metric definitions", "", reference().rstrip(), "", END]
    return "\n".join(lines)


def document_with_reference(document: str) -> str:
    """``document`` with its generated section replaced by the current reference."""
    if BEGIN not in document or END not in document:
        raise ValueError(f"{DOC_PATH} lacks the generated-section markers")
    head, _sep, rest = document.partition(BEGIN)
    _old, _sep, tail = rest.partition(END)
    return head + render_reference() + tail
