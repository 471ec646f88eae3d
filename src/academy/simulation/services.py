"""Writes of the simulator: simulated creators, their learning, and their events.

``simulation_run`` samples creators for the published catalogue, creates (or reuses) their
Creator rows, plays the days with the engine, and writes what happened through one of two sinks:

- ``capture``: the events go through ``events_ingest`` in batches of at most 1,000, the path the
  host app's ``POST /api/v1/events`` takes, into the capture log (the worker compacts them);
- ``lake``: each chunk's events become an Arrow table appended straight to the lake
  (``append_to_lake``), for large runs.

Both carry the same events, uuids included. The learning the events describe (enrolments, lesson
progress and completions, badges and certificates) is written to the operational tables in
bulk, always after the events it follows from, so a run stopped between chunks leaves the two
consistent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.core import clock
from academy.core.errors import ValidationFailed
from academy.events.capture import capture_log
from academy.events.lake import append_to_lake
from academy.events.rollups import rollup_days
from academy.events.services import MAX_BATCH, events_ingest
from academy.events.taxonomy import ENTRY_POINTS
from academy.experiments.assignment import eval_feature
from academy.experiments.models import (
    Assignment,
    Experiment,
    ExperimentSnapshot,
    ExperimentStatus,
    Flag,
    ValueType,
)
from academy.experiments.selectors import creator_attributes, flags_payload
from academy.experiments.services import (
    ExperimentInput,
    VariationInput,
    analysis_state_erase,
    experiment_create,
    experiment_start,
    flag_create,
)
from academy.learning.models import BadgeAward, Certificate, Enrollment, LessonProgress, QuizAttempt
from academy.simulation.engine import assumptions
from academy.simulation.engine.assumptions import APP_VERSIONS, PLATFORMS
from academy.simulation.engine.events import (
    NAME,
    EventBatch,
    batch_records,
    batch_table,
    creator_ids,
)
from academy.simulation.engine.experiments import SimulatedExperiment
from academy.simulation.engine.policies import Policy
from academy.simulation.engine.population import NICHES, REGIONS
from academy.simulation.engine.simulator import (
    CREATOR_PREFIX,
    DAY_US,
    POLICY_NAMES,
    ChunkResult,
    LearningChanges,
    RunProgress,
    SimulationReport,
    Simulator,
    World,
    policy_for,
    world_build,
)
from academy.simulation.selectors import simulation_catalog

SINKS = ("capture", "lake")
MAX_CREATORS = 1_000_000
MAX_DAYS = 365
ROW_BATCH = 1_000
# The lake sink appends once this many events are waiting: few, large appends.
LAKE_APPEND_EVENTS = 1_000_000

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SimulationResult:
    report: SimulationReport
    sink: str
    creators_created: int
    creators_reused: int
    days: list[str]  # UTC days that received events (the rollups to recompute)
    rolled_up: bool


@dataclass(frozen=True)
class ExperimentEffect:
    """A running experiment to play in the simulation, and its known true effect.

    ``ctr_lift`` maps variation keys to the relative change of the click probability of what
    is shown at ``entry_point`` to creators in that variation (0.08: +8 %); variations left out
    (the control) are unchanged. A single number is the change of every variation but the
    control. Everything else the creators do follows from their clicks as in any run.
    """

    key: str
    ctr_lift: Mapping[str, float] | float
    entry_point: str = "for_you_card"

    def lifts(self, variations: Sequence[str]) -> dict[str, float]:
        """The change per variation key (0 for those not named)."""
        if isinstance(self.ctr_lift, int | float):
            lift = float(self.ctr_lift)
            return {key: lift if index else 0.0 for index, key in enumerate(variations)}
        return {key: float(self.ctr_lift.get(key, 0.0)) for key in variations}


def _experiment_for(effect: ExperimentEffect) -> Experiment:
    """The running experiment ``effect`` names, with lifts that fit it, or ValidationFailed."""
    experiment = Experiment.objects.select_related("flag").filter(key=effect.key).first()
    if experiment is None:
        raise ValidationFailed(
            _("There is no experiment “%(key)s”.") % {"key": effect.key},
            errors={"experiment": _("Name an experiment of the console.")},
        )
    if experiment.status != ExperimentStatus.RUNNING:
        raise ValidationFailed(
            _("The experiment “%(key)s” is not running: start it first.") % {"key": effect.key},
            errors={"experiment": _("Start the experiment first.")},
        )
    named = () if isinstance(effect.ctr_lift, int | float) else effect.ctr_lift
    unknown = sorted(set(named) - set(experiment.variation_keys))
    if unknown:
        raise ValidationFailed(
            _("The experiment has no variation %(names)s.") % {"names": ", ".join(unknown)},
            errors={"ctr_lift": _("Name variations of the experiment.")},
        )
    lifts = effect.lifts(experiment.variation_keys).values()
    if any(not np.isfinite(lift) or lift <= -1 for lift in lifts):
        raise ValidationFailed(
            _("A change of click-through rate is a number above -1 (-100 %)."),
            errors={"ctr_lift": _("Give a number above -1, such as 0.08 for +8 %.")},
        )
    if effect.entry_point not in ENTRY_POINTS:
        raise ValidationFailed(
            _("Choose an entry point: %(names)s.") % {"names": ", ".join(ENTRY_POINTS)},
            errors={"entry_point": _("Choose one of the entry points.")},
        )
    return experiment


def simulated_assignment(*, experiment: Experiment, world: World) -> SimulatedExperiment:
    """Each simulated creator's variation, as the product assigns it: the experiment's flag
    evaluated on the served GrowthBook payload for the creator's attributes (the stored Creator
    row, with the platform and app version the host app would pass), with no earlier sticky
    assignment."""
    population = world.population
    ids = creator_ids(np.arange(population.size), CREATOR_PREFIX)
    flags = flags_payload().flags
    keys = experiment.variation_keys
    variation = np.full(population.size, -1, dtype=np.int64)
    creators = Creator.objects.filter(external_id__range=(ids[0], ids[-1])).only(
        "external_id", "region", "language", "follower_tier", "follower_count", "niche",
        "level", "is_minor",
    )  # fmt: skip
    for creator in creators.iterator(chunk_size=ROW_BATCH * 5):
        index = int(creator.external_id.removeprefix(CREATOR_PREFIX))
        attributes = creator_attributes(
            creator=creator,
            platform=PLATFORMS[population.platform[index]],
            app_version=APP_VERSIONS[population.app_version[index]],
        )
        outcome = eval_feature(experiment.flag.key, flags, attributes, sticky_assignments={})
        result = outcome.experiment
        if result is not None and result.in_experiment and result.experiment_key == experiment.key:
            variation[index] = keys.index(result.variation_key)
    return SimulatedExperiment(
        key=experiment.key,
        flag_key=experiment.flag.key,
        variations=tuple(keys),
        bucket_version=experiment.bucket_version,
        variation=variation,
        click_multiplier=(1.0,) * len(keys),
    )


def _validate(*, creators: int, days: int, seed: int, policy: str | Policy, sink: str) -> None:
    errors = {}
    if not 1 <= creators <= MAX_CREATORS:
        errors["creators"] = _("Simulate 1 to %(max)s creators.") % {"max": f"{MAX_CREATORS:,}"}
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = _("Simulate 1 to %(max)d days.") % {"max": MAX_DAYS}
    if seed < 0:
        errors["seed"] = _("The seed is a whole number from 0.")
    if isinstance(policy, str) and policy not in POLICY_NAMES:
        errors["policy"] = _("Choose a policy: %(names)s.") % {"names": ", ".join(POLICY_NAMES)}
    if sink not in SINKS:
        errors["sink"] = _("Choose a sink: %(names)s.") % {"names": ", ".join(SINKS)}
    if errors:
        raise ValidationFailed(" ".join(errors.values()), errors=errors)


def _now_us(now: datetime) -> int:
    return int(now.timestamp()) * 1_000_000 + now.microsecond


def _from_us(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))


def simulated_handle(index: int, niche: int) -> str:
    """A simulated creator's handle (also the name on their certificates)."""
    return f"sim.{NICHES[niche]}.{index}"


