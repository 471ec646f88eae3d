"""The session loop: simulated days of creators meeting the Academy through its entry points.

Day by day and chunk by chunk of creators (numpy, no per-event Python), each active creator has
sessions; each session makes requests at the entry points (the For You card, Academy home,
search, hashtag pages); the policy fills the slates; creators see the top of each slate, click
with a probability that rises with their true utility for the item, open lessons, watch, pass or
fail quizzes, enrol, mark things "not interested", and go on to the next lesson. How satisfying
the day was moves their chance of coming back tomorrow.

Every random draw comes from a stream keyed by (seed, purpose, day, chunk), so a run is
reproducible; the chunk size depends only on the catalogue size, never on the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import optimize  # type: ignore[import-untyped]

from academy.simulation.engine import assumptions as a
from academy.simulation.engine.catalog import Catalog
from academy.simulation.engine.events import (
    ENTRY,
    EVENT_NAMES,
    NAME,
    EventBatch,
    Vocabulary,
    random_uuids,
)
from academy.simulation.engine.experiments import SimulatedExperiment
from academy.simulation.engine.parameters import Parameters, parameters_load
from academy.simulation.engine.policies import (
    Feedback,
    OraclePolicy,
    Policy,
    PopularityPolicy,
    RandomPolicy,
    SlateRequest,
)
from academy.simulation.engine.population import Population, Truth, creators_sample, utility

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DAY_US = 86_400 * 1_000_000
SECOND_US = 1_000_000
CREATOR_PREFIX = "sim-"
POLICY_NAMES = ("random", "popularity", "oracle")
CHUNK_PAIRS = 4_000_000  # creators x items held densely at once
MAX_CHUNK_CREATORS = 10_000
MIN_CHUNK_CREATORS = 256
CALIBRATION_CREATORS = 2_000
# What a creator has done with an item, as bits of the pair state.
STARTED, COMPLETED, ENROLLED, HIDDEN, BADGE = 1, 2, 4, 8, 16
# Purposes of the random streams.
_BEHAVIOUR, _POLICY, _UUIDS = 3, 4, 5


@dataclass(frozen=True)
class World:
    """Everything a run needs: the catalogue, the creators, their truth, the query vocabulary."""

    catalog: Catalog
    population: Population
    truth: Truth
    parameters: Parameters
    seed: int
    queries: tuple[str, ...]  # catalogue terms, then gap queries
    query_language: IntArray  # index into catalog.languages, -1 for any
    query_items: BoolArray  # (queries, items)
    query_topic: IntArray  # -1 for gap queries
    base_logit: dict[str, float]  # per entry point, calibrated to BASE_CLICK_RATES
    experiment: SimulatedExperiment | None = None  # running from the first simulated day

    @property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(
            self.catalog, self.population, self.queries, CREATOR_PREFIX, self.experiment
        )

    def utility(self, creators: IntArray) -> FloatArray:
        return utility(
            truth=self.truth, population=self.population, catalog=self.catalog, creators=creators
        )


def world_build(
    *, catalog: Catalog, creators: int, seed: int, parameters: Parameters | None = None
) -> World:
    """Sample the creators and their truth for ``catalog``; the same seed gives the same world."""
    parameters = parameters or parameters_load()
    population, truth = creators_sample(
        size=creators, parameters=parameters, catalog=catalog, seed=seed
    )
    known = set(catalog.terms)
    gaps = [
        (catalog.languages.index(language), query)
        for language, queries in a.GAP_QUERIES.items()
        if language in catalog.languages
        for query in queries
        if query not in known
    ]
    queries = catalog.terms + tuple(query for _language, query in gaps)
    # Calibrate each entry point so a random item in the top position is clicked at its stated
    # base rate (utilities spread around zero would otherwise raise the mean click rate).
    sample = np.unique(np.linspace(0, creators - 1, min(creators, CALIBRATION_CREATORS)))
    sampled = utility(
        truth=truth, population=population, catalog=catalog, creators=sample.astype(np.int64)
    )
    base_logit = {
        entry: float(
            optimize.brentq(lambda b, r=rate: float(_sigmoid(b + sampled).mean()) - r, -30, 30)
        )
        for entry, rate in a.BASE_CLICK_RATES.items()
    }
    return World(
        catalog=catalog,
        population=population,
        truth=truth,
        parameters=parameters,
        seed=seed,
        queries=queries,
        query_language=np.concatenate(
            [catalog.term_language, np.array([lang for lang, _q in gaps], dtype=np.int64)]
        ),
        query_items=np.vstack(
            [catalog.term_items, np.zeros((len(gaps), catalog.size), dtype=np.bool_)]
        ),
        query_topic=np.concatenate([catalog.term_topic, np.full(len(gaps), -1, dtype=np.int64)]),
        base_logit=base_logit,
    )


def policy_for(name: str, world: World) -> Policy:
    """One of POLICY_NAMES, set up for ``world``."""
    if name == "random":
        return RandomPolicy()
    if name == "popularity":
        return PopularityPolicy(world.catalog.size)
    if name == "oracle":
        return OraclePolicy(world.utility)
    raise ValueError(f"Unknown policy {name!r}: one of {', '.join(POLICY_NAMES)}.")


@dataclass(frozen=True)
class LearningChanges:
    """What chunks changed in creators' learning, one row per (creator, item) pair.

    Times are µs since the epoch; ``progress_*`` are per touched (creator, lesson) pair.
    """

    enrolled: tuple[IntArray, IntArray, IntArray]  # (creator, course, when)
    progress_creator: IntArray
    progress_lesson: IntArray
    progress_started_us: IntArray  # first touch (the start, for new pairs)
    progress_updated_us: IntArray
    progress_percent: IntArray  # furthest watched or read, so far
    progress_completed_us: IntArray  # -1 unless completed in these chunks
    course_activity: tuple[IntArray, IntArray, IntArray]  # last activity per enrolment
    courses_completed: tuple[IntArray, IntArray, IntArray]

    @staticmethod
    def merge(changes: Sequence[LearningChanges], items: int) -> LearningChanges:
        """One set of changes for several chunks (of any creators and days), per pair."""

        def cat(get: Callable[[LearningChanges], IntArray]) -> IntArray:
            return _join([get(change) for change in changes])

        def triple(name: str, reduce: np.ufunc) -> tuple[IntArray, IntArray, IntArray]:
            creator = cat(lambda c: getattr(c, name)[0])
            item = cat(lambda c: getattr(c, name)[1])
            keys, (when,) = _per_pair(
                creator, item, items, (cat(lambda c: getattr(c, name)[2]),), (reduce,)
            )
            return keys // items, keys % items, when

        keys, (started, updated, percent, completed) = _per_pair(
            cat(lambda c: c.progress_creator),
            cat(lambda c: c.progress_lesson),
            items,
            (
                cat(lambda c: c.progress_started_us),
                cat(lambda c: c.progress_updated_us),
                cat(lambda c: c.progress_percent),
                cat(lambda c: c.progress_completed_us),
            ),
            (np.minimum, np.maximum, np.maximum, np.maximum),
        )
        return LearningChanges(
            enrolled=triple("enrolled", np.minimum),
            progress_creator=keys // items,
            progress_lesson=keys % items,
            progress_started_us=started,
            progress_updated_us=updated,
            progress_percent=percent,
            progress_completed_us=completed,
            course_activity=triple("course_activity", np.maximum),
            courses_completed=triple("courses_completed", np.minimum),
        )


def _per_pair(
    creator: IntArray,
    item: IntArray,
    items: int,
    values: tuple[IntArray, ...],
    reducers: tuple[np.ufunc, ...],
) -> tuple[IntArray, list[IntArray]]:
    """Unique (creator, item) keys, and each value column reduced per key."""
    keys, inverse = np.unique(creator * items + item, return_inverse=True)
    reduced = []
    for column, reducer in zip(values, reducers, strict=True):
        start = np.iinfo(np.int64).max if reducer is np.minimum else np.iinfo(np.int64).min
        out = np.full(keys.size, start, dtype=np.int64)
        reducer.at(out, inverse, column)
        reduced.append(out)
    return keys, reduced


@dataclass(frozen=True)
class ChunkResult:
    day: int
    creators: tuple[int, int]  # [first, last) population indices
    events: EventBatch
    learning: LearningChanges


@dataclass(frozen=True)
class RunProgress:
    creator_days_done: int
    creator_days_total: int
    events: int


@dataclass(frozen=True)
class EntryPointReport:
    impressions: int
    clicks: int
    ctr: float
    expected_ctr: float  # mean true click probability of what was shown


@dataclass(frozen=True)
class SimulationReport:
    """A run's online metrics, computed from the simulated truth."""

    policy: str
    seed: int
    creators: int
    days: int
    days_completed: int
    stopped: bool
    events: int
    events_by_name: dict[str, int]
    impressions: int
    clicks: int
    ctr: float
    expected_ctr: float
    entry_points: dict[str, EntryPointReport]
    lesson_starts: int
    lesson_completions: int
    completion_rate: float
    searches: int
    zero_result_searches: int
    active_creator_days: int
    next_day_return_rate: float
    elapsed_seconds: float


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


