"""Every store that holds creator data registers an exporter and an eraser here.

ARCHITECTURE.md invariant 4: an export is complete only if every store contributes, and an
erasure leaves no row, file or vector of the creator. Apps register their store in their
AppConfig.ready(); `privacy.services` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from academy.accounts.models import Creator

Exporter = Callable[[Creator], dict[str, Any]]
Eraser = Callable[[Creator], int]


@dataclass(frozen=True)
class Store:
    name: str
    export: Exporter
    erase: Eraser
    order: int


_STORES: dict[str, Store] = {}


def register_store(*, name: str, export: Exporter, erase: Eraser, order: int = 100) -> None:
    """Register a store. Erasers run by ascending ``order``: dependents before what they use."""
    _STORES[name] = Store(name=name, export=export, erase=erase, order=order)


def stores() -> list[Store]:
    return sorted(_STORES.values(), key=lambda store: (store.order, store.name))
