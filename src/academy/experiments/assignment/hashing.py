"""Deterministic bucketing from the GrowthBook SDK specification.

Every function here has the name (in snake_case) and the semantics of GrowthBook's SDKs, so a
host app running one of those SDKs on the same payload puts a creator in the same bucket.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

__all__ = [
    "SeedLanes",
    "choose_variation",
    "fnv1a32",
    "gb_hash",
    "get_bucket_ranges",
    "get_equal_weights",
    "hash",
    "in_namespace",
    "in_range",
    "js_number_to_string",
    "normalized_weights",
    "seeded_hash",
]

BucketRange = tuple[float, float]

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK = 0xFFFFFFFF
# Up to this length, ASCII text is hashed without truncating to 32 bits at every byte (faster).
_UNMASKED_LENGTH = 64

# A weight vector whose sum falls outside this band is replaced by equal weights.
WEIGHT_SUM_MIN = 0.99
WEIGHT_SUM_MAX = 1.01


def fnv1a32(text: str) -> int:
    """FNV-1a 32-bit over UTF-16 code units, as JavaScript's `charCodeAt` loop sees a string."""
    return _fnv_continue(_FNV_OFFSET, text)


def _fnv_continue(value: int, text: str, prime: int = _FNV_PRIME) -> int:
    # FNV-1a is streaming: hashing `a + b` is hashing `b` starting from the state after `a`.
    if text.isascii():
        if len(text) <= _UNMASKED_LENGTH:
            # XOR with a byte and multiplying commute with taking the low 32 bits, so they can
            # be taken once at the end; the integer grows by 25 bits a byte meanwhile.
            for byte in text.encode("ascii"):
                value = (value ^ byte) * prime
            return value & _MASK
        for byte in text.encode("ascii"):
            value = ((value ^ byte) * prime) & _MASK
        return value
    data = text.encode("utf-16-le", "surrogatepass")
    for index in range(0, len(data), 2):
        value = ((value ^ (data[index] | (data[index + 1] << 8))) * _FNV_PRIME) & _MASK
    return value


@lru_cache(maxsize=8192)
def _fnv_prefix(text: str) -> int:
    """The FNV state after `text`: a rule's seed, or a creator's id hashed against many seeds."""
    return _fnv_continue(_FNV_OFFSET, text)


def hash(seed: str, value: str, version: int) -> float | None:
    """The creator's position in [0, 1) for `seed`; None for a hash version other than 1 or 2.

    Version 1 has 1,000 buckets (`fnv(value + seed) % 1000 / 1000`); version 2 has 10,000 and
    hashes twice (`fnv(str(fnv(seed + value))) % 10000 / 10000`) for a more even spread.
    """
    if version == 2:
        return (fnv1a32(str(_fnv_continue(_fnv_prefix(seed), value))) % 10_000) / 10_000
    if version == 1:
        return (_fnv_continue(_fnv_prefix(value), seed) % 1_000) / 1_000
    return None


gb_hash = hash


def seeded_hash(seed: str, version: int) -> Callable[[str], float] | None:
    """`hash` with its seed and version fixed: `seeded_hash(seed, version)(value)` is
    `hash(seed, value, version)`.

    None for a version other than 1 or 2. The seed's part of the work is done once, here.
    """
    if version == 2:
        seed_state = _fnv_prefix(seed)

        def version_2(value: str) -> float:
            # `_fnv_continue` twice, inlined: this runs for most rules of every evaluation.
            if len(value) <= _UNMASKED_LENGTH and value.isascii():
                state = seed_state
                for byte in value.encode("ascii"):
                    state = (state ^ byte) * _FNV_PRIME
                state &= _MASK
            else:
                state = _fnv_continue(seed_state, value)
            digits = _FNV_OFFSET
            for byte in str(state).encode("ascii"):
                digits = (digits ^ byte) * _FNV_PRIME
            return ((digits & _MASK) % 10_000) / 10_000

        return version_2
    if version == 1:

        def version_1(value: str) -> float:
            return (_fnv_continue(_fnv_prefix(value), seed) % 1_000) / 1_000

        return version_1
    return None


def in_range(n: float, bucket_range: Sequence[float]) -> bool:
    """Whether `n` falls in the half-open range [start, end)."""
    return bucket_range[0] <= n < bucket_range[1]


def in_namespace(user_id: str, namespace: Sequence[Any]) -> bool:
    """Whether `user_id` falls in the namespace's slice `(name, start, end)`.

    Experiments sharing a namespace with non-overlapping slices never share a creator.
    """
    n = hash("__" + namespace[0], user_id, 1)
    return n is not None and bool(namespace[1] <= n < namespace[2])