def simulated_creators_ensure(*, world: World, now: datetime) -> tuple[IntArray, int]:
    """Create or update the run's creators (``sim-0000000`` …) in bulk.

    Returns each creator's primary key, by population index, and how many rows were new. A
    rerun reuses the rows and rewrites their attributes to the new sample.
    """
    population = world.population
    ids = creator_ids(np.arange(population.size), CREATOR_PREFIX)
    id_range = (ids[0], ids[-1])
    existing = Creator.objects.filter(external_id__range=id_range).count()
    goals_field = Creator._meta.get_field("goals")
    stamp = _datetimes(np.array([_now_us(now)]))[0]
    onboarded_at = _datetimes(np.array([_now_us(now - timedelta(days=1))]))[0]
    columns = (
        "external_id", "handle", "niche", "follower_count", "follower_tier", "region", "language",
        "timezone", "goals", "level", "personalisation_consent", "onboarded_at", "is_minor",
        "created_at", "updated_at",
    )  # fmt: skip

    def row(index: int) -> tuple[object, ...]:
        region = REGIONS[population.region[index]]
        onboarded = bool(population.onboarded[index])
        goals = [
            goal
            for goal, held in zip(assumptions.GOALS, population.goals[index], strict=True)
            if held and onboarded
        ]
        return (
            ids[index],
            simulated_handle(index, int(population.niche[index])),
            NICHES[population.niche[index]],
            int(population.follower_count[index]),
            assumptions.FOLLOWER_TIERS[population.follower_tier[index]],
            region,
            population.languages[population.language[index]],
            assumptions.REGION_TIMEZONES[region][0],
            goals_field.get_db_prep_save(goals, connection),
            assumptions.LEVELS[population.stated_level[index]] if onboarded else "",
            bool(population.personalisation_consent[index]),
            onboarded_at if onboarded else None,
            False,
            stamp,
            stamp,
        )

    with transaction.atomic():
        _upsert(
            Creator,
            columns,
            (row(index) for index in range(population.size)),
            conflict=("external_id",),
            update=tuple(name for name in columns if name not in {"external_id", "created_at"}),
        )
    pks = np.zeros(population.size, dtype=np.int64)
    for external_id, pk in Creator.objects.filter(external_id__range=id_range).values_list(
        "external_id", "pk"
    ):
        pks[int(external_id.removeprefix(CREATOR_PREFIX))] = pk
    return pks, population.size - existing