@dataclass
class _Counters:
    impressions: dict[str, int] = field(default_factory=dict)
    clicks: dict[str, int] = field(default_factory=dict)
    expected: dict[str, float] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    searches: int = 0
    zero_results: int = 0
    active_days: int = 0
    returns: int = 0
    return_base: int = 0

    def add(self, entry: str, impressions: int, clicks: int, expected: float) -> None:
        self.impressions[entry] = self.impressions.get(entry, 0) + impressions
        self.clicks[entry] = self.clicks.get(entry, 0) + clicks
        self.expected[entry] = self.expected.get(entry, 0.0) + expected


class _Events:
    """Columns collected during a chunk, in any order; sorted by time at the end."""

    def __init__(self) -> None:
        self.parts: list[dict[str, npt.NDArray[np.generic]]] = []

    def add(
        self,
        name: str,
        ts: IntArray,
        creator: IntArray,
        *,
        session: IntArray | None = None,
        entry: IntArray | int = -1,
        item: IntArray | int = -1,
        request: IntArray | None = None,
        position: IntArray | int = -1,
        percent: IntArray | int = -1,
        score: FloatArray | float = np.nan,
        passed: IntArray | int = -1,
        query: IntArray | int = -1,
        results: IntArray | int = -1,
    ) -> None:
        n = ts.size
        if not n:
            return

        def column(value: npt.ArrayLike, dtype: type) -> npt.NDArray[np.generic]:
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        self.parts.append(
            {
                "name": column(NAME[name], np.int64),
                "timestamp_us": column(ts, np.int64),
                "creator": column(creator, np.int64),
                "session": column(-1 if session is None else session, np.int64),
                "entry_point": column(entry, np.int64),
                "item": column(item, np.int64),
                "request": column(-1 if request is None else request, np.int64),
                "position": column(position, np.int64),
                "percent": column(percent, np.int64),
                "score": column(score, np.float64),
                "passed": column(passed, np.int64),
                "query": column(query, np.int64),
                "results": column(results, np.int64),
            }
        )

    def batch(
        self,
        *,
        sessions: npt.NDArray[np.uint8],
        requests: npt.NDArray[np.uint8],
        rng: np.random.Generator,
        now_us: int,
        variation: IntArray | None,
    ) -> EventBatch:
        keys = (
            "name", "timestamp_us", "creator", "session", "entry_point", "item", "request",
            "position", "percent", "score", "passed", "query", "results",
        )  # fmt: skip
        if self.parts:
            columns = {key: np.concatenate([part[key] for part in self.parts]) for key in keys}
        else:
            columns = {
                key: np.zeros(0, dtype=np.float64 if key == "score" else np.int64) for key in keys
            }
        # Nothing happens after "now": a lesson watched past it is cut at the last moment.
        columns["timestamp_us"] = np.minimum(columns["timestamp_us"], now_us - 1)
        order = np.argsort(columns["timestamp_us"], kind="stable")
        columns = {key: value[order] for key, value in columns.items()}
        zero = np.zeros((1, 16), dtype=np.uint8)
        session_rows = np.vstack([sessions, zero])[columns.pop("session")]
        request_rows = np.vstack([requests, zero])[columns.pop("request")]
        return EventBatch(
            name=columns["name"],
            timestamp_us=columns["timestamp_us"],
            creator=columns["creator"],
            session=session_rows,
            entry_point=columns["entry_point"],
            item=columns["item"],
            request=request_rows,
            position=columns["position"],
            uuid=random_uuids(rng, columns["name"].size),
            percent=columns["percent"],
            score=columns["score"].astype(np.float64),
            passed=columns["passed"],
            query=columns["query"],
            results=columns["results"],
            variation=(
                np.full(columns["name"].size, -1, dtype=np.int64)
                if variation is None
                else variation[columns["creator"]]
            ),
        )


