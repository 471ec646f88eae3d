"""The fast paths of serving pick exactly what the plain definitions pick.

Each fast path (bench/feed_latency.py measures why it exists) is checked against the obvious
implementation written out here — sort everything, walk every item — on catalogues with many
equal scores, so an order or a tie broken differently would show.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import scipy.sparse as sp  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.recsys import model_store
from academy.recsys.catalogue import KINDS, Catalogue, CatalogueItem, ItemText
from academy.recsys.engine.models import ALS, ItemKNN
from academy.recsys.model_store import ForYouModel
from academy.recsys.ranking import Slot, rerank
from academy.recsys.selectors import (
    FRESH_DAYS,
    CreatorState,
    _because_titles,
    _first_allowed,
    _freshest,
    _most_popular_of_topics,
    _top_pairs,
)
from academy.recsys.tests.recsys_data import two_clusters

TODAY = 20_000.0


def synthetic_catalogue(size: int, seed: int = 0) -> Catalogue:
    """``size`` items in a few courses and topics, with many equal popularities and dates."""
    rng = np.random.default_rng(seed)
    items = []
    for index in range(size):
        course = int(rng.integers(0, max(1, size // 6)))
        kind = "lesson" if index % 3 else "wiki"
        items.append(
            CatalogueItem(
                index=index,
                item=f"{kind}:{index}",
                item_kind=kind,
                kind=KINDS[index % len(KINDS)],
                topic=f"topic-{index % 4}",
                level="",
                group=f"course:c{course}" if kind == "lesson" else f"{kind}:{index}",
                hashtags=(),
                original_language="en",
                published_at=datetime(2024, 1, 1, tzinfo=UTC),
                texts={"en": ItemText(f"Item {index}", "", f"Course {course}", "/")},
            )
        )
    published = TODAY - rng.integers(-2, 40, size).astype(np.float64)
    published[rng.random(size) < 0.1] = np.nan
    more = {"ctr_lift": np.ones(size)} if "ctr_lift" in Catalogue.__dataclass_fields__ else {}
    return Catalogue(  # type: ignore[call-arg,unused-ignore]
        **more,
        items=items,
        index={item.item: item.index for item in items},
        topics=np.array([index % 4 for index in range(size)], dtype=np.int32),
        topic_codes={f"topic-{code}": code for code in range(4)},
        levels=np.zeros(size, dtype=np.int8),
        groups=np.array([hash(item.group) % 97 for item in items], dtype=np.int32),
        kinds=np.array([index % len(KINDS) for index in range(size)], dtype=np.int8),
        published_days=published,
        popularity=rng.integers(0, 5, size) / 4.0,  # five values: ties everywhere
        languages={"en": np.ones(size, dtype=np.bool_)},
        version=(size, str(seed)),
    )


def best_by_sorting(scores: np.ndarray, allowed: np.ndarray, k: int) -> list[int]:
    """The definition: every allowed item sorted by score (high first), then index."""
    return sorted(np.flatnonzero(allowed).tolist(), key=lambda i: (-scores[i], i))[:k]


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 400),
    k=st.integers(1, 120),
    seed=st.integers(0, 2**16),
    share=st.floats(0.0, 1.0),
)
def test_top_picks_the_best_allowed_items_and_breaks_ties_by_index(
    size: int, k: int, seed: int, share: float
) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size).astype(np.float64)
    allowed = rng.random(size) < share
    items = np.flatnonzero(allowed)
    assert _top_pairs(items, scores[items], k) == best_by_sorting(scores, allowed, k)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 3000), k=st.integers(1, 150), seed=st.integers(0, 2**16))
def test_trending_read_in_popularity_order_equals_sorting_everything(
    size: int, k: int, seed: int
) -> None:
    cat = synthetic_catalogue(size, seed)
    allowed = np.random.default_rng(seed).random(size) < 0.3
    picked = _first_allowed(cat.popularity_order, k, lambda block: allowed[block])
    assert picked == best_by_sorting(cat.popularity, allowed, k)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(1, 3000),
    k=st.integers(1, 150),
    seed=st.integers(0, 2**16),
    topics=st.sets(st.integers(0, 4)),
)
def test_goal_topics_read_topic_by_topic_equal_sorting_everything(
    size: int, k: int, seed: int, topics: set[int]
) -> None:
    """The "your goals" source: the most popular allowed items of the creator's topics (code 4
    has no item), whether read from each topic's order or by sorting the whole catalogue."""
    cat = synthetic_catalogue(size, seed)
    allowed = np.random.default_rng(seed).random(size) < 0.3
    relevant = allowed & np.isin(cat.topics, list(topics))
    assert _most_popular_of_topics(cat, topics, allowed, k) == best_by_sorting(
        cat.popularity, relevant, k
    )


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 3000), k=st.integers(1, 80), seed=st.integers(0, 2**16))
def test_fresh_items_newest_first_equal_sorting_everything(size: int, k: int, seed: int) -> None:
    cat = synthetic_catalogue(size, seed)
    allowed = np.random.default_rng(seed + 1).random(size) < 0.5
    age = np.nan_to_num(TODAY - cat.published_days, nan=1e9)
    expected = best_by_sorting(-age, allowed & (age <= FRESH_DAYS), k)
    assert _freshest(cat, allowed, TODAY, k) == expected


