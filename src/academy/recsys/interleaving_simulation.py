"""Interleaving in the simulator: is it more sensitive than an A/B comparison?

The protocol of docs/RECSYS.md ("Interleaving"), on the simulator's world: a warm-up under
popularity fills a lake and the For You model is trained on it (as `recsys_simulated_comparison`
does); then the same world (same seed, same creators) is simulated

1. with the Academy home feed — where serving interleaves — interleaving the product feed (A)
   and popularity (B), every other entry point ranked by B, and the interleaved pages
   credited from the clicks the simulator logged (`interleaving_credits`);
2. interleaving popularity with itself, which must find no preference;
3. the A/B comparison: the home feed under popularity, then under the product feed (every
   other entry point under popularity in both), whose per-creator home-feed click-through
   gives the creators an A/B test would need.

Crediting: the simulator logs impressions and clicks per request (a uuid the policy never
sees), so each logged request is matched to the interleaved list the policy made for that
creator at that entry point by the items shown. When two lists of one creator showed the
same items with different teams (both rankers agreed on them, and the coins fell differently)
the request cannot be credited and is left out; which requests are left out is decided before
any click, so it favours neither ranker. `credited_share` reports how many were kept.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from academy.events.query import DuckDBEngine
from academy.recsys.catalogue import catalogue_forget
from academy.recsys.engine.interleaving import Team, credit, team_draft
from academy.recsys.simulation import ForYouPolicy
from academy.recsys.training import recsys_train
from academy.search.services import search_popularity_refresh
from academy.simulation.engine.policies import (
    Feedback,
    IntArray,
    Policy,
    PopularityPolicy,
    SlateRequest,
)
from academy.simulation.engine.simulator import CREATOR_PREFIX
from academy.simulation.selectors import simulation_catalog
from academy.simulation.services import simulation_run
from academy.stats import RatioStats, estimate, sample_size_per_variation
from academy.stats.interleaving import (
    CreatorCredit,
    InterleavingResult,
    interleaving_creators_needed,
    interleaving_test,
)

DEPTH = 2  # each ranker ranks this many slates deep, so the interleaving never runs short
# Where serving interleaves: the feed pages of `feed_serve` (the host app's single card is not).
INTERLEAVED = "academy_home"


@dataclass
class InterleavingPolicy:
    """The simulator's policy protocol: team-draft interleaving of ``a`` and ``b`` on the home
    feed (``b`` alone elsewhere), remembering every interleaved list."""

    a: Policy
    b: Policy
    name: str = "interleaving"
    lists: dict[tuple[int, str], list[tuple[tuple[int, ...], tuple[Team, ...]]]] = field(
        default_factory=dict
    )

    def rank(self, request: SlateRequest, rng: np.random.Generator) -> IntArray:
        if request.entry_point != INTERLEAVED:
            return self.b.rank(request, rng)
        deeper = SlateRequest(
            request.entry_point, request.creators, request.candidates, request.slate_size * DEPTH
        )
        slates_b = self.b.rank(deeper, rng)
        slates_a = slates_b if self.a is self.b else self.a.rank(deeper, rng)
        out = np.full((len(request.creators), request.slate_size), -1, dtype=np.int64)
        for row, creator in enumerate(request.creators.tolist()):
            mixed = team_draft(
                [int(i) for i in slates_a[row] if i >= 0],
                [int(i) for i in slates_b[row] if i >= 0],
                length=request.slate_size,
                rng=rng,
            )
            out[row, : len(mixed.items)] = mixed.items
            self.lists.setdefault((creator, request.entry_point), []).append(
                (mixed.items, mixed.teams)
            )
        return out

    def observe(self, feedback: Feedback) -> None:
        self.a.observe(feedback)
        if self.b is not self.a:
            self.b.observe(feedback)


@dataclass
class FeedPolicy:
    """``feed`` on the home feed, ``rest`` elsewhere: the A/B arms differ only where the
    interleaving does."""

    feed: Policy
    rest: Policy
    name: str = "feed"

    def rank(self, request: SlateRequest, rng: np.random.Generator) -> IntArray:
        chosen = self.feed if request.entry_point == INTERLEAVED else self.rest
        return chosen.rank(request, rng)

    def observe(self, feedback: Feedback) -> None:
        self.feed.observe(feedback)
        if self.rest is not self.feed:
            self.rest.observe(feedback)


@dataclass(frozen=True)
class Credited:
    credits: list[CreatorCredit]  # one per creator shown an interleaved page
    requests: int  # interleaved requests logged
    credited: int  # of which matched to their list

    @property
    def credited_share(self) -> float:
        return self.credited / self.requests if self.requests else 0.0


_FEED_SQL = """
SELECT creator_id, entry_point, request_id, name, position, item_kind || ':' || item_id
FROM events
WHERE name IN ('impression', 'click') AND entry_point = 'academy_home'
ORDER BY request_id, name, position
"""


def _feed_events(events_dir: Path) -> list[tuple[str, str, str, str, int, str]]:
    with DuckDBEngine() as engine:
        engine.register_lake(events_dir)
        return [
            (str(c), str(e), str(r), str(n), int(p), str(i))
            for c, e, r, n, p, i in engine.query(_FEED_SQL)
        ]


def interleaving_credits(policy: InterleavingPolicy, events_dir: Path) -> Credited:
    """Each creator's wins, losses and ties from the simulated lake in ``events_dir``."""
    keys = [f"{item.item_kind}:{item.item_id}" for item in simulation_catalog().items]
    lists: dict[tuple[str, str], list[tuple[tuple[str, ...], tuple[Team, ...]]]] = {}
    for (index, entry), made in policy.lists.items():
        lists[(f"{CREATOR_PREFIX}{index:07d}", entry)] = [
            (tuple(keys[i] for i in items), teams) for items, teams in made
        ]
    requests: dict[str, tuple[str, str, list[str], set[str]]] = {}
    for creator, entry, request, name, _position, item in _feed_events(events_dir):
        _creator, _entry, shown_items, clicked_items = requests.setdefault(
            request, (creator, entry, [], set())
        )
        if name == "impression":
            shown_items.append(item)  # in position order
        else:
            clicked_items.add(item)
    counts: dict[str, list[int]] = {}
    credited = 0
    for creator, entry, shown, clicked in requests.values():
        counts.setdefault(creator, [0, 0, 0])
        depth = len(shown)
        teams = {
            made_teams[:depth]
            for items, made_teams in lists.get((creator, entry), [])
            if items[:depth] == tuple(shown)
        }
        if len(teams) != 1:
            continue
        credited += 1
        outcome = credit(teams.pop(), [item in clicked for item in shown]).outcome
        if clicked & set(shown):
            counts[creator][{"A": 0, "B": 1, "tie": 2}[outcome]] += 1
    return Credited(
        credits=[CreatorCredit(*values) for values in counts.values()],
        requests=len(requests),
        credited=credited,
    )


