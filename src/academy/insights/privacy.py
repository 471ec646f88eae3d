"""The insights store's part of export and erasure: the funnels' step store (a copy of the lake's
events; erasure deletes each day folder holding the creator, with the segment sets built from
it, and each rollup file by key holding them, ``academy.insights.keyed_rollups``), the creator
dimension snapshot (each creator's follower tier and experiment variations, copied from the
database) and its copy by step-store key (deleted on erasure, rebuilt by the next upkeep; funnels
read the snapshot meanwhile).

Ordering: the registry runs every eraser by ascending ``order`` in one transaction. This store
(110) runs after the experiments' assignments (100) but before the creator's row (accounts, 1000),
and none of those deletions is visible to other connections until the transaction commits. The
15-minute snapshot reads the database in its own connection, so between this eraser and the
commit it still sees the creator and could write them back. So the dimension files are cleaned
twice: now (for the receipt's count) and once the erasure has committed. The snapshot holds the
dimension lock from its database read to its last file: one read before the commit is written
before that second pass (which removes the creator) or waits for it, and any later one no longer
sees the creator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from academy.accounts.models import Creator
from academy.insights.creator_counts import CREATOR_COUNTS, ENTRY_COUNTS
from academy.insights.dimensions import dimensions_erase, dimensions_export
from academy.insights.funnel_dimension import dimension_erase
from academy.insights.funnel_store import key_of, steps_erase, steps_export
from academy.insights.lesson_pairs import LESSON_PAIRS


def _events_dir() -> Path:
    return Path(settings.ACADEMY_EVENTS_DIR)


def export_creator(creator: Creator) -> dict[str, Any]:
    events_dir = _events_dir()
    external_id = creator.external_id
    return {
        "funnel_steps": steps_export(events_dir=events_dir, external_id=external_id),
        "creator_dimension": dimensions_export(events_dir=events_dir, external_id=external_id),
    }


def erase_creator(creator: Creator) -> int:
    events_dir = _events_dir()
    external_id = creator.external_id
    key = key_of(events_dir, external_id)
    removed = 0
    if key is not None:
        # Before the step store forgets the key: the rollups by key hold the creator under it.
        for keyed in (LESSON_PAIRS, CREATOR_COUNTS, ENTRY_COUNTS):
            keyed.erase(events_dir, key)
    removed += steps_erase(events_dir=events_dir, external_id=external_id)
    removed += dimensions_erase(events_dir=events_dir, external_id=external_id)
    # The dimension by step-store key holds the creator's tier under their (now forgotten) key.
    dimension_erase(events_dir=events_dir)

    def after_commit() -> None:
        dimensions_erase(events_dir=events_dir, external_id=external_id)
        dimension_erase(events_dir=events_dir)

    # Again after the commit: a snapshot read before it may have written the creator back. Robust:
    # the erasure has committed; a failure is logged, and the next snapshot lacks the creator.
    transaction.on_commit(after_commit, robust=True)
    return removed