class Simulator:
    """One run of one policy over ``days`` days ending at ``now_us``."""

    def __init__(self, world: World, policy: Policy, *, days: int, now_us: int) -> None:
        if days < 1:
            raise ValueError("Simulate at least one day.")
        self.world = world
        self.policy = policy
        self.days = days
        self.now_us = now_us
        self.start_us = now_us - days * DAY_US
        catalog = world.catalog
        self.chunk_size = int(
            np.clip(CHUNK_PAIRS // max(catalog.size, 1), MIN_CHUNK_CREATORS, MAX_CHUNK_CREATORS)
        )
        size = world.population.size
        self.chunks = [
            (first, min(first + self.chunk_size, size)) for first in range(0, size, self.chunk_size)
        ]
        # Pair state per chunk, sparse: flat index (creator - first) * items + item -> bits, %.
        self.pair_index: list[IntArray] = [np.zeros(0, dtype=np.int64) for _ in self.chunks]
        self.pair_bits: list[npt.NDArray[np.uint8]] = [
            np.zeros(0, dtype=np.uint8) for _ in self.chunks
        ]
        self.pair_percent: list[npt.NDArray[np.uint8]] = [
            np.zeros(0, dtype=np.uint8) for _ in self.chunks
        ]
        self.satisfaction = np.zeros(size, dtype=np.float64)
        self.active_yesterday = np.zeros(size, dtype=np.bool_)
        self.active_today = np.zeros(size, dtype=np.bool_)
        self.counters = _Counters()
        self.query_pools = self._query_pools()
        # When each creator was exposed to the run's experiment (µs; -1 not yet).
        self.exposed_us = np.full(size, -1, dtype=np.int64)

    def _rng(self, purpose: int, day: int, chunk: int) -> np.random.Generator:
        key: tuple[int, ...] = (purpose, day, chunk)
        if purpose == _UUIDS:
            # Uuids also depend on when the run ends: a rerun later is a new history.
            key = (purpose, self.now_us // SECOND_US, day, chunk)
        return np.random.default_rng(np.random.SeedSequence(self.world.seed, spawn_key=key))

    def run(
        self,
        *,
        on_chunk: Callable[[ChunkResult], None],
        progress: Callable[[RunProgress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> SimulationReport:
        """Simulate day after day, handing each chunk's events to ``on_chunk``.

        ``should_stop`` is checked between chunks: a stopped run has handed over whole chunks
        only, and its report says how many days were completed.
        """
        started = time.perf_counter()
        size = self.world.population.size
        total = size * self.days
        done = 0
        events = 0
        days_completed = 0
        stopped = False
        for day in range(self.days):
            self.active_today[:] = False
            for chunk, (first, last) in enumerate(self.chunks):
                if should_stop is not None and should_stop():
                    stopped = True
                    break
                result = self._chunk(day, chunk, first, last)
                on_chunk(result)
                events += len(result.events)
                done += last - first
                if progress is not None:
                    progress(RunProgress(done, total, events))
            if stopped:
                break
            if day > 0:
                self.counters.returns += int((self.active_yesterday & self.active_today).sum())
                self.counters.return_base += int(self.active_yesterday.sum())
            self.active_yesterday, self.active_today = self.active_today, self.active_yesterday
            days_completed += 1
        return self._report(days_completed, stopped, time.perf_counter() - started)

    def _report(self, days_completed: int, stopped: bool, elapsed: float) -> SimulationReport:
        counters = self.counters
        entry_points = {
            entry: EntryPointReport(
                impressions=counters.impressions.get(entry, 0),
                clicks=counters.clicks.get(entry, 0),
                ctr=_ratio(counters.clicks.get(entry, 0), counters.impressions.get(entry, 0)),
                expected_ctr=_ratio(
                    counters.expected.get(entry, 0.0), counters.impressions.get(entry, 0)
                ),
            )
            for entry in a.ENTRY_POINTS
        }
        impressions = sum(counters.impressions.values())
        clicks = sum(counters.clicks.values())
        starts = counters.events.get("lesson_start", 0)
        completions = counters.events.get("lesson_complete", 0)
        return SimulationReport(
            policy=self.policy.name,
            seed=self.world.seed,
            creators=self.world.population.size,
            days=self.days,
            days_completed=days_completed,
            stopped=stopped,
            events=sum(counters.events.values()),
            events_by_name=dict(sorted(counters.events.items())),
            impressions=impressions,
            clicks=clicks,
            ctr=_ratio(clicks, impressions),
            expected_ctr=_ratio(sum(counters.expected.values()), impressions),
            entry_points=entry_points,
            lesson_starts=starts,
            lesson_completions=completions,
            completion_rate=_ratio(completions, starts),
            searches=counters.searches,
            zero_result_searches=counters.zero_results,
            active_creator_days=counters.active_days,
            next_day_return_rate=_ratio(counters.returns, counters.return_base),
            elapsed_seconds=round(elapsed, 3),
        )

    # -----------------------------------------------------------------------------------------
    # One day of one chunk of creators

    def _chunk(self, day: int, chunk: int, first: int, last: int) -> ChunkResult:
        world = self.world
        items = world.catalog.size
        n = last - first
        bits = np.zeros(n * items, dtype=np.uint8)
        percent = np.zeros(n * items, dtype=np.uint8)
        bits[self.pair_index[chunk]] = self.pair_bits[chunk]
        percent[self.pair_index[chunk]] = self.pair_percent[chunk]
        rng = self._rng(_BEHAVIOUR, day, chunk)

        # Who comes today: their usual chance, moved by how satisfied they have been.
        base = world.truth.visit_probability[first:last]
        chance = _sigmoid(
            np.log(base) - np.log1p(-base) + a.RETURN_SENSITIVITY * self.satisfaction[first:last]
        )
        active = np.flatnonzero(rng.random(n) < chance)
        self.active_today[first + active] = True
        self.counters.active_days += int(active.size)
        # Only today's visitors need utilities (the other rows stay zero, unused).
        utilities = np.zeros((n, items), dtype=np.float64)
        utilities[active] = world.utility(first + active)
        state = _ChunkDay(
            day=day,
            first=first,
            bits=bits.reshape(n, items),
            percent=percent.reshape(n, items),
            utilities=utilities,
            value=np.zeros(n, dtype=np.float64),
            rng=rng,
            policy_rng=self._rng(_POLICY, day, chunk),
            uuid_rng=self._rng(_UUIDS, day, chunk),
        )
        self._sessions(state, active)
        self._exposures(state)
        for entry in a.ENTRY_POINTS:
            self._entry_point(state, entry)
        idle = ~state.clicked_in_session
        np.add.at(state.value, state.session_local[idle], -a.PENALTY_SESSION_WITHOUT_CLICK)
        self._outcomes(state)

        # Satisfaction moves tomorrow's chance of coming back.
        day_value = np.clip(
            state.value[active] - a.SATISFACTION_REFERENCE,
            -a.SATISFACTION_CLIP,
            a.SATISFACTION_CLIP,
        )
        self.satisfaction[first + active] += a.SATISFACTION_SMOOTHING * (
            day_value - self.satisfaction[first + active]
        )
        self.policy.observe(Feedback(shown=_join(state.shown), clicked=_join(state.clicked)))
        touched = np.flatnonzero((bits != 0) | (percent != 0))
        self.pair_index[chunk] = touched
        self.pair_bits[chunk] = bits[touched]
        self.pair_percent[chunk] = percent[touched]
        batch = state.out.batch(
            sessions=state.session_uuids,
            requests=np.vstack([np.zeros((0, 16), dtype=np.uint8), *state.request_uuids]),
            rng=state.uuid_rng,
            now_us=self.now_us,
            variation=None if world.experiment is None else world.experiment.variation,
        )
        for code, count in zip(*np.unique(batch.name, return_counts=True), strict=True):
            name = EVENT_NAMES[int(code)]
            self.counters.events[name] = self.counters.events.get(name, 0) + int(count)
        return ChunkResult(
            day=day,
            creators=(first, last),
            events=batch,
            learning=_learning_changes(batch, state.percent, first, world.catalog),
        )

    def _sessions(self, state: _ChunkDay, active: IntArray) -> None:
        """Each visitor's sessions today, starting at local times of day."""
        world, rng = self.world, state.rng
        per_creator = 1 + rng.poisson(a.EXTRA_SESSIONS_PER_DAY, active.size)
        local = np.repeat(active, per_creator)
        count = local.size
        hour = np.searchsorted(
            np.cumsum(a.HOURLY_SESSION_SHARES) / sum(a.HOURLY_SESSION_SHARES),
            rng.random(count),
            side="right",
        )
        local_seconds = 3600.0 * (hour + rng.random(count))
        offset = world.population.timezone_offset_hours[state.first + local]
        utc_seconds = np.mod(local_seconds - 3600.0 * offset, 86_400.0)
        state.session_local = local
        state.session_start = (
            self.start_us + state.day * DAY_US + (utc_seconds * SECOND_US).astype(np.int64)
        )
        state.session_length = np.clip(
            world.truth.session_seconds[state.first + local]
            * np.exp(0.4 * rng.standard_normal(count)),
            60.0,
            3600.0,
        )
        state.session_uuids = random_uuids(state.uuid_rng, count)
        state.clicked_in_session = np.zeros(count, dtype=np.bool_)

    def _exposures(self, state: _ChunkDay) -> None:
        """The run's experiment: one exposure per creator, at the start of their first session
        (when the host app reads the flags). Their events carry the variation from then on."""
        experiment = self.world.experiment
        if experiment is None or not state.session_local.size:
            return
        first = state.first
        earliest = np.full(self.chunk_size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(earliest, state.session_local, state.session_start)
        local = np.unique(state.session_local)
        new = local[
            (experiment.variation[first + local] >= 0) & (self.exposed_us[first + local] < 0)
        ]
        self.exposed_us[first + new] = earliest[new]
        state.out.add("exposure", earliest[new], new + first)

    def _entry_point(self, state: _ChunkDay, entry: str) -> None:
        """Requests at one entry point: slates from the policy, impressions, clicks, hides."""
        world, rng, first = self.world, state.rng, state.first
        sessions = state.session_local.size
        request_session = np.repeat(np.arange(sessions), self._request_counts(entry, rng, sessions))
        count = request_session.size
        if not count:
            return
        local = state.session_local[request_session]
        request_ts = state.session_start[request_session] + (
            rng.random(count) * state.session_length[request_session] * SECOND_US
        ).astype(np.int64)
        request_ids = state.requests + np.arange(count)
        state.requests += count
        state.request_uuids.append(random_uuids(state.uuid_rng, count))
        query = np.full(count, -1, dtype=np.int64)
        code = ENTRY[entry]
        if entry == "search":
            query = self._queries(local + first, rng)
            candidates = world.query_items[query]
            results = candidates.sum(axis=1)
            state.out.add(
                "search", request_ts, local + first, session=request_session, entry=code,
                request=request_ids, query=query, results=results,
            )  # fmt: skip
            self.counters.searches += count
            zero = results == 0
            self.counters.zero_results += int(zero.sum())
            np.add.at(state.value, local[zero], -a.PENALTY_ZERO_RESULTS)
        elif entry == "hashtag":
            if not world.catalog.hashtags:
                return
            candidates = world.catalog.hashtag_items[self._hashtags(local + first, rng)]
        else:
            candidates = (state.bits[local] & (HIDDEN | COMPLETED | BADGE)) == 0
        size = a.SLATE_SIZES[entry]
        slates = self.policy.rank(
            SlateRequest(entry, local + first, candidates, size), state.policy_rng
        )
        depth = (
            np.ones(count, dtype=np.int64)
            if entry == "for_you_card"
            else 1 + rng.geometric(a.SCROLL_STOP[entry], count)
        )
        row, position = np.nonzero((slates >= 0) & (np.arange(size)[None, :] < depth[:, None]))
        item = slates[row, position]
        who = local[row]
        u = state.utilities[who, item]
        p_click = _sigmoid(world.base_logit[entry] + u) / (1.0 + position) ** a.POSITION_BIAS
        if world.experiment is not None and entry == world.experiment.entry_point:
            # The experiment's known true effect: a relative change of the click probability.
            p_click = np.minimum(p_click * world.experiment.multipliers(who + first), 1.0)
        clicked = rng.random(row.size) < p_click
        shown_ts = request_ts[row] + position * 1_500_000 + SECOND_US
        session, request = request_session[row], request_ids[row]
        state.out.add(
            "impression", shown_ts, who + first, session=session, entry=code, item=item,
            request=request, position=position,
        )  # fmt: skip
        self.counters.add(entry, int(row.size), int(clicked.sum()), float(p_click.sum()))
        state.shown.append(item)
        state.clicked.append(item[clicked])
        click_ts = shown_ts[clicked] + (
            rng.uniform(2.0, 20.0, int(clicked.sum())) * SECOND_US
        ).astype(np.int64)
        c = clicked
        state.out.add(
            "click", click_ts, who[c] + first, session=session[c], entry=code, item=item[c],
            request=request[c], position=position[c],
        )  # fmt: skip
        if entry == "search":
            state.out.add(
                "search_click", click_ts, who[c] + first, session=session[c], entry=code,
                item=item[c], request=request[c], position=position[c], query=query[row[c]],
            )  # fmt: skip
        state.clicked_in_session[session[c]] = True
        if entry in ("for_you_card", "academy_home"):
            unclicked = np.flatnonzero(~clicked)
            p_hide = a.NOT_INTERESTED_RATE * _sigmoid(-1.5 * u[unclicked] - 1.0)
            h = unclicked[rng.random(unclicked.size) < p_hide]
            state.out.add(
                "not_interested", shown_ts[h] + 3 * SECOND_US, who[h] + first, session=session[h],
                entry=code, item=item[h], request=request[h], position=position[h],
            )  # fmt: skip
            state.bits[who[h], item[h]] |= HIDDEN
            np.add.at(state.value, who[h], -a.PENALTY_NOT_INTERESTED)
        state.clicks.append(
            _Opens(who[c], item[c], click_ts, session[c], np.full(int(c.sum()), code))
        )

    @staticmethod
    def _request_counts(entry: str, rng: np.random.Generator, sessions: int) -> IntArray:
        if entry == "for_you_card":
            return rng.poisson(a.FOR_YOU_CARD_REQUESTS, sessions)
        if entry == "academy_home":
            return (rng.random(sessions) < a.ACADEMY_HOME_VISIT).astype(np.int64)
        if entry == "search":
            return rng.poisson(a.SEARCHES_PER_SESSION, sessions)
        return rng.poisson(a.HASHTAG_VISITS_PER_SESSION, sessions)

    def _topics(self, creators: IntArray, rng: np.random.Generator) -> IntArray:
        """A topic per creator, drawn from their true tastes (what they would look for)."""
        affinity = self.world.truth.topic_affinity[creators] / a.QUERY_TOPIC_TEMPERATURE
        weights = np.exp(affinity - affinity.max(axis=1, keepdims=True))
        cumulative = np.cumsum(weights, axis=1)
        draw = rng.random(creators.size)[:, None] * cumulative[:, -1:]
        return np.asarray(
            np.minimum((cumulative < draw).sum(axis=1), weights.shape[1] - 1), dtype=np.int64
        )

    def _queries(self, creators: IntArray, rng: np.random.Generator) -> IntArray:
        """A query per search: a catalogue term of a topic they like, in their language, or
        (GAP_QUERY_SHARE of the time) something the catalogue does not cover."""
        topics = self._topics(creators, rng)
        language = self.world.population.language[creators]
        gap = rng.random(creators.size) < a.GAP_QUERY_SHARE
        pick = rng.random(creators.size)
        query = np.zeros(creators.size, dtype=np.int64)
        for lang, topic in sorted({*zip(language.tolist(), topics.tolist(), strict=True)}):
            rows = np.flatnonzero((language == lang) & (topics == topic))
            covered, uncovered = self.query_pools[(lang, topic)]
            wants_gap = gap[rows] | (covered.size == 0)
            for chosen, pool in ((~wants_gap, covered), (wants_gap, uncovered)):
                if pool.size:
                    query[rows[chosen]] = pool[(pick[rows[chosen]] * pool.size).astype(np.int64)]
        return query

    def _query_pools(self) -> dict[tuple[int, int], tuple[IntArray, IntArray]]:
        """Per (language, topic): the catalogue terms a creator may search, and gap queries."""
        world = self.world
        pools = {}
        for lang in range(len(world.catalog.languages)):
            readable = (world.query_language < 0) | (world.query_language == lang)
            terms = readable & (world.query_topic >= 0)
            gaps = np.flatnonzero((world.query_topic < 0) & (world.query_language == lang))
            if not gaps.size:
                gaps = np.flatnonzero(world.query_topic < 0)
            if not gaps.size:
                gaps = np.flatnonzero(terms)
            for topic in range(len(world.catalog.topics)):
                covered = np.flatnonzero(terms & (world.query_topic == topic))
                if not covered.size:
                    covered = np.flatnonzero(terms)
                pools[(lang, topic)] = (covered, gaps)
        return pools

    def _hashtags(self, creators: IntArray, rng: np.random.Generator) -> IntArray:
        """A hashtag page per visit, of a topic the creator likes."""
        catalog = self.world.catalog
        topics = self._topics(creators, rng)
        pick = rng.random(creators.size)
        tags = np.zeros(creators.size, dtype=np.int64)
        for topic in np.unique(topics):
            rows = np.flatnonzero(topics == topic)
            pool = np.flatnonzero(catalog.hashtag_topic == topic)
            if not pool.size:
                pool = np.arange(len(catalog.hashtags))
            tags[rows] = pool[(pick[rows] * pool.size).astype(np.int64)]
        return tags

    # -----------------------------------------------------------------------------------------
    # What a click leads to

    def _outcomes(self, state: _ChunkDay) -> None:
        catalog, rng, first = self.world.catalog, state.rng, state.first
        clicks = _Opens.join(state.clicks)
        fmt = catalog.format_code[clicks.item]
        u = state.utilities[clicks.local, clicks.item]

        # A course page: enrol (maybe), then often open the first lesson not yet done.
        on_course = clicks.take(fmt == a.FORMATS.index("course"))
        local, course = on_course.local, on_course.item
        new = (state.bits[local, course] & ENROLLED) == 0
        p_enrol = _sigmoid(a.ENROLL_BASE + a.ENROLL_UTILITY * u[fmt == a.FORMATS.index("course")])
        enrol = new & (rng.random(local.size) < p_enrol)
        state.out.add(
            "enroll", on_course.ts[enrol] + 5 * SECOND_US, local[enrol] + first, item=course[enrol]
        )
        state.bits[local[enrol], course[enrol]] |= ENROLLED
        np.add.at(state.value, local[enrol], a.VALUE_ENROLL)
        go_on = (~new | enrol) & (rng.random(local.size) < a.OPEN_FIRST_LESSON_AFTER_ENROLL)
        walker = on_course.take(go_on)
        lesson = catalog.first_lesson[walker.item]
        for _step in range(int(catalog.lesson_count.max(initial=0))):
            done = (lesson >= 0) & (
                (state.bits[walker.local, np.maximum(lesson, 0)] & COMPLETED) != 0
            )
            if not done.any():
                break
            lesson = np.where(done, catalog.next_lesson[np.maximum(lesson, 0)], lesson)
        from_course = _Opens(
            walker.local, lesson, walker.ts + 10 * SECOND_US, walker.session,
            np.full(lesson.size, ENTRY["course_page"]),
        ).take(lesson >= 0)  # fmt: skip

        # A wiki article: read it, found useful or not; sometimes saved.
        is_wiki = fmt == a.FORMATS.index("wiki")
        read = clicks.take(is_wiki)
        useful = rng.random(read.local.size) < _sigmoid(u[is_wiki] + 0.5)
        np.add.at(state.value, read.local[useful], a.VALUE_WIKI_READ)
        saved = read.take(rng.random(read.local.size) < a.SAVE_ON_WIKI_READ)
        state.out.add(
            "save", saved.ts + 30 * SECOND_US, saved.local + first, session=saved.session,
            entry=saved.entry, item=saved.item,
        )  # fmt: skip

        # Lessons clicked directly, then the lessons that follow.
        opens = _Opens.join([clicks.take(catalog.course_of[clicks.item] >= 0), from_course])
        for _round in range(a.LESSON_ROUNDS + 1):
            if not opens.local.size:
                break
            opens = self._lessons(state, opens)

    def _lessons(self, state: _ChunkDay, opens: _Opens) -> _Opens:
        """Play opened lessons; return the next lessons creators go on to."""
        world, catalog, rng, bits = self.world, self.world.catalog, state.rng, state.bits
        # A lesson opened twice in a round counts once (the first time).
        _unique, keep = np.unique(opens.local * catalog.size + opens.item, return_index=True)
        opens = opens.take(np.sort(keep))
        local, lesson, ts = opens.local, opens.item, opens.ts
        creators = local + state.first
        u = state.utilities[local, lesson]
        course = catalog.course_of[lesson]
        # Opening a lesson enrols in its course, as the learning service does.
        unenrolled = (bits[local, course] & ENROLLED) == 0
        state.out.add("enroll", ts[unenrolled], creators[unenrolled], item=course[unenrolled])
        bits[local[unenrolled], course[unenrolled]] |= ENROLLED
        fresh = (bits[local, lesson] & STARTED) == 0
        state.out.add("lesson_start", ts[fresh] + 1, creators[fresh], item=lesson[fresh])
        bits[local, lesson] |= STARTED
        was_done = (bits[local, lesson] & COMPLETED) != 0
        duration = catalog.duration[lesson]

        quiz = catalog.format_code[lesson] == a.FORMATS.index("quiz")
        submit = quiz & (rng.random(local.size) < a.QUIZ_SUBMIT_SHARE)
        questions = np.where(
            catalog.questions[lesson] > 0, catalog.questions[lesson], a.DEFAULT_QUIZ_QUESTIONS
        )
        skill_gap = world.truth.skill[creators] - np.minimum(catalog.level_code[lesson], 2)
        p_right = _sigmoid(
            a.QUIZ_CORRECT_BASE + a.QUIZ_CORRECT_SKILL * skill_gap + a.QUIZ_CORRECT_UTILITY * u
        )
        score = rng.binomial(questions, p_right) / questions
        passed = submit & (score + 1e-9 >= catalog.pass_mark[lesson])
        quiz_ts = ts + (duration * rng.uniform(0.6, 1.2, local.size) * SECOND_US).astype(np.int64)
        state.out.add(
            "quiz_submit", quiz_ts[submit], creators[submit], item=lesson[submit],
            score=score[submit], passed=passed[submit].astype(np.int64),
        )  # fmt: skip
        state.percent[local[passed], lesson[passed]] = 100
        np.add.at(state.value, local[passed], a.VALUE_COMPLETION)
        np.add.at(state.value, local[submit & ~passed], a.VALUE_QUIZ_FAILED)

        # Videos, articles and live classes: how much is watched or read, against how long.
        played = ~quiz
        overlong = np.maximum(0.0, np.log(duration / world.truth.session_seconds[creators]))
        p_finish = _sigmoid(
            a.COMPLETION_BASE + a.COMPLETION_UTILITY * u - a.COMPLETION_OVERLONG * overlong
        )
        finish = played & (rng.random(local.size) < p_finish)
        watched = np.where(
            finish,
            rng.integers(90, 101, local.size),
            1 + (89 * rng.beta(1.2, 1.8, local.size)).astype(np.int64),
        )
        reached = np.maximum(state.percent[local, lesson], watched)
        state.percent[local[played], lesson[played]] = reached[played]
        progress_ts = ts + (duration * watched / 100.0 * SECOND_US).astype(np.int64) + SECOND_US
        state.out.add(
            "lesson_progress", progress_ts[played], creators[played], item=lesson[played],
            percent=reached[played],
        )  # fmt: skip
        np.add.at(state.value, local[finish], a.VALUE_COMPLETION)
        partial = played & ~finish
        np.add.at(state.value, local[partial], a.VALUE_PARTIAL + 0.5 * watched[partial] / 100.0)

        completes = passed | (played & (reached >= 90))
        end_ts = np.where(submit, quiz_ts, np.where(played, progress_ts, ts))
        newly = completes & ~was_done
        state.out.add("lesson_complete", end_ts[newly] + 1, creators[newly], item=lesson[newly])
        bits[local[newly], lesson[newly]] |= COMPLETED
        like = newly & (rng.random(local.size) < a.LIKE_ON_COMPLETION * _sigmoid(u))
        state.out.add(
            "like", end_ts[like] + 2 * SECOND_US, creators[like], session=opens.session[like],
            entry=opens.entry[like], item=lesson[like],
        )  # fmt: skip
        self._badges(state, local[newly], course[newly], end_ts[newly])

        go_on = (
            completes
            & (catalog.next_lesson[lesson] >= 0)
            & (rng.random(local.size) < a.CONTINUE_TO_NEXT_LESSON)
        )
        following = opens.take(go_on)
        return _Opens(
            following.local, catalog.next_lesson[following.item], end_ts[go_on] + 5 * SECOND_US,
            following.session, np.full(following.local.size, ENTRY["course_page"]),
        )  # fmt: skip

    def _badges(self, state: _ChunkDay, local: IntArray, course: IntArray, ts: IntArray) -> None:
        """A badge for each course whose every lesson is now complete (once per creator)."""
        if not local.size:
            return
        catalog = self.world.catalog
        lessons = catalog.course_lessons[course]  # (n, longest course), -1 pads
        completed = (state.bits[local[:, None], np.maximum(lessons, 0)] & COMPLETED) != 0
        done = (completed & (lessons >= 0)).sum(axis=1)
        whole = (done >= catalog.lesson_count[course]) & ((state.bits[local, course] & BADGE) == 0)
        _unique, once = np.unique(local[whole] * catalog.size + course[whole], return_index=True)
        rows = np.flatnonzero(whole)[once]
        state.out.add("badge_earned", ts[rows] + 2, local[rows] + state.first, item=course[rows])
        state.bits[local[rows], course[rows]] |= BADGE


def _join(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class _Opens:
    """Items creators opened: who (chunk-local), what, when, in which session, from where."""

    local: IntArray
    item: IntArray
    ts: IntArray
    session: IntArray
    entry: IntArray

    def take(self, rows: npt.NDArray[np.bool_] | IntArray) -> _Opens:
        return _Opens(
            self.local[rows], self.item[rows], self.ts[rows], self.session[rows], self.entry[rows]
        )

    @staticmethod
    def join(parts: list[_Opens]) -> _Opens:
        return _Opens(
            *(
                _join([getattr(part, name) for part in parts])
                for name in ("local", "item", "ts", "session", "entry")
            )
        )


@dataclass
class _ChunkDay:
    """The working state of one day of one chunk of creators."""

    day: int
    first: int  # population index of the chunk's first creator; "local" indexes are from it
    bits: npt.NDArray[np.uint8]  # (creators, items) pair state
    percent: npt.NDArray[np.uint8]  # (creators, items) furthest watched or read
    utilities: FloatArray
    value: FloatArray  # what today was worth to each creator
    rng: np.random.Generator
    policy_rng: np.random.Generator
    uuid_rng: np.random.Generator
    out: _Events = field(default_factory=lambda: _Events())
    session_local: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    session_start: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    session_length: FloatArray = field(default_factory=lambda: np.zeros(0))
    session_uuids: npt.NDArray[np.uint8] = field(
        default_factory=lambda: np.zeros((0, 16), dtype=np.uint8)
    )
    clicked_in_session: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    requests: int = 0
    request_uuids: list[npt.NDArray[np.uint8]] = field(default_factory=list)
    shown: list[IntArray] = field(default_factory=list)
    clicked: list[IntArray] = field(default_factory=list)
    clicks: list[_Opens] = field(default_factory=list)


def _learning_changes(
    batch: EventBatch, percent: npt.NDArray[np.uint8], first: int, catalog: Catalog
) -> LearningChanges:
    """One chunk's learning, per pair, from its server-side events and the pair state."""

    def rows(name: str) -> tuple[IntArray, IntArray, IntArray]:
        chosen = batch.name == NAME[name]
        return batch.creator[chosen], batch.item[chosen], batch.timestamp_us[chosen]

    items = catalog.size
    touching = np.isin(
        batch.name,
        [
            NAME[name]
            for name in ("lesson_start", "lesson_progress", "quiz_submit", "lesson_complete")
        ],
    )
    creator, lesson, ts = (
        batch.creator[touching],
        batch.item[touching],
        batch.timestamp_us[touching],
    )
    done = batch.name[touching] == NAME["lesson_complete"]
    keys, (started, updated, completed) = _per_pair(
        creator,
        lesson,
        items,
        (ts, ts, np.where(done, ts, -1)),
        (np.minimum, np.maximum, np.maximum),
    )
    pair_creator, pair_lesson = keys // items, keys % items
    # Every lesson touched is activity in its course's enrolment.
    courses, (last,) = _per_pair(
        pair_creator, catalog.course_of[pair_lesson], items, (updated,), (np.maximum,)
    )
    return LearningChanges(
        enrolled=rows("enroll"),
        progress_creator=pair_creator,
        progress_lesson=pair_lesson,
        progress_started_us=started,
        progress_updated_us=updated,
        progress_percent=percent[pair_creator - first, pair_lesson].astype(np.int64),
        progress_completed_us=completed,
        course_activity=(courses // items, courses % items, last),
        courses_completed=rows("badge_earned"),
    )