def rerank_by_definition(
    cat: Catalogue,
    ranked: list[int],
    scores: list[float],
    *,
    limit: int,
    exploration: float,
    explore_pool: list[int],
    rng: np.random.Generator,
) -> list[Slot]:
    """Re-ranking as first written: plain lists, one item at a time."""
    remaining = list(zip(ranked, scores, strict=True))
    top = set(ranked[: limit * 2])
    pool = [index for index in explore_pool if index not in top]
    page: list[Slot] = []
    while len(page) < limit and (remaining or pool):
        if pool and rng.random() < exploration:
            index = pool.pop(int(rng.integers(len(pool))))
            page.append(Slot(index, 0.0, exploration / (len(pool) + 1), explored=True))
            continue
        if not remaining:
            break
        previous = page[-1].index if page else None
        choice = 0
        if previous is not None:
            for position, (index, _score) in enumerate(remaining):
                same_group = cat.groups[index] == cat.groups[previous]
                same_topic = cat.topics[index] == cat.topics[previous]
                if not (same_group or same_topic):
                    choice = position
                    break
        index, score = remaining.pop(choice)
        page.append(Slot(index, float(score), 1.0 - exploration, explored=False))
    return page


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 300),
    candidates=st.integers(0, 60),
    limit=st.integers(1, 30),
    exploration=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_rerank_gives_the_same_page_and_propensities_as_the_plain_version(
    size: int, candidates: int, limit: int, exploration: float, seed: int
) -> None:
    cat = synthetic_catalogue(size, seed)
    rng = np.random.default_rng(seed)
    ranked = rng.permutation(size)[: min(candidates, size)].tolist()
    scores = sorted(rng.random(len(ranked)).tolist(), reverse=True)
    pool = np.flatnonzero(rng.random(size) < 0.7)
    fast = rerank(
        cat, ranked, scores, limit=limit, exploration=exploration, explore_pool=pool,
        rng=np.random.default_rng(seed),
    )  # fmt: skip
    plain = rerank_by_definition(
        cat, ranked, scores, limit=limit, exploration=exploration, explore_pool=pool.tolist(),
        rng=np.random.default_rng(seed),
    )  # fmt: skip
    assert fast == plain
    mask = np.zeros(size, dtype=np.bool_)
    mask[pool] = True
    from_mask = rerank(
        cat, ranked, scores, limit=limit, exploration=exploration, explore_pool=mask,
        rng=np.random.default_rng(seed),
    )  # fmt: skip
    assert from_mask == plain


@pytest.fixture
def small_model() -> ForYouModel:
    data = two_clusters()
    als = ALS(factors=8, iterations=5, seed=1, threads=1).fit(data)
    knn = ItemKNN(neighbours=5, threads=1).fit(data)
    return ForYouModel(
        version="v",
        manifest={},
        knn=knn,
        als=als,
        ranker=None,
        user_index={str(user): index for index, user in enumerate(data.user_ids)},
        item_ids=np.array([f"wiki:{item}" for item in data.item_ids]),
        item_index={f"wiki:{item}": index for index, item in enumerate(data.item_ids)},
    )


def test_because_you_viewed_names_the_most_similar_recent_item(
    small_model: ForYouModel,
) -> None:
    cat = synthetic_catalogue(30)
    items = [str(item) for item in small_model.item_ids]
    cat = Catalogue(
        **{
            **cat.__dict__,
            "items": [
                CatalogueItem(**{**item.__dict__, "item": items[item.index]})
                for item in cat.items[: len(items)]
            ],
            "index": {item: index for index, item in enumerate(items)},
        }
    )
    recent = {items[0]: 1.0, items[3]: 1.0, "wiki:gone": 1.0, items[15]: 3.0}
    state = CreatorState(
        personalised=True, suppressed_items=frozenset(), suppressed_topics=frozenset(),
        completed=frozenset(), recent=recent, next_lessons={}, history_reset_at=None,
    )  # fmt: skip
    similarity = small_model.knn.item_similarity
    targets = list(range(len(items)))
    expected = {}
    for target in targets:
        best, best_value = "", 0.0
        for item in recent:
            if item not in small_model.item_index:
                continue
            value = float(similarity[small_model.item_index[item], target])
            if value > best_value:
                best, best_value = item, value
        if best:
            expected[target] = f"Item {cat.index[best]}"
    assert expected  # some cards are explained by a recent item
    assert _because_titles(small_model, cat, targets, state, "en") == expected