class SeedLanes:
    """Version-2 hashes of one value under many seeds, the first FNV pass done for all at once.

    `SeedLanes(seeds).hashes(value)` prepares `hash(seeds[i], value, 2)` for every `i`; then
    `at(prepared, i)` gives it. The first pass (`fnv(seed + value)`) runs on all seeds together,
    each in a 64-bit lane of one integer: XOR with a code unit and multiplying by the FNV prime
    never carry from one lane into the next, so each step is three integer operations whatever
    the number of seeds. The second pass (`fnv(str(first))`) runs for the seeds asked for.
    """

    __slots__ = ("_count", "_masks", "_ones", "_start", "_struct")

    def __init__(self, seeds: Sequence[str]) -> None:
        self._count = len(seeds)
        self._ones = sum(1 << (64 * lane) for lane in range(self._count))
        self._masks = _MASK * self._ones
        self._struct = struct.Struct(f"<{self._count}Q")
        states = self._struct.pack(*(_fnv_prefix(seed) for seed in seeds))
        self._start = int.from_bytes(states, "little")

    def hashes(self, value: str) -> tuple[int, ...]:
        """The first pass of `value` under every seed (what `at` reads)."""
        if value.isascii():
            units: Sequence[int] = value.encode("ascii")
        else:
            data = value.encode("utf-16-le", "surrogatepass")
            units = struct.unpack(f"<{len(data) // 2}H", data)
        lanes, ones, masks = self._start, self._ones, self._masks
        for unit in units:
            lanes = ((lanes ^ (unit * ones)) * _FNV_PRIME) & masks
        return self._struct.unpack(lanes.to_bytes(8 * self._count, "little"))

    @staticmethod
    def at(prepared: tuple[int, ...], lane: int) -> float:
        """`hash(seeds[lane], value, 2)` from `hashes(value)`."""
        digits = _FNV_OFFSET
        for byte in str(prepared[lane]).encode("ascii"):
            digits = (digits ^ byte) * _FNV_PRIME
        return ((digits & _MASK) % 10_000) / 10_000


def get_equal_weights(num_variations: int) -> list[float]:
    """`num_variations` equal weights summing to 1 (none for fewer than one variation)."""
    if num_variations < 1:
        return []
    return [1 / num_variations] * num_variations


def _valid_weights(weights: Any, num_variations: int) -> bool:
    if not isinstance(weights, list) or len(weights) != num_variations:
        return False
    try:
        for weight in weights:
            if (
                not isinstance(weight, (int, float))
                or isinstance(weight, bool)
                or not math.isfinite(weight)
                or weight < 0
            ):
                return False
        return WEIGHT_SUM_MIN <= sum(weights) <= WEIGHT_SUM_MAX
    except OverflowError:  # an integer too large for a float
        return False


def normalized_weights(num_variations: int, weights: Any) -> list[float]:
    """The weights bucketing uses: `weights` when valid, else equal weights.

    Valid means one finite, non-negative number per variation, summing to 1 ± 0.01.
    """
    if _valid_weights(weights, num_variations):
        return list(weights)
    return get_equal_weights(num_variations)


def get_bucket_ranges(
    num_variations: int, coverage: float = 1, weights: Sequence[float] | None = None
) -> list[BucketRange]:
    """Each variation's slice of [0, 1): its weight, of which the first `coverage` share is used.

    Coverage is clamped to [0, 1]; weights that do not fit (wrong length, negative, or not
    summing to 1) are replaced by equal weights.
    """
    coverage = min(max(coverage, 0), 1)
    ranges: list[BucketRange] = []
    cumulative: float = 0
    for weight in normalized_weights(num_variations, weights):
        start = cumulative
        cumulative += weight
        ranges.append((start, start + coverage * weight))
    return ranges


def choose_variation(n: float, ranges: Sequence[Sequence[float]]) -> int:
    """The index of the range holding `n`, or -1 when it falls in none (outside coverage)."""
    for index, bucket_range in enumerate(ranges):
        if bucket_range[0] <= n < bucket_range[1]:
            return index
    return -1


def js_number_to_string(value: float) -> str:
    """A number written as JavaScript's `String(number)` writes it (`1e+21`, `0.5`, `7`).

    Hash values and version strings from numeric attributes must match the JS SDKs byte for byte.
    """
    if isinstance(value, int) and -(2**53) < value < 2**53:
        return str(value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf if value > 0 else -math.inf
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    if number < 0:
        return "-" + js_number_to_string(-number)
    # repr() gives the shortest digits that round-trip, as ECMAScript's Number::toString does.
    sign_digits_exponent = Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(str(digit) for digit in sign_digits_exponent.digits)
    exponent = sign_digits_exponent.exponent
    assert isinstance(exponent, int)
    count = len(digits)
    point = exponent + count  # the value is 0.DIGITS x 10^point
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    mantissa = digits[0] + ("." + digits[1:] if count > 1 else "")
    power = point - 1
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"