def _feed_ratio(events_dir: Path) -> RatioStats:
    """Per-creator home-feed clicks over home-feed impressions (creators shown the feed)."""
    with DuckDBEngine() as engine:
        engine.register_lake(events_dir)
        rows = engine.query(
            "SELECT creator_id, COUNT(*) FILTER (WHERE name = 'click'), "
            "COUNT(*) FILTER (WHERE name = 'impression') FROM events "
            "WHERE entry_point = 'academy_home' GROUP BY 1 "
            "HAVING COUNT(*) FILTER (WHERE name = 'impression') > 0"
        )
    return RatioStats.from_values([r[1] for r in rows], [r[2] for r in rows])


@dataclass(frozen=True)
class Sensitivity:
    """Interleaving against the A/B comparison on the same simulated world."""

    interleaving: InterleavingResult
    credited_share: float
    shown_creators: int  # creators shown an interleaved page
    self_interleaving: InterleavingResult
    ab_popularity_ctr: float
    ab_for_you_ctr: float
    ab_creators_per_arm: int  # creators shown the feed, per arm
    ab_creators_needed: int  # both arms together, for 80 % power at alpha 0.05
    interleaving_creators_needed: int  # creators shown interleaved pages, same power


def interleaving_sensitivity(
    *,
    creators: int,
    warmup_days: int,
    days: int,
    seed: int,
    events_dir: Path,
    step: Callable[[str], None] | None = None,
) -> Sensitivity:
    """The protocol of the module docstring; ``events_dir`` takes the warm-up's lake."""
    say = step or (lambda _message: None)
    say("warm-up under popularity")
    simulation_run(
        creators=creators, days=warmup_days, seed=seed, sink="lake", events_dir=events_dir,
        rollups=True,
    )  # fmt: skip
    search_popularity_refresh(events_dir=events_dir)
    catalogue_forget()
    say("training")
    recsys_train(events_dir=events_dir, seed=seed)
    items = len(simulation_catalog().items)

    def run(policy: Policy | str) -> tuple[Path, tempfile.TemporaryDirectory[str]]:
        scratch = tempfile.TemporaryDirectory(prefix="academy-sim-")
        simulation_run(
            creators=creators, days=days, seed=seed, policy=policy, sink="lake",
            events_dir=Path(scratch.name),
        )  # fmt: skip
        return Path(scratch.name), scratch

    say("interleaving the feed with popularity")
    mixed = InterleavingPolicy(a=ForYouPolicy(), b=PopularityPolicy(items))
    lake, scratch = run(mixed)
    with scratch:
        credited = interleaving_credits(mixed, lake)
    say("interleaving popularity with itself")
    popularity = PopularityPolicy(items)
    same = InterleavingPolicy(a=popularity, b=popularity)
    lake, scratch = run(same)
    with scratch:
        self_credited = interleaving_credits(same, lake)
    say("A/B: popularity, then the feed")
    arms = []
    for feed in (PopularityPolicy(items), ForYouPolicy()):
        rest = feed if isinstance(feed, PopularityPolicy) else PopularityPolicy(items)
        lake, scratch = run(FeedPolicy(feed=feed, rest=rest))
        with scratch:
            arms.append(_feed_ratio(lake))
    control, treatment = estimate(arms[0]), estimate(arms[1])
    ab_needed = 2 * sample_size_per_variation(
        baseline_mean=control.mean,
        baseline_variance=control.variance,
        relative_effect=(treatment.mean - control.mean) / control.mean,
        treatment_variance=treatment.variance,
    )
    result = interleaving_test(credited.credits)
    shown = len(credited.credits)
    clicked_share = result.creators / shown
    return Sensitivity(
        interleaving=result,
        credited_share=credited.credited_share,
        shown_creators=shown,
        self_interleaving=interleaving_test(self_credited.credits),
        ab_popularity_ctr=control.mean,
        ab_for_you_ctr=treatment.mean,
        ab_creators_per_arm=min(control.n, treatment.n),
        ab_creators_needed=ab_needed,
        # Creators without a click count for nothing, but they had to be shown the pages.
        interleaving_creators_needed=int(
            np.ceil(interleaving_creators_needed(credited.credits) / clicked_share)
        ),
    )