def _datetimes(values: IntArray) -> list[Any]:
    """µs timestamps as the database takes them; None for -1."""
    if connection.vendor == "sqlite":
        # What Django's SQLite backend stores for an aware datetime: naive UTC text.
        text = np.datetime_as_string(np.maximum(values, 0).astype("datetime64[us]"), unit="us")
        adapted = np.char.replace(text, "T", " ").astype(object)
    else:
        adapt = connection.ops.adapt_datetimefield_value
        adapted = np.array([adapt(_from_us(max(v, 0))) for v in values.tolist()], dtype=object)
    adapted[values < 0] = None
    return adapted.tolist()  # type: ignore[no-any-return]


def simulated_learning_reset(*, creators: int) -> None:
    """Forget the learning of the first ``creators`` simulated creators: a run starts afresh."""
    ids = creator_ids(np.array([0, creators - 1]), CREATOR_PREFIX)
    mine = {"creator__external_id__range": (ids[0], ids[1])}
    with transaction.atomic():
        for model in (Certificate, BadgeAward, QuizAttempt, LessonProgress, Enrollment):
            model.objects.filter(**mine).delete()


def _upsert(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """INSERT … ON CONFLICT in one executemany: SQLite and PostgreSQL both speak it.

    Model instances would cost more than the rows themselves at simulation sizes (bulk_create
    spent ~100 µs a row building and preparing objects), so rows are plain tuples here.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    keys = ", ".join(connection.ops.quote_name(column) for column in conflict)
    action = (
        "DO UPDATE SET "
        + ", ".join(
            f"{connection.ops.quote_name(column)} = excluded.{connection.ops.quote_name(column)}"
            for column in update
        )
        if update
        else "DO NOTHING"
    )
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({keys}) {action}"  # noqa: S608
    with connection.cursor() as cursor:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == ROW_BATCH * 10:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


class _AssignmentWriter:
    """The exposures of the run's experiment as Assignment rows (the product's exposure record),
    written with the learning, after their events."""

    def __init__(self, world: World, creator_pks: IntArray, experiment: Experiment) -> None:
        self.creator_pks = creator_pks
        self.experiment = experiment
        assert world.experiment is not None
        self.variations = world.experiment.variations
        population = world.population
        # The creator's attributes when assigned, as the product records them (they do not
        # change during a simulated run).
        self.regions = np.asarray(REGIONS)[population.region]
        self.languages = np.asarray(population.languages)[population.language]
        self.tiers = np.asarray(assumptions.FOLLOWER_TIERS)[population.follower_tier]

    def forget(self, creators: int) -> None:
        """A run starts afresh: the simulated creators' earlier assignments go."""
        ids = creator_ids(np.array([0, creators - 1]), CREATOR_PREFIX)
        Assignment.objects.filter(
            experiment=self.experiment, creator__external_id__range=(ids[0], ids[1])
        ).delete()

    def write(self, batches: Sequence[EventBatch]) -> None:
        exposure = [batch.name == NAME["exposure"] for batch in batches]
        creators = _join([b.creator[e] for b, e in zip(batches, exposure, strict=True)])
        if not creators.size:
            return
        when = _datetimes(
            _join([b.timestamp_us[e] for b, e in zip(batches, exposure, strict=True)])
        )
        variation = _join([b.variation[e] for b, e in zip(batches, exposure, strict=True)])
        attributes = ("region", "language", "follower_tier")
        _upsert(
            Assignment,
            (
                "creator_id",
                "experiment_id",
                "variation",
                "bucket_version",
                "assigned_at",
                *attributes,
            ),
            zip(
                self.creator_pks[creators].tolist(),
                [self.experiment.pk] * creators.size,
                [self.variations[v] for v in variation.tolist()],
                [self.experiment.bucket_version] * creators.size,
                when,
                self.regions[creators].tolist(),
                self.languages[creators].tolist(),
                self.tiers[creators].tolist(),
                strict=True,
            ),
            conflict=("creator_id", "experiment_id"),
            update=("variation", "bucket_version", "assigned_at", *attributes),
        )


