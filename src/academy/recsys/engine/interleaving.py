"""Team-draft interleaving of two rankings, and the credit a click gives (Django-free).

Team-draft (Radlinski, Kurup & Joachims 2008, "How does clickthrough data reflect retrieval
quality?", CIKM '08, Algorithm 2): two teams pick in turns, like captains choosing players.
In every round the team that has picked fewer items picks first — when both have picked
equally often, a fair coin decides — and each team's pick is the highest item of its own
ranking not yet in the list. Everything in the interleaved list is thus one team's pick in
that team's own order, and each team fills about half of every prefix, so a creator who
clicks at random gives neither team an advantage.

- Items already in the list are skipped (the rankings may overlap).
- The list stops at ``length`` items, or — as in the paper — as soon as either ranking has
  nothing left to pick, so the two teams' sizes never differ by more than one (with rankings
  of different lengths the list is at most about twice the shorter one).
- Credit per impression: the team with more clicked items wins; equal counts (including none)
  are a tie.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import numpy as np

Team = Literal["A", "B"]
Outcome = Literal["A", "B", "tie"]
H = TypeVar("H", bound=Hashable)


@dataclass(frozen=True)
class Interleaved(Generic[H]):
    """The interleaved list, best first, and the team that picked each item."""

    items: tuple[H, ...]
    teams: tuple[Team, ...]

    def team_of(self, item: H) -> Team | None:
        for candidate, team in zip(self.items, self.teams, strict=True):
            if candidate == item:
                return team
        return None


def team_draft(
    a: Sequence[H], b: Sequence[H], *, length: int, rng: np.random.Generator
) -> Interleaved[H]:
    """The team-draft interleaving of rankings ``a`` and ``b`` (best first), at most
    ``length`` items long; ``rng`` flips the coins."""
    if length < 0:
        raise ValueError(f"length must be ≥ 0, not {length}")
    picked: set[H] = set()
    items: list[H] = []
    teams: list[Team] = []
    next_a = next_b = 0  # how far each ranking has been read
    count_a = count_b = 0

    def advance(ranking: Sequence[H], start: int) -> int:
        while start < len(ranking) and ranking[start] in picked:
            start += 1
        return start

    while len(items) < length:
        next_a, next_b = advance(a, next_a), advance(b, next_b)
        if next_a >= len(a) or next_b >= len(b):
            break
        a_first = count_a < count_b or (count_a == count_b and bool(rng.integers(2) == 0))
        team: Team
        if a_first:
            item, team, next_a, count_a = a[next_a], "A", next_a + 1, count_a + 1
        else:
            item, team, next_b, count_b = b[next_b], "B", next_b + 1, count_b + 1
        picked.add(item)
        items.append(item)
        teams.append(team)
    return Interleaved(items=tuple(items), teams=tuple(teams))


@dataclass(frozen=True)
class Credit:
    """One impression's clicks per team and who won it."""

    clicks_a: int
    clicks_b: int

    @property
    def outcome(self) -> Outcome:
        if self.clicks_a > self.clicks_b:
            return "A"
        if self.clicks_b > self.clicks_a:
            return "B"
        return "tie"


def credit(teams: Iterable[Team], clicked: Iterable[bool]) -> Credit:
    """The credit of one impression: ``teams`` of the shown items and whether each was
    clicked (aligned; an item clicked twice counts once)."""
    clicks = {"A": 0, "B": 0}
    for team, was_clicked in zip(teams, clicked, strict=True):
        if was_clicked:
            clicks[team] += 1
    return Credit(clicks_a=clicks["A"], clicks_b=clicks["B"])
