"""The product's feed as a simulator policy, and the online comparison with popularity.

`ForYouPolicy` answers the simulator's slate requests with the real feed (`selectors.rank_for`:
the trained model, the creator's state in the database, re-ranking and exploration), restricted
to the items the simulator offers at that entry point. `recsys_simulated_comparison` runs the
protocol of docs/RECSYS.md: a warm-up period under the popularity policy gives the lake to
train on; then the same world (same seed, same creators) is simulated again once under
popularity and once under the trained feed, each into its own scratch event store, and their
click-through and completion rates are compared.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from academy.accounts.models import Creator
from academy.recsys.catalogue import catalogue, catalogue_forget
from academy.recsys.selectors import rank_for
from academy.recsys.training import TrainingReport, recsys_train
from academy.search.services import search_popularity_refresh
from academy.simulation.engine.events import creator_ids
from academy.simulation.engine.policies import Feedback, IntArray, SlateRequest
from academy.simulation.engine.simulator import CREATOR_PREFIX, SimulationReport
from academy.simulation.selectors import simulation_catalog
from academy.simulation.services import simulation_run


class ForYouPolicy:
    """The simulator's policy protocol, answered by the product's ranking."""

    name = "for_you"

    def __init__(self) -> None:
        sim_items = simulation_catalog().items
        cat = catalogue()
        self.catalogue = cat
        # simulator item index -> catalogue index, and back (-1: not in the other)
        self.to_catalogue = np.array(
            [cat.index.get(f"{item.item_kind}:{item.item_id}", -1) for item in sim_items],
            dtype=np.int64,
        )
        self.to_simulator = np.full(len(cat), -1, dtype=np.int64)
        known = self.to_catalogue >= 0
        self.to_simulator[self.to_catalogue[known]] = np.flatnonzero(known)
        self.requests = 0

    def rank(self, request: SlateRequest, rng: np.random.Generator) -> IntArray:
        external_ids = creator_ids(request.creators, CREATOR_PREFIX)
        creators = Creator.objects.in_bulk(external_ids, field_name="external_id")
        slates = np.full((len(external_ids), request.slate_size), -1, dtype=np.int64)
        for row, external_id in enumerate(external_ids):
            creator = creators.get(external_id)
            if creator is None:
                continue
            only = np.zeros(len(self.catalogue), dtype=np.bool_)
            offered = self.to_catalogue[request.candidates[row]]
            only[offered[offered >= 0]] = True
            ranked, _cat, _state = rank_for(
                creator,
                limit=request.slate_size,
                only=only,
                seed=int(rng.integers(2**31)),
                # As the services do: the host app's card never explores.
                explore=request.entry_point != "for_you_card",
            )
            picked = [int(self.to_simulator[slot.index]) for slot in ranked.slots]
            slates[row, : len(picked)] = picked
            self.requests += 1
        return slates

    def observe(self, feedback: Feedback) -> None:
        # The simulator reports clicks per item, not per creator: the feed's real-time signals
        # come from events in production; here each run starts from the trained model.
        return None


@dataclass(frozen=True)
class Comparison:
    training: TrainingReport
    popularity: SimulationReport
    for_you: SimulationReport


FEED_ENTRY_POINTS = ("for_you_card", "academy_home")


def feed_ctr(report: SimulationReport) -> float:
    """Click-through over the entry points the feed ranks."""
    shown = sum(
        report.entry_points[e].impressions for e in FEED_ENTRY_POINTS if e in report.entry_points
    )
    clicked = sum(
        report.entry_points[e].clicks for e in FEED_ENTRY_POINTS if e in report.entry_points
    )
    return clicked / shown if shown else 0.0


def recsys_simulated_comparison(
    *,
    creators: int,
    warmup_days: int,
    days: int,
    seed: int,
    events_dir: Path,
    step: Callable[[str], None] | None = None,
) -> Comparison:
    """Warm up under popularity into ``events_dir``, train, then simulate ``days`` under each
    policy from the same seed; returns both reports."""
    say = step or (lambda _message: None)
    say("warm-up under popularity")
    simulation_run(
        creators=creators,
        days=warmup_days,
        seed=seed,
        sink="lake",
        events_dir=events_dir,
        rollups=True,
    )
    # What the worker does every hour in production: popularity from the rollups.
    search_popularity_refresh(events_dir=events_dir)
    catalogue_forget()
    say("training")
    training = recsys_train(events_dir=events_dir, seed=seed)
    reports = {}
    for name in ("popularity", "for_you"):
        say(f"simulating under {name}")
        policy = ForYouPolicy() if name == "for_you" else "popularity"
        with tempfile.TemporaryDirectory(prefix="academy-sim-") as scratch:
            reports[name] = simulation_run(
                creators=creators, days=days, seed=seed, policy=policy, sink="lake",
                events_dir=Path(scratch),
            ).report  # fmt: skip
    return Comparison(
        training=training, popularity=reports["popularity"], for_you=reports["for_you"]
    )