def _join(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class _LearningWriter:
    """Turns LearningChanges into upserts of the learning tables, in one transaction."""

    def __init__(self, world: World, creator_pks: IntArray) -> None:
        catalog = world.catalog
        self.creator_pks = creator_pks
        self.item_refs = np.array([item.ref for item in catalog.items], dtype=np.int64)
        self.niches = world.population.niche
        self.video = catalog.format_code == assumptions.FORMATS.index("video")
        self.duration = catalog.duration

    def write(self, changes: LearningChanges) -> None:
        with transaction.atomic():
            self._enrolments(changes)
            self._progress(changes)
            self._completions(changes)

    def _pairs(self, creators: IntArray, items: IntArray) -> tuple[list[int], list[int]]:
        return self.creator_pks[creators].tolist(), self.item_refs[items].tolist()

    def _enrolments(self, changes: LearningChanges) -> None:
        columns = ("creator_id", "course_id", "enrolled_at", "last_activity_at")
        for (creator, course, ts), update in (
            (changes.enrolled, ()),
            # Every touched enrolment moves its last activity on (its row exists by now).
            (changes.course_activity, ("last_activity_at",)),
        ):
            creators, courses = self._pairs(creator, course)
            when = _datetimes(ts)
            _upsert(
                Enrollment,
                columns,
                zip(creators, courses, when, when, strict=True),
                conflict=("creator_id", "course_id"),
                update=update,
            )

    def _progress(self, changes: LearningChanges) -> None:
        creators, lessons = self._pairs(changes.progress_creator, changes.progress_lesson)
        seconds = np.where(
            self.video[changes.progress_lesson],
            np.rint(self.duration[changes.progress_lesson] * changes.progress_percent / 100.0),
            0,
        ).astype(np.int64)
        completed = changes.progress_completed_us >= 0
        rows = list(
            zip(
                creators,
                lessons,
                _datetimes(changes.progress_started_us),
                _datetimes(changes.progress_updated_us),
                seconds.tolist(),
                seconds.tolist(),
                changes.progress_percent.tolist(),
                _datetimes(changes.progress_completed_us),
                strict=True,
            )
        )
        columns = (
            "creator_id", "lesson_id", "started_at", "updated_at", "position_seconds",
            "furthest_seconds", "watch_percent", "completed_at",
        )  # fmt: skip
        kept = ("updated_at", "position_seconds", "furthest_seconds", "watch_percent")
        # Pairs completed in these chunks get their completion; the others keep theirs.
        for chosen, update in ((completed, (*kept, "completed_at")), (~completed, kept)):
            _upsert(
                LessonProgress,
                columns,
                (row for row, take in zip(rows, chosen.tolist(), strict=True) if take),
                conflict=("creator_id", "lesson_id"),
                update=update,
            )

    def _completions(self, changes: LearningChanges) -> None:
        creator, course, ts = changes.courses_completed
        if not creator.size:
            return
        creators, courses = self._pairs(creator, course)
        when = _datetimes(ts)
        pairs = list(zip(creators, courses, when, strict=True))
        _upsert(
            Enrollment,
            ("creator_id", "course_id", "enrolled_at", "last_activity_at", "completed_at"),
            ((c, k, t, t, t) for c, k, t in pairs),
            conflict=("creator_id", "course_id"),
            update=("completed_at",),
        )
        _upsert(
            BadgeAward,
            ("creator_id", "course_id", "awarded_at"),
            pairs,
            conflict=("creator_id", "course_id"),
        )
        _upsert(
            Certificate,
            ("creator_id", "course_id", "code", "holder_name", "issued_at"),
            (
                (c, k, secrets.token_hex(10), simulated_handle(index, int(self.niches[index])), t)
                for (c, k, t), index in zip(pairs, creator.tolist(), strict=True)
            ),
            conflict=("creator_id", "course_id"),
        )


@dataclass
class _Writer:
    """Writes each chunk's events through the sink, and later their learning, never before.

    Chunks wait until about LAKE_APPEND_EVENTS events have gathered: the lake sink then appends
    them in one go, and for both sinks their learning is merged per (creator, item) pair and
    written in one transaction — far fewer rows than chunk by chunk.
    """

    world: World
    sink: str
    events_dir: Path
    learning: _LearningWriter
    now: datetime
    assignments: _AssignmentWriter | None = None
    days: set[str] = field(default_factory=set)
    waiting: list[ChunkResult] = field(default_factory=list)
    waiting_events: int = 0

    def chunk(self, result: ChunkResult) -> None:
        if self.sink == "capture":
            self._capture(result.events)
        self.waiting.append(result)
        self.waiting_events += len(result.events)
        if self.waiting_events >= LAKE_APPEND_EVENTS:
            self.flush()

    def _capture(self, batch: EventBatch) -> None:
        records = batch_records(batch, self.world.vocabulary)
        for start in range(0, len(records), MAX_BATCH):
            outcome = events_ingest(raw_events=records[start : start + MAX_BATCH], now=self.now)
            if outcome.rejected:
                problem = outcome.rejected[0]
                raise RuntimeError(
                    f"The capture path refused a simulated event ({problem.field}: "
                    f"{problem.detail}): the simulator and the taxonomy disagree."
                )
        self.days |= {
            _from_us(day * DAY_US).date().isoformat()
            for day in np.unique(batch.timestamp_us // DAY_US).tolist()
        }

    def flush(self) -> None:
        """Append the waiting events to the lake (lake sink), then write their learning."""
        if not self.waiting:
            return
        if self.sink == "lake":
            table = pa.concat_tables(
                batch_table(result.events, self.world.vocabulary) for result in self.waiting
            )
            run = append_to_lake(events_dir=self.events_dir, table=table)
            self.days |= set(run.days)
        with transaction.atomic():
            self.learning.write(
                LearningChanges.merge(
                    [result.learning for result in self.waiting], self.world.catalog.size
                )
            )
            if self.assignments is not None:
                self.assignments.write([result.events for result in self.waiting])
        self.waiting, self.waiting_events = [], 0

    def close(self) -> None:
        self.flush()
        if self.sink == "capture":
            # Sealed now, the segment is ready for the compactor without waiting for idle sealing.
            capture_log().seal()


def simulation_run(
    *,
    creators: int,
    days: int,
    seed: int,
    policy: str | Policy = "popularity",
    sink: str = "lake",
    events_dir: Path | None = None,
    rollups: bool = False,
    progress: Callable[[RunProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    experiment: ExperimentEffect | None = None,
) -> SimulationResult:
    """Simulate ``creators`` creators for ``days`` days ending now, and write what they did.

    ``policy`` is one of POLICY_NAMES or any ``Policy`` (the product's feed, adapted). With the
    lake sink and ``rollups``, the touched days' rollups are recomputed at the end; events sent
    through the capture path are compacted and rolled up by the worker as usual.
    ``should_stop`` is asked between chunks; a stopped run writes what it simulated and says so.
    With ``experiment``, that running experiment plays from the first simulated day: creators
    are assigned as the product assigns them, exposed at their first session (an ``exposure``
    event and an Assignment row), their events carry the variation, and the variations' clicks
    at the entry point follow the given true effect.
    """
    _validate(creators=creators, days=days, seed=seed, policy=policy, sink=sink)
    running = _experiment_for(experiment) if experiment is not None else None
    try:
        catalog = simulation_catalog()
    except ValueError as error:
        raise ValidationFailed(
            _(
                "There is no published content to simulate. Load the content pack first "
                "(academy content load)."
            )
        ) from error
    events_dir = events_dir or Path(settings.ACADEMY_EVENTS_DIR)
    world = world_build(catalog=catalog, creators=creators, seed=seed)
    now = clock.now()
    creator_pks, created = simulated_creators_ensure(world=world, now=now)
    simulated_learning_reset(creators=creators)
    assignments = None
    if running is not None and experiment is not None:
        assigned = simulated_assignment(experiment=running, world=world)
        world = replace(
            world,
            experiment=replace(
                assigned,
                click_multiplier=tuple(
                    1.0 + lift for lift in experiment.lifts(assigned.variations).values()
                ),
                entry_point=experiment.entry_point,
            ),
        )
        assignments = _AssignmentWriter(world, creator_pks, running)
        assignments.forget(creators)
        analysis_state_erase(running.key, events_dir=events_dir)
    chosen = policy_for(policy, world) if isinstance(policy, str) else policy
    writer = _Writer(
        world=world,
        sink=sink,
        events_dir=events_dir,
        learning=_LearningWriter(world, creator_pks),
        now=now,
        assignments=assignments,
    )
    report = Simulator(world, chosen, days=days, now_us=_now_us(now)).run(
        on_chunk=writer.chunk, progress=progress, should_stop=should_stop
    )
    writer.close()
    days_written = sorted(writer.days)
    rolled_up = rollups and sink == "lake" and bool(days_written)
    if rolled_up:
        rollup_days(events_dir=events_dir, days=days_written)
    return SimulationResult(
        report=report,
        sink=sink,
        creators_created=created,
        creators_reused=creators - created,
        days=days_written,
        rolled_up=rolled_up,
    )


def simulation_summary(result: SimulationResult) -> dict[str, Any]:
    """The result as plain JSON-ready data (for --json and the benchmark)."""
    return asdict(result)


# ---------------------------------------------------------------------------------------------
# The demo experiment

DEMO_EXPERIMENT = "for-you-card-design"
DEMO_VARIATIONS = (("classic", "Classic"), ("thumbnail", "Thumbnail"))
# The demo's known true effect: the thumbnail card is clicked 8 % more often than the classic one.
DEMO_CTR_LIFT = 0.08
# What the demo experiment is judged on (keys of the seeded metrics catalog).
DEMO_PRIMARY_METRICS = ("for_you_ctr", "completed_lesson")
DEMO_GUARDRAIL_METRICS = ("not_interested_rate",)


def _demo_hypothesis(effect: float) -> str:
    return (
        "A thumbnail on the For You card makes creators open it more often (in the simulation "
        f"its true effect on click-through is {effect * 100:+.0f} %)."
    )


def demo_experiment_ensure(
    *, started_at: datetime, effect: float = DEMO_CTR_LIFT
) -> Experiment | None:
    """The demo's flag and experiment on the For You card design (classic or thumbnail, 50/50),
    running since ``started_at`` (the first simulated day); its hypothesis states the true
    ``effect`` the simulation gives the thumbnail.

    Created on the first call; afterwards a draft or stopped experiment is started again and a
    running one gets the new start, and its earlier snapshots go (they describe another
    population). A shipped one is left alone (None): its results stay.
    """
    flag = Flag.objects.filter(key=DEMO_EXPERIMENT).first()
    if flag is None:
        flag = flag_create(
            key=DEMO_EXPERIMENT,
            value_type=ValueType.STRING,
            default_value=DEMO_VARIATIONS[0][0],
            description=(
                "The design of the For You card in the host app's feed: the classic text card "
                "or one with the item's thumbnail."
            ),
        )
    experiment = Experiment.objects.select_related("flag").filter(key=DEMO_EXPERIMENT).first()
    if experiment is None:
        experiment = experiment_create(
            key=DEMO_EXPERIMENT,
            flag=flag,
            data=ExperimentInput(
                name="For You card design",
                hypothesis=_demo_hypothesis(effect),
                variations=[VariationInput(key, name, key) for key, name in DEMO_VARIATIONS],
                weights=[0.5, 0.5],
                primary_metrics=DEMO_PRIMARY_METRICS,
                guardrail_metrics=DEMO_GUARDRAIL_METRICS,
            ),
        )
    if experiment.status == ExperimentStatus.SHIPPED:
        return None
    if experiment.status != ExperimentStatus.RUNNING:
        experiment_start(experiment=experiment, at=started_at)
    with transaction.atomic():
        Experiment.objects.filter(pk=experiment.pk).update(
            started_at=started_at, stopped_at=None, hypothesis=_demo_hypothesis(effect)
        )
        ExperimentSnapshot.objects.filter(experiment=experiment).delete()
    experiment.refresh_from_db()
    return experiment
