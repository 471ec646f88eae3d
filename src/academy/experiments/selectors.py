"""Reads of the experiments app: the GrowthBook payload served to SDKs, creators' attributes
and sticky assignments, and the console's lists.

The payload is built from the database: a killed flag serves its default value with no rules;
a flag's own rules come first, then its experiments in the order they started (running ones as
experiment rules, shipped ones as a force rule with the shipped value, stopped and draft ones
not at all); scheduled changes whose time has come are applied even before the worker has
written them. Each process keeps the built payload until a write changes the payload version
or the next scheduled change falls due.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.core import clock
from academy.core.errors import NotFound
from academy.experiments.analysis import ExperimentResults, SnapshotSummary
from academy.experiments.assignment import Flags, sticky_bucket_key
from academy.experiments.models import (
    Assignment,
    Experiment,
    ExperimentSnapshot,
    ExperimentStatus,
    Flag,
    Metric,
    PayloadVersion,
    ScheduledChange,
    SnapshotStatus,
)


@dataclass(frozen=True)
class ServedExperiment:
    key: str
    flag: str
    bucket_version: int


@dataclass(frozen=True)
class ServedFlags:
    """The payload as GrowthBook SDKs read it, compiled, and the experiments running in it."""

    payload: Mapping[str, Any]
    flags: Flags
    experiments: Mapping[str, ServedExperiment]
    token: str
    valid_from: datetime | None
    valid_until: datetime | None

    def fresh(self, token: str, now: datetime) -> bool:
        return (
            token == self.token
            and (self.valid_from is None or now >= self.valid_from)
            and (self.valid_until is None or now < self.valid_until)
        )


def namespace_overlap(experiment: Experiment, running: Sequence[Experiment]) -> Experiment | None:
    """A running experiment sharing `experiment`'s namespace on an overlapping range, if any."""
    if not experiment.namespace:
        return None
    for other in running:
        if (
            other.pk != experiment.pk
            and other.namespace == experiment.namespace
            and other.namespace_start < experiment.namespace_end
            and experiment.namespace_start < other.namespace_end
        ):
            return other
    return None


_cache: ServedFlags | None = None
_cache_lock = threading.Lock()


def _payload_token() -> str:
    """The current payload version. Read on every flag evaluation and every feed request, so
    in plain SQL: the ORM's query building cost 0.17 ms of a 0.19 ms read."""
    table = connection.ops.quote_name(PayloadVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} ORDER BY id LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def flags_payload(*, now: datetime | None = None) -> ServedFlags:
    """The served payload at `now`, from this process's cache while it is still current."""
    global _cache
    now = now or clock.now()
    token = _payload_token()
    cached = _cache
    if cached is not None and cached.fresh(token, now):
        return cached
    built = _build_payload(token=token, now=now)
    with _cache_lock:
        _cache = built
    return built


def _apply_due(
    changes: Sequence[ScheduledChange],
    flags: Mapping[int, Flag],
    experiments: Mapping[int, Experiment],
) -> None:
    """Apply due changes to the in-memory rows as `services.scheduled_changes_apply` will."""
    for scheduled in changes:
        change = scheduled.change
        if scheduled.flag_id is not None:
            flag = flags[scheduled.flag_id]
            for name in ("enabled", "default_value", "rules"):
                if name in change:
                    setattr(flag, name, change[name])
            continue
        assert scheduled.experiment_id is not None
        experiment = experiments[scheduled.experiment_id]
        action = change.get("action")
        if action == "stop" and experiment.status == ExperimentStatus.RUNNING:
            experiment.status = ExperimentStatus.STOPPED
        elif action == "start" and experiment.status in (
            ExperimentStatus.DRAFT,
            ExperimentStatus.STOPPED,
        ):
            running = [
                other for other in experiments.values() if other.status == ExperimentStatus.RUNNING
            ]
            if namespace_overlap(experiment, running) is None:
                experiment.status = ExperimentStatus.RUNNING
                experiment.started_at = experiment.started_at or scheduled.at


def _experiment_rule(experiment: Experiment) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": f"experiment-{experiment.key}",
        "key": experiment.key,
        "name": experiment.name,
        "variations": [variation["value"] for variation in experiment.variations],
        "weights": list(experiment.weights),
        "coverage": experiment.coverage,
        "meta": [
            {"key": variation["key"], "name": variation["name"]}
            for variation in experiment.variations
        ],
        "hashAttribute": experiment.hash_attribute,
        "seed": experiment.seed,
        "hashVersion": experiment.hash_version,
        "bucketVersion": experiment.bucket_version,
        "phase": str(experiment.bucket_version),
    }
    if experiment.condition:
        rule["condition"] = experiment.condition
    filters = [dict(item) for item in experiment.holdout]
    if experiment.namespace:
        if filters:
            # The SDKs ignore `namespace` when a rule has filters; the same slice as a filter.
            filters.append(
                {
                    "seed": f"__{experiment.namespace}",
                    "ranges": [[experiment.namespace_start, experiment.namespace_end]],
                    "hashVersion": 1,
                    "attribute": experiment.hash_attribute,
                }
            )
        else:
            rule["namespace"] = [
                experiment.namespace,
                experiment.namespace_start,
                experiment.namespace_end,
            ]
    if filters:
        rule["filters"] = filters
    return rule


def _shipped_rule(experiment: Experiment) -> dict[str, Any]:
    value = next(
        variation["value"]
        for variation in experiment.variations
        if variation["key"] == experiment.shipped_variation
    )
    rule: dict[str, Any] = {"id": f"shipped-{experiment.key}", "force": value}
    if experiment.condition:
        rule["condition"] = experiment.condition
    return rule


