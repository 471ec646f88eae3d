"""Export and erase a creator across every registered store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from academy.accounts.models import Creator
from academy.core import clock
from academy.privacy.registry import stores


def creator_export(*, creator: Creator) -> dict[str, Any]:
    """Everything the platform holds about the creator, one section per store."""
    return {
        "creator": creator.external_id,
        "exported_at": clock.now().isoformat(),
        "stores": {store.name: store.export(creator) for store in stores()},
    }


@dataclass(frozen=True)
class ErasureReceipt:
    """Proof of erasure that names no personal data: a digest of the id, counts per store."""

    creator_digest: str
    erased_at: datetime
    removed: dict[str, int]


def creator_erase(*, creator: Creator) -> ErasureReceipt:
    """Remove the creator from every store; the receipt keeps only a one-way digest of the id."""
    digest = hashlib.sha256(creator.external_id.encode()).hexdigest()
    removed: dict[str, int] = {}
    with transaction.atomic():
        for store in stores():
            removed[store.name] = store.erase(creator)
    return ErasureReceipt(creator_digest=digest, erased_at=clock.now(), removed=removed)
