"""Top-K metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from academy.recsys.engine.metrics import top_k_metrics


def test_metrics_of_two_users_match_the_hand_computation() -> None:
    # User 1: relevant {1, 3}; list 1, 2, 3 -> hits at ranks 1 and 3.
    # User 2: relevant {9}; list 4, 5, 6 -> no hit.
    result = top_k_metrics([[1, 2, 3], [4, 5, 6]], [{1, 3}, {9}], k=3, catalogue_size=10)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert result.ndcg == pytest.approx((dcg / idcg + 0) / 2)
    assert result.recall == pytest.approx((2 / 2 + 0) / 2)
    assert result.hit_rate == pytest.approx(0.5)
    assert result.coverage == pytest.approx(6 / 10)
    assert result.users == 2


def test_recall_divides_by_the_whole_test_set_and_ndcg_by_the_best_possible_at_k() -> None:
    # Three relevant items, K = 2, both shown items relevant: recall 2/3, NDCG 1.
    result = top_k_metrics([[7, 8, 9]], [{7, 8, 9}], k=2, catalogue_size=3)
    assert result.recall == pytest.approx(2 / 3)
    assert result.ndcg == pytest.approx(1.0)
    # A hit at rank 2 only.
    second = top_k_metrics([[1, 7]], [{7}], k=2, catalogue_size=3)
    assert second.ndcg == pytest.approx(1 / math.log2(3))


def test_users_without_test_items_do_not_count_and_padding_is_ignored() -> None:
    result = top_k_metrics([[1, -1], [2, 3]], [{1}, set()], k=2, catalogue_size=4)
    assert result.users == 1
    assert result.ndcg == pytest.approx(1.0)
    assert result.coverage == pytest.approx(1 / 4)