def test_personal_scores_equal_the_models_own_sparse_scoring(small_model: ForYouModel) -> None:
    """kNN neighbours gathered row by row equal the history x similarity product (scaled by
    the best); the ALS feature of any item equals `ALS.score`; the ALS head, when it holds
    every item, ranks what the full product ranks."""
    items = [str(item) for item in small_model.item_ids]
    cat = synthetic_catalogue(len(items) + 5)
    # The catalogue lists the model's items in reverse, plus items the model never saw.
    listed = [*reversed(items), *(f"wiki:new-{n}" for n in range(5))]
    cat = Catalogue(
        **{
            **cat.__dict__,
            "items": [
                CatalogueItem(**{**item.__dict__, "item": listed[item.index]}) for item in cat.items
            ],
            "index": {item: index for index, item in enumerate(listed)},
        }
    )
    recent = {items[2]: 1.0, items[7]: 3.0}
    user = next(iter(small_model.user_index))
    columns, weights = small_model.history(user, recent)
    personal = small_model.personal_scores(cat, columns, weights)

    row = small_model.knn.seen[small_model.user_index[user]].astype(np.float32).toarray()[0]
    row[[small_model.item_index[item] for item in recent]] += [1.0, 3.0]
    assert sorted(zip(columns.tolist(), weights.tolist(), strict=True)) == [
        (int(c), float(row[c])) for c in np.flatnonzero(row)
    ]
    dense = small_model.knn.score(np.array([0]), history=sp.csr_matrix(row))[0]
    expected_knn = np.zeros(len(cat))
    for model_index, score in enumerate(dense / (dense.max() or 1.0)):
        expected_knn[cat.index[items[model_index]]] = max(score, 0.0)
    everything = np.arange(len(cat))
    assert np.allclose(personal.knn_at(everything), expected_knn, atol=1e-6)
    assert personal.knn_at(everything)[len(items) :].tolist() == [0.0] * 5

    assert small_model.als is not None
    als = small_model.als.score(np.array([0]), history=sp.csr_matrix(row))[0]
    expected_als = np.zeros(len(cat))
    for model_index, score in enumerate(als):
        expected_als[cat.index[items[model_index]]] = max(float(score), 0.0)
    assert np.allclose(personal.als_at(everything), expected_als, atol=1e-5)
    head, scores = personal.als_head()
    assert sorted(head.tolist()) == list(range(len(items)))  # the whole model fits the head
    assert np.allclose(scores, [als[small_model.item_index[listed[i]]] for i in head], atol=1e-5)


def test_the_als_head_holds_the_items_trained_on_most(
    small_model: ForYouModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_store, "ALS_HEAD", 3)
    items = [str(item) for item in small_model.item_ids]
    cat = synthetic_catalogue(len(items))
    cat = Catalogue(
        **{
            **cat.__dict__,
            "items": [
                CatalogueItem(**{**item.__dict__, "item": items[item.index]}) for item in cat.items
            ],
            "index": {item: index for index, item in enumerate(items)},
        }
    )
    counts = np.bincount(small_model.knn.seen.indices, minlength=len(items))
    most = sorted(range(len(items)), key=lambda i: (-counts[i], i))[:3]
    assert sorted(small_model.live(cat).head_items.tolist()) == sorted(most)


@settings(max_examples=60, deadline=None)
@given(entries=st.integers(0, 300), n_items=st.integers(1, 2000), seed=st.integers(0, 2**16))
def test_neighbour_scores_are_summed_per_item_on_either_path(
    entries: int, n_items: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    items = rng.integers(0, n_items, entries)
    values = rng.random(entries)
    expected: dict[int, float] = {}
    for item, value in zip(items.tolist(), values.tolist(), strict=True):
        expected[item] = expected.get(item, 0.0) + value
    found, sums = model_store._sum_by_item(items, values, n_items)
    assert found.tolist() == sorted(expected)
    assert np.allclose(sums, [expected[item] for item in sorted(expected)])


def test_a_long_trained_history_is_read_as_its_strongest_interactions(
    small_model: ForYouModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = max(
        small_model.user_index, key=lambda u: small_model.knn.seen[small_model.user_index[u]].nnz
    )
    row = small_model.knn.seen[small_model.user_index[user]]
    assert row.nnz > 3
    monkeypatch.setattr(model_store, "HISTORY_LIMIT", 3)
    recent_item = str(small_model.item_ids[-1])
    columns, weights = small_model.history(user, {recent_item: 5.0})
    strongest = sorted(zip(row.indices.tolist(), row.data.tolist(), strict=True),
                       key=lambda pair: (-pair[1], pair[0]))[:3]  # fmt: skip
    expected = dict(strongest)
    last = small_model.item_index[recent_item]
    expected[last] = expected.get(last, 0.0) + 5.0
    assert dict(zip(columns.tolist(), weights.tolist(), strict=True)) == expected
