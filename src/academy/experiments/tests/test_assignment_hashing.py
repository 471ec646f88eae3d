"""Bucketing: our functions against the official GrowthBook SDK, and the spec's examples."""

from __future__ import annotations

import pytest
from growthbook import core as growthbook
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.experiments.assignment import (
    choose_variation,
    fnv1a32,
    gb_hash,
    get_bucket_ranges,
    get_equal_weights,
    hash,
    in_namespace,
    in_range,
    js_number_to_string,
    padded_version_string,
)
from academy.experiments.assignment.hashing import SeedLanes, seeded_hash
from academy.experiments.tests.strategies import VERSIONS

IDS = st.text(max_size=24) | st.text(alphabet="abcdef0123456789-", max_size=36)
WEIGHTS = st.lists(st.floats(-0.5, 1.5, allow_nan=False), max_size=5) | st.lists(
    st.sampled_from([0.1, 0.2, 0.25, 0.5, 1 / 3, 0.0]), max_size=5
)

# ---------------------------------------------------------------------------------------------
# Compared with GrowthBook's Python SDK on generated input


@settings(max_examples=300, deadline=None)
@given(seed=IDS, value=IDS, version=st.integers(0, 3))
def test_hash_matches_growthbook(seed: str, value: str, version: int) -> None:
    assert hash(seed, value, version) == growthbook.gbhash(seed, value, version)


@settings(max_examples=150, deadline=None)
@given(
    seed=IDS,
    value=IDS | st.text(alphabet="abcdef0123456789-", min_size=60, max_size=200),
    version=st.integers(0, 3),
)
def test_a_hash_prepared_for_a_seed_is_the_hash(seed: str, value: str, version: int) -> None:
    prepared = seeded_hash(seed, version)
    expected = growthbook.gbhash(seed, value, version)
    assert (prepared(value) if prepared is not None else None) == expected
    assert hash(seed, value, version) == expected  # long ids too


@settings(max_examples=100, deadline=None)
@given(seeds=st.lists(IDS, max_size=6), value=IDS)
def test_seeds_hashed_together_give_each_seeds_hash(seeds: list[str], value: str) -> None:
    lanes = SeedLanes(seeds)
    prepared = lanes.hashes(value)
    together = [SeedLanes.at(prepared, lane) for lane in range(len(seeds))]
    assert together == [growthbook.gbhash(seed, value, 2) for seed in seeds]


@settings(max_examples=300, deadline=None)
@given(
    num_variations=st.integers(0, 5),
    coverage=st.floats(-0.5, 1.5, allow_nan=False),
    weights=st.none() | WEIGHTS,
)
def test_bucket_ranges_match_growthbook(
    num_variations: int, coverage: float, weights: list[float] | None
) -> None:
    expected = growthbook.getBucketRanges(num_variations, coverage, weights)
    assert get_bucket_ranges(num_variations, coverage, weights) == expected


@settings(max_examples=200, deadline=None)
@given(
    n=st.floats(0, 1, exclude_max=True),
    num_variations=st.integers(1, 5),
    coverage=st.floats(0, 1),
    weights=st.none() | WEIGHTS,
)
def test_choose_variation_matches_growthbook(
    n: float, num_variations: int, coverage: float, weights: list[float] | None
) -> None:
    ranges = get_bucket_ranges(num_variations, coverage, weights)
    assert choose_variation(n, ranges) == growthbook.chooseVariation(n, ranges)


@settings(max_examples=200, deadline=None)
@given(
    user_id=IDS,
    name=IDS,
    bounds=st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted),
)
def test_in_namespace_matches_growthbook(user_id: str, name: str, bounds: list[float]) -> None:
    namespace = (name, bounds[0], bounds[1])
    assert in_namespace(user_id, namespace) == growthbook.inNamespace(user_id, namespace)


@given(num_variations=st.integers(-2, 12))
def test_equal_weights_match_growthbook(num_variations: int) -> None:
    assert get_equal_weights(num_variations) == growthbook.getEqualWeights(num_variations)


@settings(max_examples=200, deadline=None)
@given(version=VERSIONS | st.text(alphabet="v0123456789.-+rcbeta", max_size=12))
def test_padded_version_matches_growthbook(version: object) -> None:
    assert padded_version_string(version) == growthbook.paddedVersionString(version)


