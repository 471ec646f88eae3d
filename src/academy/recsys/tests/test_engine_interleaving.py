"""Team-draft interleaving (Radlinski, Kurup & Joachims 2008) and its click credit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.recsys.engine.interleaving import credit, team_draft


def _outcomes(a: list[str], b: list[str], length: int) -> set[tuple[str, ...]]:
    """Every interleaving the coin flips produced over many seeds, as "item/team" strings."""
    seen = set()
    for seed in range(200):
        result = team_draft(a, b, length=length, rng=np.random.default_rng(seed))
        seen.add(
            tuple(f"{item}/{team}" for item, team in zip(result.items, result.teams, strict=True))
        )
    return seen


def test_overlapping_rankings_give_exactly_the_interleavings_of_the_paper() -> None:
    # Round 1: A first → a(A), b(B); B first → b(B), a(A). Round 2 from [a, b]: both teams'
    # next item is c, and whoever wins the coin takes it. Then A (a b c) has nothing left to
    # pick, and the list stops there, as in the paper — even though B still has d.
    assert _outcomes(["a", "b", "c"], ["b", "c", "d"], length=4) == {
        ("a/A", "b/B", "c/A"),
        ("a/A", "b/B", "c/B"),
        ("b/B", "a/A", "c/A"),
        ("b/B", "a/A", "c/B"),
    }
    # Without overlap the teams alternate in pairs, each pair's order by coin.
    assert _outcomes(["a", "b", "c"], ["x", "y", "z"], length=4) == {
        ("a/A", "x/B", "b/A", "y/B"),
        ("a/A", "x/B", "y/B", "b/A"),
        ("x/B", "a/A", "b/A", "y/B"),
        ("x/B", "a/A", "y/B", "b/A"),
    }


def test_identical_rankings_keep_their_order_and_split_the_credit_by_coin() -> None:
    firsts = []
    for seed in range(2000):
        result = team_draft([1, 2, 3, 4], [1, 2, 3, 4], length=4, rng=np.random.default_rng(seed))
        assert result.items == (1, 2, 3, 4)
        assert sorted(result.teams) == ["A", "A", "B", "B"]
        firsts.append(result.teams[0])
    # A fair coin: the first slot goes to A about half the time (binomial, 2000 draws).
    assert 0.46 < firsts.count("A") / len(firsts) < 0.54


def test_the_list_stops_at_the_requested_length_and_at_an_exhausted_ranking() -> None:
    rng = np.random.default_rng(1)
    assert len(team_draft(list(range(10)), list(range(10, 20)), length=5, rng=rng).items) == 5
    short = team_draft([1], [5, 6, 7, 8], length=10, rng=rng)
    assert short.items in {(1, 5), (5, 1)}
    assert team_draft([], [1, 2], length=3, rng=rng).items == ()
    with pytest.raises(ValueError, match="length"):
        team_draft([1], [1], length=-1, rng=rng)


def test_team_of_names_the_team_that_picked_an_item() -> None:
    result = team_draft(["x", "y"], ["z", "y"], length=4, rng=np.random.default_rng(3))
    assert {result.team_of("x"), result.team_of("z")} == {"A", "B"}
    assert result.team_of("x") == "A"
    assert result.team_of("nowhere") is None


@pytest.mark.parametrize(
    ("teams", "clicked", "outcome", "a", "b"),
    [
        (["A", "B", "A", "B"], [True, False, False, False], "A", 1, 0),
        (["A", "B", "A", "B"], [False, True, False, True], "B", 0, 2),
        (["A", "B", "A", "B"], [True, True, False, False], "tie", 1, 1),
        (["B", "A"], [False, False], "tie", 0, 0),
        (["B", "A", "A"], [True, True, True], "A", 2, 1),
    ],
)
def test_the_team_with_more_clicked_items_wins_the_impression(
    teams: list[str], clicked: list[bool], outcome: str, a: int, b: int
) -> None:
    result = credit(teams, clicked)  # type: ignore[arg-type]
    assert (result.clicks_a, result.clicks_b, result.outcome) == (a, b, outcome)


def test_credit_refuses_teams_and_clicks_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="shorter"):
        credit(["A", "B"], [True])


rankings = st.lists(st.integers(0, 30), max_size=25, unique=True)


@settings(max_examples=300, deadline=None)
@given(a=rankings, b=rankings, length=st.integers(0, 40), seed=st.integers(0, 2**32 - 1))
def test_team_draft_properties(a: list[int], b: list[int], length: int, seed: int) -> None:
    result = team_draft(a, b, length=length, rng=np.random.default_rng(seed))
    items, teams = result.items, result.teams
    assert len(items) == len(teams) <= length
    # Every item comes from one of the rankings, and none twice.
    assert set(items) <= set(a) | set(b)
    assert len(set(items)) == len(items)
    # The teams' sizes differ by at most one in the list and in every prefix of it.
    for end in range(len(items) + 1):
        assert abs(teams[:end].count("A") - teams[:end].count("B")) <= 1
    # Prefix property: each team's pick is its ranking's best item not yet in the list, so a
    # team's picks follow its own ranking's order.
    for position, (item, team) in enumerate(zip(items, teams, strict=True)):
        own = a if team == "A" else b
        assert item == next(x for x in own if x not in items[:position])
    for team, own in (("A", a), ("B", b)):
        ranks = [own.index(item) for item, t in zip(items, teams, strict=True) if t == team]
        assert ranks == sorted(ranks)
    # The list only stops early when one ranking has nothing left to pick.
    if len(items) < length:
        assert set(a) <= set(items) or set(b) <= set(items)
