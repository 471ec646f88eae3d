from __future__ import annotations

from academy.events.documentation import DOC_PATH, document_with_reference
from academy.events.taxonomy import EVENT_TYPES


def test_events_md_matches_the_taxonomy() -> None:
    current = DOC_PATH.read_text(encoding="utf-8")
    assert document_with_reference(current) == current, (
        "docs/EVENTS.md drifted from the event taxonomy: run `academy events docs --write`."
    )


def test_every_event_type_is_documented() -> None:
    current = DOC_PATH.read_text(encoding="utf-8")
    for event_type in EVENT_TYPES:
        assert f"| `{event_type.name}` |" in current