@settings(max_examples=300, deadline=None)
@given(number=st.floats(allow_nan=False) | st.integers(-(10**30), 10**30))
def test_numbers_are_written_as_javascript_writes_them(number: float) -> None:
    # A numeric creator id is hashed as JavaScript's String(id).
    assert js_number_to_string(number) == growthbook._js_number_to_string(number)


# ---------------------------------------------------------------------------------------------
# The specification's behaviour, by example


def test_fnv1a_matches_the_published_test_vectors() -> None:
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert fnv1a32("foobar") == 0xBF9CF968


def test_hash_version_one_matches_the_specification_examples() -> None:
    assert hash("", "a", 1) == pytest.approx(0.22)
    assert hash("", "b", 1) == pytest.approx(0.077)
    assert hash("b", "a", 1) == pytest.approx(0.946)
    assert hash("ef", "d", 1) == pytest.approx(0.652)


def test_hash_version_two_has_finer_buckets_and_any_other_version_is_none() -> None:
    assert hash("seed", "creator-1", 2) == pytest.approx(0.0207)
    assert hash("seed", "creator-1", 3) is None
    assert hash("seed", "creator-1", 0) is None
    assert gb_hash is hash


def test_hash_is_spread_evenly_over_creators() -> None:
    buckets = [hash("card-design", f"creator-{number}", 2) for number in range(10_000)]
    below_half = sum(1 for bucket in buckets if bucket is not None and bucket < 0.5)
    assert 4_800 < below_half < 5_200


def test_non_ascii_ids_hash_by_utf16_code_units() -> None:
    # U+1D49C is the surrogate pair D835 DC9C in JavaScript, hashed as two code units.
    script_a = "\U0001d49c"
    by_code_unit = 0x811C9DC5
    for unit in (0xD835, 0xDC9C):
        by_code_unit = ((by_code_unit ^ unit) * 0x01000193) & 0xFFFFFFFF
    assert fnv1a32(script_a) == by_code_unit
    assert hash("", script_a, 1) == growthbook.gbhash("", script_a, 1)


def test_weights_not_summing_to_one_fall_back_to_equal_weights() -> None:
    assert get_bucket_ranges(2, 1, [0.4, 0.4]) == [(0, 0.5), (0.5, 1)]
    assert get_bucket_ranges(3, 1, [0.5, 0.5]) == get_bucket_ranges(3, 1, None)
    assert get_bucket_ranges(2, 1, [0.2, 0.8]) == [(0, 0.2), (0.2, 1.0)]


def test_coverage_keeps_the_start_of_each_variation_slice() -> None:
    assert get_bucket_ranges(2, 0.5, [0.5, 0.5]) == [(0, 0.25), (0.5, 0.75)]
    assert get_bucket_ranges(2, 0, None) == [(0, 0), (0.5, 0.5)]
    assert get_bucket_ranges(2, 7, None) == [(0, 0.5), (0.5, 1)]


def test_coverage_zero_puts_no_one_in_the_experiment() -> None:
    ranges = get_bucket_ranges(3, 0, None)
    assert all(choose_variation(n / 1000, ranges) == -1 for n in range(1000))


def test_choose_variation_outside_every_range_is_minus_one() -> None:
    ranges = [(0.0, 0.3), (0.5, 0.8)]
    assert choose_variation(0.29, ranges) == 0
    assert choose_variation(0.3, ranges) == -1
    assert choose_variation(0.5, ranges) == 1
    assert choose_variation(0.8, ranges) == -1
    assert in_range(0.3, (0.3, 0.4))
    assert not in_range(0.4, (0.3, 0.4))


def test_disjoint_namespace_slices_never_share_a_creator() -> None:
    first, second = ("feed-tests", 0, 0.4), ("feed-tests", 0.4, 1)
    members = [f"creator-{number}" for number in range(2_000)]
    in_first = {creator for creator in members if in_namespace(creator, first)}
    in_second = {creator for creator in members if in_namespace(creator, second)}
    assert not in_first & in_second
    assert in_first | in_second == set(members)
    assert 700 < len(in_first) < 900


def test_equal_weights() -> None:
    assert get_equal_weights(4) == [0.25, 0.25, 0.25, 0.25]
    assert get_equal_weights(0) == []
