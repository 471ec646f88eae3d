"""Interactions and their loaders, on hand-written files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from academy.recsys.engine.data import Interactions, load_csv, load_movielens
from academy.recsys.engine.errors import InteractionFormatError


def test_integer_ids_sort_as_numbers_and_text_ids_as_text() -> None:
    numbers = Interactions.from_arrays(["10", "9", "10"], [2, 1, 1], [1, 2, 3])
    assert numbers.user_ids.tolist() == [9, 10]
    assert numbers.users.tolist() == [1, 0, 1]
    assert numbers.user_index[10] == 1
    # "07" and "7" are different ids: they must not merge, so the ids stay text.
    text = Interactions.from_arrays(["07", "7", "ana"], ["x", "y", "x"], [1, 2, 3])
    assert text.user_ids.tolist() == ["07", "7", "ana"]
    assert text.item_index == {"x": 0, "y": 1}


def test_repeated_pairs_merge_summing_weights_and_keeping_the_last_time() -> None:
    data = Interactions.from_arrays(
        ["a", "a", "b", "a"], ["x", "y", "x", "x"], [5, 1, 2, 9], weights=[1.0, 1.0, 1.0, 2.0]
    )
    pairs = data.deduplicated()
    assert list(zip(pairs.users.tolist(), pairs.items.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 0),
    ]
    assert pairs.weights.tolist() == [3.0, 1.0, 1.0]
    assert pairs.timestamps.tolist() == [9, 1, 2]
    matrix = data.to_csr()
    assert matrix.toarray().tolist() == [[3.0, 1.0], [1.0, 0.0]]
    assert data.to_csr(binary=True).toarray().tolist() == [[1.0, 1.0], [1.0, 0.0]]


def test_a_csv_with_any_column_order_unix_and_iso_times_and_weights(tmp_path: Path) -> None:
    path = tmp_path / "interactions.csv"
    path.write_text(
        "item,user,timestamp,weight\n"
        "lesson-1,ana,1700000000,2\n"
        "lesson-2,ana,2023-11-14T22:13:21+00:00,\n"
        "\n"
        "lesson-1,bo,2023-11-14T23:13:20+01:00,0.5\n"
    )
    data = load_csv(path)
    assert data.user_ids.tolist() == ["ana", "bo"]
    assert data.item_ids.tolist() == ["lesson-1", "lesson-2"]
    assert data.timestamps.tolist() == [1_700_000_000, 1_700_000_001, 1_700_000_000]
    assert data.weights.tolist() == [2.0, 1.0, 0.5]


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ("user,item\nana,1\n", 1, "header must name"),
        ("user,item,timestamp,rating\nana,1,5,4\n", 1, "header must name"),
        ("user,item,timestamp\nana,1,5\nbo,2\n", 3, "expected 3 fields, found 2"),
        ("user,item,timestamp\nana,1,5\nbo,2,yesterday\n", 3, "neither Unix seconds"),
        ("user,item,timestamp\nana,1,2026-11-30T09:00:00\n", 2, "no UTC offset"),
        ("user,item,timestamp,weight\nana,1,5,-1\n", 2, "positive number"),
        ("user,item,timestamp\n,1,5\n", 2, "must not be empty"),
    ],
)
def test_a_bad_csv_row_is_named_by_its_line(
    tmp_path: Path, content: str, line: int, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InteractionFormatError, match=reason) as caught:
        load_csv(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}:")


def test_empty_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InteractionFormatError, match="is empty"):
        load_csv(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("user,item,timestamp\n")
    with pytest.raises(InteractionFormatError, match="no interactions"):
        load_csv(tmp_path / "header.csv")
    with pytest.raises(InteractionFormatError, match="cannot read"):
        load_csv(tmp_path / "absent.csv")


def test_movielens_ratings_are_interactions_of_weight_one(tmp_path: Path) -> None:
    path = tmp_path / "u.data"
    path.write_text("1\t10\t5\t900\n2\t10\t1\t901\n1\t3\t3\t902\n")
    data = load_movielens(path)
    assert len(data) == 3
    assert data.item_ids.tolist() == [3, 10]
    assert data.weights.tolist() == [1.0, 1.0, 1.0]
    assert data.to_csr().toarray().tolist() == [[1.0, 1.0], [0.0, 1.0]]
    path.write_text("1\t10\t5\t900\n2\tten\t1\t901\n")
    with pytest.raises(InteractionFormatError, match=r"line 2: .* must be integers"):
        load_movielens(path)
    path.write_text("1\t10\t5\n")
    with pytest.raises(InteractionFormatError, match="line 1: expected 4"):
        load_movielens(path)
    assert np.array_equal(
        Interactions.from_arrays([1], [2], [3]).weights, np.ones(1, dtype=np.float32)
    )