def _build_payload(*, token: str, now: datetime) -> ServedFlags:
    flags = {flag.pk: flag for flag in Flag.objects.all()}
    experiments = {experiment.pk: experiment for experiment in Experiment.objects.all()}
    pending = list(ScheduledChange.objects.filter(applied_at__isnull=True).order_by("at", "pk"))
    due = [scheduled for scheduled in pending if scheduled.at <= now]
    later = [scheduled.at for scheduled in pending if scheduled.at > now]
    _apply_due(due, flags, experiments)
    by_flag: dict[int, list[Experiment]] = {}
    for experiment in sorted(
        experiments.values(), key=lambda item: (item.started_at or item.created_at, item.key)
    ):
        by_flag.setdefault(experiment.flag_id, []).append(experiment)
    features: dict[str, Any] = {}
    served: dict[str, ServedExperiment] = {}
    for flag in sorted(flags.values(), key=lambda item: item.key):
        rules: list[dict[str, Any]] = []
        if flag.enabled:
            rules.extend(dict(rule) for rule in flag.rules)
            for experiment in by_flag.get(flag.pk, []):
                if experiment.status == ExperimentStatus.RUNNING:
                    rules.append(_experiment_rule(experiment))
                    served[experiment.key] = ServedExperiment(
                        experiment.key, flag.key, experiment.bucket_version
                    )
                elif experiment.status == ExperimentStatus.SHIPPED:
                    rules.append(_shipped_rule(experiment))
        features[flag.key] = {"defaultValue": flag.default_value, "rules": rules}
    payload = {"features": features}
    return ServedFlags(
        payload=payload,
        flags=Flags.from_payload(payload),
        experiments=served,
        token=token,
        valid_from=max((scheduled.at for scheduled in due), default=None),
        valid_until=min(later, default=None),
    )


def creator_attributes(
    *, creator: Creator, platform: str = "", app_version: str = ""
) -> dict[str, Any]:
    """What targeting conditions can test about a creator; `id` is their external id."""
    attributes: dict[str, Any] = {
        "id": creator.external_id,
        "region": creator.region,
        "language": creator.language,
        "follower_tier": creator.follower_tier,
        "follower_count": creator.follower_count,
        "niche": creator.niche,
        "level": creator.level,
        "is_minor": creator.is_minor,
    }
    if platform:
        attributes["platform"] = platform
    if app_version:
        attributes["app_version"] = app_version
    return attributes


def sticky_assignments_of(*, creator: Creator) -> dict[str, str]:
    """The creator's stored assignments as GrowthBook sticky-bucket assignments."""
    return {
        sticky_bucket_key(key, version): variation
        for key, version, variation in Assignment.objects.filter(creator=creator).values_list(
            "experiment__key", "bucket_version", "variation"
        )
    }


# ---------------------------------------------------------------------------------------------
# The console


def flag_list() -> list[Flag]:
    return list(Flag.objects.order_by("key"))


def experiment_list() -> list[Experiment]:
    return list(Experiment.objects.select_related("flag").order_by("status", "key"))


def flag_get(*, key: str) -> Flag:
    flag = Flag.objects.filter(key=key).first()
    if flag is None:
        raise NotFound(_("There is no flag “%(key)s”.") % {"key": key})
    return flag


def experiment_get(*, key: str) -> Experiment:
    experiment = Experiment.objects.select_related("flag").filter(key=key).first()
    if experiment is None:
        raise NotFound(_("There is no experiment “%(key)s”.") % {"key": key})
    return experiment


def scheduled_changes_of(
    *, flag: Flag | None = None, experiment: Experiment | None = None
) -> list[ScheduledChange]:
    changes = ScheduledChange.objects.order_by("-applied_at", "at", "pk")
    if flag is not None:
        return list(changes.filter(flag=flag))
    return list(changes.filter(experiment=experiment))


def assignment_counts(*, experiment: Experiment) -> dict[str, int]:
    """Creators assigned under the current bucket version, by variation."""
    counts = dict.fromkeys(experiment.variation_keys, 0)
    rows = (
        Assignment.objects.filter(experiment=experiment, bucket_version=experiment.bucket_version)
        .values("variation")
        .annotate(creators=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["variation"]] = row["creators"]
    return counts


# ---------------------------------------------------------------------------------------------
# Metrics and analysis snapshots


def metric_list() -> list[Metric]:
    return list(Metric.objects.order_by("guardrail", "key"))


def metric_get(*, key: str) -> Metric:
    metric = Metric.objects.filter(key=key).first()
    if metric is None:
        raise NotFound(_("There is no metric “%(key)s”.") % {"key": key})
    return metric


def experiment_snapshots(experiment: Experiment) -> list[SnapshotSummary]:
    """The experiment's dated analyses, newest first (failed ones too, with their error)."""
    rows = ExperimentSnapshot.objects.filter(experiment=experiment).order_by("-date")
    return [
        SnapshotSummary(
            date=row.date,
            computed_at=row.computed_at,
            status=SnapshotStatus(row.status).value,  # type: ignore[arg-type]
            error=row.error,
            creators=row.creators,
        )
        for row in rows.only("date", "computed_at", "status", "error", "creators")
    ]


def experiment_results(
    experiment: Experiment, *, as_of: date | None = None
) -> ExperimentResults | None:
    """The latest successful analysis (or the one of day `as_of`), None if there is none."""
    rows = ExperimentSnapshot.objects.filter(experiment=experiment, status=SnapshotStatus.OK)
    if as_of is not None:
        rows = rows.filter(date=as_of)
    row = rows.order_by("-date").first()
    return ExperimentResults.from_json(row.results) if row is not None else None
