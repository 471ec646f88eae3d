"""The evaluation protocol's split on a hand-written dataset."""

from __future__ import annotations

import pytest

from academy.recsys.engine.data import Interactions
from academy.recsys.engine.errors import NotEnoughData
from academy.recsys.engine.split import temporal_split

# (user, item, time). Ana: 5 items, her last is the test set. Bo: 14 interactions on 10
# items, so 2 test items: he came back to "a" last (time 10), and h, i and j all end at time 9
# (a pair keeps its last time, so j's earlier 8 does not count). Cy has 4 items: dropped.
ROWS = [
    *[("ana", item, time) for item, time in zip("vwxyz", [5, 1, 4, 2, 3], strict=True)],
    *[("bo", item, time) for item, time in zip("abcdefghij", range(10), strict=True)],
    ("bo", "i", 9),
    ("bo", "h", 9),
    ("bo", "j", 8),
    ("bo", "a", 10),
    *[("cy", item, 1) for item in "abcd"],
]


def pairs(data: Interactions, user: str) -> set[str]:
    index = data.user_index[user]
    return {str(data.item_ids[item]) for item in data.items[data.users == index]}


def test_the_most_recent_fifth_of_each_users_items_is_the_test_set() -> None:
    data = Interactions.from_arrays(*zip(*ROWS, strict=True))
    split = temporal_split(data)
    assert pairs(split.test, "ana") == {"v"}
    assert pairs(split.train, "ana") == {"w", "x", "y", "z"}
    # a (10) is the most recent; of h, i and j tied at 9, j is last by item id.
    assert pairs(split.test, "bo") == {"a", "j"}
    assert pairs(split.train, "bo") == set("bcdefghi")
    assert "cy" not in {str(data.user_ids[u]) for u in split.users}
    assert split.catalogue_size == len(set("vwxyz") | set("abcdefghij"))
    # No pair is in both, and the training side holds one row per pair.
    assert len(split.train) == 4 + 8
    assert len(split.test) == 1 + 2


def test_a_validation_split_keeps_short_users_in_training() -> None:
    data = Interactions.from_arrays(*zip(*ROWS, strict=True))
    split = temporal_split(data, short_users="train")
    assert pairs(split.train, "cy") == set("abcd")
    assert pairs(split.test, "cy") == set()


def test_fifteen_items_give_exactly_three_test_items() -> None:
    rows = [("u", f"i{n:02d}", n) for n in range(15)]
    split = temporal_split(Interactions.from_arrays(*zip(*rows, strict=True)))
    assert pairs(split.test, "u") == {"i12", "i13", "i14"}


def test_nobody_with_enough_interactions_is_refused() -> None:
    data = Interactions.from_arrays(["a", "a"], ["x", "y"], [1, 2])
    with pytest.raises(NotEnoughData, match="at least 5"):
        temporal_split(data)
