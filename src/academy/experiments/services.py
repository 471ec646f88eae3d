"""Writes of the experiments app: flags, experiments, their lifecycle, schedules, assignments.

Every rule a console form or an API client must respect is checked here and raised as a domain
error naming the field, before anything is written. Every write changes the payload version, so
each process rebuilds its cached GrowthBook payload (`selectors.flags_payload`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.core import clock
from academy.core.errors import AcademyError, Conflict, ValidationFailed
from academy.events import taxonomy
from academy.events.query import DuckDBEngine
from academy.events.services import server_event, track_event
from academy.experiments import window_state
from academy.experiments.analysis import ExperimentResults
from academy.experiments.assignment import FeatureResult, Flags, PayloadError, eval_features
from academy.experiments.exposures import experiment_exposures
from academy.experiments.metrics import MetricInput, check_metric_input, metric_spec
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
    ValueType,
)
from academy.experiments.pipeline import (
    ExperimentSpec,
    Variation,
    analyze,
    sufficient_statistics,
)
from academy.experiments.selectors import (
    creator_attributes,
    flags_payload,
    namespace_overlap,
    sticky_assignments_of,
)
from academy.stats import StatsInputError

logger = logging.getLogger(__name__)
# The platform dimension of a creator whose exposure day is no longer (or not) in the raw lake.

KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
KEY_MAX = 64
WEIGHT_TOLERANCE = 1e-6
FLAG_CHANGE_FIELDS = frozenset({"enabled", "default_value", "rules"})
EXPERIMENT_ACTIONS = ("start", "stop")


# ---------------------------------------------------------------------------------------------
# Checks shared by the services (and by the payload, for changes that are due)


def _require_key(key: str, *, field: str = "key") -> str:
    if not key or len(key) > KEY_MAX or not KEY_PATTERN.match(key):
        raise ValidationFailed(
            _("“%(key)s” is not a usable key.") % {"key": key},
            errors={
                field: _(
                    "Use 1 to 64 lowercase letters and digits, separated by single hyphens "
                    "or underscores."
                )
            },
        )
    return key


def value_fits(value_type: str, value: Any) -> bool:
    """Whether a flag value is of the flag's type (JSON flags take any JSON value)."""
    if value_type == ValueType.BOOLEAN:
        return isinstance(value, bool)
    if value_type == ValueType.STRING:
        return isinstance(value, str)
    if value_type == ValueType.NUMBER:
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    return value_type == ValueType.JSON


def _type_name(value_type: str) -> str:
    return str(ValueType(value_type).label)


def _require_value(value_type: str, value: Any, *, field: str) -> None:
    if not value_fits(value_type, value):
        raise ValidationFailed(
            _("The value %(value)s is not of the flag's type (%(type)s).")
            % {"value": _short(value), "type": _type_name(value_type)},
            errors={field: _("Give a value of type %(type)s.") % {"type": _type_name(value_type)}},
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _require_rules(flag_key: str, value_type: str, rules: Any) -> list[dict[str, Any]]:
    """The flag's own rules: GrowthBook force rules that the assignment module accepts."""
    if not isinstance(rules, list):
        raise ValidationFailed(
            _("A flag's rules are a JSON list of rules."),
            errors={"rules": _("Write a JSON list, [] for none.")},
        )
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or "force" not in rule or "variations" in rule:
            raise ValidationFailed(
                _(
                    "Rule %(number)s is not a force rule. A flag's rules give a value "
                    '("force") to the creators they target; run experiments as experiments.'
                )
                % {"number": index + 1},
                errors={"rules": _('Each rule needs a "force" value and no "variations".')},
            )
        if not value_fits(value_type, rule["force"]):
            raise ValidationFailed(
                _("Rule %(number)s forces %(value)s, which is not of the flag's type (%(type)s).")
                % {
                    "number": index + 1,
                    "value": _short(rule["force"]),
                    "type": _type_name(value_type),
                },
                errors={"rules": _("Force values must be of the flag's type.")},
            )
    try:
        Flags.from_payload({"features": {flag_key: {"defaultValue": None, "rules": rules}}})
    except PayloadError as error:
        raise ValidationFailed(
            _("The rules cannot be read: %(problem)s") % {"problem": error},
            errors={"rules": str(error)},
        ) from error
    return rules


def _require_condition(condition: Any, *, field: str = "condition") -> Mapping[str, Any]:
    if not isinstance(condition, Mapping):
        raise ValidationFailed(
            _("A targeting condition is a JSON object, {} for everyone."),
            errors={field: _('Write a JSON object such as {"region": "BR"}.')},
        )
    return condition


@dataclass(frozen=True)
class VariationInput:
    key: str
    name: str
    value: Any


@dataclass(frozen=True)
class ExperimentInput:
    """What staff set on an experiment; the key and the flag are given at creation only."""

    name: str
    hypothesis: str
    variations: Sequence[VariationInput]
    weights: Sequence[float]
    coverage: float = 1.0
    namespace: str = ""
    namespace_start: float = 0.0
    namespace_end: float = 1.0
    hash_attribute: str = "id"
    seed: str = ""
    condition: Mapping[str, Any] | None = None
    holdout: Sequence[Mapping[str, Any]] = ()
    primary_metrics: Sequence[str] = ()
    guardrail_metrics: Sequence[str] = ()


def _check_variations(flag: Flag, variations: Sequence[VariationInput]) -> list[dict[str, Any]]:
    if len(variations) < 2:
        raise ValidationFailed(
            _("An experiment needs at least two variations."),
            errors={"variations": _("Add a control and at least one other variation.")},
        )
    seen: set[str] = set()
    checked = []
    for variation in variations:
        _require_key(variation.key, field="variations")
        if variation.key in seen:
            raise ValidationFailed(
                _("Two variations have the key “%(key)s”.") % {"key": variation.key},
                errors={"variations": _("Give each variation its own key.")},
            )
        seen.add(variation.key)
        _require_value(flag.value_type, variation.value, field="variations")
        checked.append(
            {
                "key": variation.key,
                "name": variation.name or variation.key,
                "value": variation.value,
            }
        )
    return checked


def _check_weights(weights: Sequence[float], variations: int) -> list[float]:
    if len(weights) != variations:
        raise ValidationFailed(
            _("There are %(weights)d weights for %(variations)d variations.")
            % {"weights": len(weights), "variations": variations},
            errors={"weights": _("Give one weight per variation.")},
        )
    if any(not math.isfinite(weight) or weight < 0 for weight in weights):
        raise ValidationFailed(
            _("Weights cannot be negative."), errors={"weights": _("Use numbers from 0 to 1.")}
        )
    total = math.fsum(weights)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise ValidationFailed(
            _("The weights add up to %(total)s; they must add up to 1.") % {"total": f"{total:g}"},
            errors={"weights": _("Make the weights add up to 1, such as 0.5, 0.5.")},
        )
    return [float(weight) for weight in weights]


def _check_unit(value: float, field: str, label: str) -> float:
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise ValidationFailed(
            _("%(label)s must be between 0 and 1.") % {"label": label},
            errors={field: _("Use a number from 0 to 1.")},
        )
    return float(value)


def _check_holdout(key: str, holdout: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(holdout, (list, tuple)) or not all(
        isinstance(item, Mapping) for item in holdout
    ):
        raise ValidationFailed(
            _("A holdout is a JSON list of filters, [] for none."),
            errors={"holdout": _("Write a JSON list of filters.")},
        )
    filters = [dict(item) for item in holdout]
    try:
        Flags.from_payload({"features": {key: {"rules": [{"force": True, "filters": filters}]}}})
    except PayloadError as error:
        problem = str(error).split(".filters", 1)[-1]
        raise ValidationFailed(
            _("The holdout cannot be read: %(problem)s") % {"problem": f"filters{problem}"},
            errors={"holdout": _('Write GrowthBook filters: [{"seed": …, "ranges": [[0.1, 1]]}].')},
        ) from error
    return filters


def _check_experiment_input(flag: Flag, data: ExperimentInput, key: str) -> dict[str, Any]:
    """The experiment's fields from `data`, checked (not the lifecycle or namespace overlap)."""
    if not data.name.strip():
        raise ValidationFailed(
            _("Name the experiment."), errors={"name": _("This field is required.")}
        )
    variations = _check_variations(flag, data.variations)
    weights = _check_weights(data.weights, len(variations))
    coverage = _check_unit(data.coverage, "coverage", _("Coverage"))
    namespace = data.namespace.strip()
    start, end = data.namespace_start, data.namespace_end
    if namespace:
        _require_key(namespace, field="namespace")
        _check_unit(start, "namespace_start", _("The namespace range's start"))
        _check_unit(end, "namespace_end", _("The namespace range's end"))
        if start >= end:
            raise ValidationFailed(
                _("The namespace range must start before it ends."),
                errors={"namespace_end": _("Give an end above the start.")},
            )
    else:
        start, end = 0.0, 1.0
    if not data.hash_attribute.strip():
        raise ValidationFailed(
            _("Name the attribute creators are bucketed by."),
            errors={"hash_attribute": _("Use “id” to bucket by creator.")},
        )
    metrics: dict[str, list[str]] = {}
    for field in ("primary_metrics", "guardrail_metrics"):
        metrics[field] = [_require_key(name, field=field) for name in getattr(data, field)]
        _require_metrics(metrics[field], field=field)
    both = [key for key in metrics["guardrail_metrics"] if key in metrics["primary_metrics"]]
    if both:
        raise ValidationFailed(
            _("“%(key)s” is both a primary metric and a guardrail.") % {"key": both[0]},
            errors={"guardrail_metrics": _("List each metric once, as primary or as guardrail.")},
        )
    return {
        "name": data.name.strip(),
        "hypothesis": data.hypothesis.strip(),
        "variations": variations,
        "weights": weights,
        "coverage": coverage,
        "namespace": namespace,
        "namespace_start": float(start),
        "namespace_end": float(end),
        "hash_attribute": data.hash_attribute.strip(),
        "seed": data.seed.strip() or key,
        "condition": dict(_require_condition({} if data.condition is None else data.condition)),
        "holdout": _check_holdout(key, data.holdout),
        "primary_metrics": metrics["primary_metrics"],
        "guardrail_metrics": metrics["guardrail_metrics"],
    }


def _require_metrics(keys: Sequence[str], *, field: str) -> None:
    """Every key names a metric of the catalog."""
    known = set(Metric.objects.filter(key__in=keys).values_list("key", flat=True))
    missing = [key for key in keys if key not in known]
    if missing:
        raise ValidationFailed(
            _("There is no metric “%(key)s” in the catalog.") % {"key": missing[0]},
            errors={
                field: _("Use the keys of metrics in the catalog: %(keys)s.")
                % {"keys": ", ".join(missing)}
            },
        )


def _require_free_namespace(experiment: Experiment) -> None:
    running = list(
        Experiment.objects.filter(
            status=ExperimentStatus.RUNNING, namespace=experiment.namespace
        ).exclude(pk=experiment.pk)
    )
    other = namespace_overlap(experiment, running)
    if other is not None:
        raise Conflict(
            _(
                "The range %(start)s–%(end)s of namespace “%(namespace)s” overlaps the running "
                "experiment “%(other)s” (%(other_start)s–%(other_end)s)."
            )
            % {
                "start": f"{experiment.namespace_start:g}",
                "end": f"{experiment.namespace_end:g}",
                "namespace": experiment.namespace,
                "other": other.key,
                "other_start": f"{other.namespace_start:g}",
                "other_end": f"{other.namespace_end:g}",
            },
            errors={"namespace_start": _("Choose a range no running experiment uses.")},
        )


def _payload_changed() -> None:
    """A new payload version: every process rebuilds its cached payload on its next read."""
    PayloadVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


# ---------------------------------------------------------------------------------------------
# Flags


def flag_create(
    *,
    key: str,
    value_type: str,
    default_value: Any,
    description: str = "",
    enabled: bool = True,
    rules: Any = None,
) -> Flag:
    """A new flag, its default value and rules typed per `value_type`."""
    _require_key(key)
    if value_type not in ValueType.values:
        raise ValidationFailed(
            _("“%(value)s” is not one of the options.") % {"value": value_type},
            errors={"value_type": _("Choose one of the offered options.")},
        )
    _require_value(value_type, default_value, field="default_value")
    checked_rules = _require_rules(key, value_type, [] if rules is None else rules)
    now = clock.now()
    with transaction.atomic():
        if Flag.objects.filter(key=key).exists():
            raise Conflict(
                _("A flag with the key “%(key)s” exists already.") % {"key": key},
                errors={"key": _("Choose another key.")},
            )
        flag = Flag.objects.create(
            key=key,
            value_type=value_type,
            default_value=default_value,
            description=description.strip(),
            enabled=enabled,
            rules=checked_rules,
            created_at=now,
            updated_at=now,
        )
        _payload_changed()
    return flag


def flag_update(
    *,
    flag: Flag,
    description: str | None = None,
    default_value: Any = ...,
    rules: Any = None,
    enabled: bool | None = None,
) -> Flag:
    """Change a flag's description, default value, rules or kill switch (key and type stay)."""
    fields = []
    if default_value is not ...:
        _require_value(flag.value_type, default_value, field="default_value")
        flag.default_value = default_value
        fields.append("default_value")
    if rules is not None:
        flag.rules = _require_rules(flag.key, flag.value_type, rules)
        fields.append("rules")
    if description is not None:
        flag.description = description.strip()
        fields.append("description")
    if enabled is not None:
        flag.enabled = enabled
        fields.append("enabled")
    flag.updated_at = clock.now()
    with transaction.atomic():
        flag.save(update_fields=[*fields, "updated_at"])
        _payload_changed()
    return flag


def flag_set_enabled(*, flag: Flag, enabled: bool) -> Flag:
    """The kill switch: off serves the default value to everyone, with no rules or experiments."""
    return flag_update(flag=flag, enabled=enabled)


# ---------------------------------------------------------------------------------------------
# Experiments


def experiment_create(*, key: str, flag: Flag, data: ExperimentInput) -> Experiment:
    """A draft experiment on `flag`."""
    _require_key(key)
    fields = _check_experiment_input(flag, data, key)
    now = clock.now()
    with transaction.atomic():
        if Experiment.objects.filter(key=key).exists():
            raise Conflict(
                _("An experiment with the key “%(key)s” exists already.") % {"key": key},
                errors={"key": _("Choose another key.")},
            )
        experiment = Experiment.objects.create(
            key=key, flag=flag, created_at=now, updated_at=now, **fields
        )
        _payload_changed()
    return experiment


# Once started, these change only with a restart, which assigns every creator again.
_FIXED_ONCE_STARTED = ("variations", "hash_attribute", "seed")


def experiment_update(*, experiment: Experiment, data: ExperimentInput) -> Experiment:
    """Save an experiment's settings. Once it has started, its variations and bucketing change
    only through `experiment_restart`; its weights change only while it is stopped (creators
    assigned before keep their variation, new ones follow the new weights); a shipped
    experiment does not change."""
    if experiment.status == ExperimentStatus.SHIPPED:
        raise Conflict(_("A shipped experiment cannot change."))
    fields = _check_experiment_input(experiment.flag, data, experiment.key)
    fixed = _FIXED_ONCE_STARTED if experiment.started_at is not None else ()
    if experiment.status == ExperimentStatus.RUNNING:
        fixed = (*fixed, "weights")
    for name in fixed:
        if fields[name] != getattr(experiment, name):
            raise Conflict(
                _(
                    "The experiment is running: stop it to change its weights. Its variations "
                    "and bucketing change only with a restart, which assigns every creator again."
                )
                if name == "weights"
                else _(
                    "The experiment has started: its variations and bucketing change only with "
                    "a restart, which assigns every creator again."
                ),
                errors={
                    name: _("Stop the experiment to change this.")
                    if name == "weights"
                    else _("Restart the experiment to change this.")
                },
            )
    for name, value in fields.items():
        setattr(experiment, name, value)
    experiment.updated_at = clock.now()
    with transaction.atomic():
        if experiment.status == ExperimentStatus.RUNNING:
            _require_free_namespace(experiment)
        experiment.save(update_fields=[*fields, "updated_at"])
        _payload_changed()
    return experiment


def _refuse(experiment: Experiment, action: str) -> AcademyError:
    return Conflict(
        _("An experiment that is %(status)s cannot %(action)s.")
        % {"status": ExperimentStatus(experiment.status).label.lower(), "action": action}
    )


def experiment_start(*, experiment: Experiment, at: datetime | None = None) -> Experiment:
    """Start (or resume) assigning creators; its namespace range must be free."""
    if experiment.status not in (ExperimentStatus.DRAFT, ExperimentStatus.STOPPED):
        raise _refuse(experiment, _("start"))
    now = at or clock.now()
    with transaction.atomic():
        _require_free_namespace(experiment)
        experiment.status = ExperimentStatus.RUNNING
        experiment.started_at = experiment.started_at or now
        experiment.stopped_at = None
        experiment.updated_at = now
        experiment.save(update_fields=["status", "started_at", "stopped_at", "updated_at"])
        _payload_changed()
    return experiment


def experiment_stop(*, experiment: Experiment, at: datetime | None = None) -> Experiment:
    """Stop assigning: every creator gets the flag's other rules or its default again."""
    if experiment.status != ExperimentStatus.RUNNING:
        raise _refuse(experiment, _("stop"))
    now = at or clock.now()
    experiment.status = ExperimentStatus.STOPPED
    experiment.stopped_at = now
    experiment.updated_at = now
    with transaction.atomic():
        experiment.save(update_fields=["status", "stopped_at", "updated_at"])
        _payload_changed()
    return experiment


def experiment_ship(*, experiment: Experiment, variation: str) -> Experiment:
    """Give one variation's value to every creator the experiment targets, for good."""
    if experiment.status not in (ExperimentStatus.RUNNING, ExperimentStatus.STOPPED):
        raise _refuse(experiment, _("ship"))
    if variation not in experiment.variation_keys:
        raise ValidationFailed(
            _("The experiment has no variation “%(key)s”.") % {"key": variation},
            errors={"variation": _("Choose one of the experiment's variations.")},
        )
    now = clock.now()
    experiment.status = ExperimentStatus.SHIPPED
    experiment.shipped_variation = variation
    experiment.stopped_at = experiment.stopped_at or now
    experiment.updated_at = now
    with transaction.atomic():
        experiment.save(update_fields=["status", "shipped_variation", "stopped_at", "updated_at"])
        _payload_changed()
    return experiment


def experiment_restart(
    *,
    experiment: Experiment,
    variations: Sequence[VariationInput] | None = None,
    weights: Sequence[float] | None = None,
) -> Experiment:
    """Run the experiment again under a new bucket version, optionally with new variations and
    weights: every creator is assigned afresh and earlier assignments no longer count."""
    if experiment.status not in (ExperimentStatus.RUNNING, ExperimentStatus.STOPPED):
        raise _refuse(experiment, _("restart"))
    if variations is not None:
        experiment.variations = _check_variations(experiment.flag, variations)
    experiment.weights = _check_weights(
        experiment.weights if weights is None else weights, len(experiment.variations)
    )
    now = clock.now()
    experiment.bucket_version += 1
    experiment.status = ExperimentStatus.RUNNING
    experiment.started_at = now
    experiment.stopped_at = None
    experiment.updated_at = now
    with transaction.atomic():
        _require_free_namespace(experiment)
        experiment.save(
            update_fields=[
                "variations",
                "weights",
                "bucket_version",
                "status",
                "started_at",
                "stopped_at",
                "updated_at",
            ]
        )
        _payload_changed()
    return experiment


# ---------------------------------------------------------------------------------------------
# Scheduled changes


def _check_change(
    *, flag: Flag | None, experiment: Experiment | None, change: Any
) -> dict[str, Any]:
    if not isinstance(change, dict) or not change:
        raise ValidationFailed(
            _("Say what should change."), errors={"change": _("Choose a change.")}
        )
    if flag is not None:
        unknown = set(change) - FLAG_CHANGE_FIELDS
        if unknown:
            raise ValidationFailed(
                _("A flag's scheduled change sets enabled, default_value or rules, not %(names)s.")
                % {"names": ", ".join(sorted(unknown))},
                errors={"change": _("Choose a change.")},
            )
        if "enabled" in change and not isinstance(change["enabled"], bool):
            raise ValidationFailed(
                _("The kill switch is on or off."), errors={"change": _("Choose a change.")}
            )
        if "default_value" in change:
            _require_value(flag.value_type, change["default_value"], field="value")
        if "rules" in change:
            _require_rules(flag.key, flag.value_type, change["rules"])
        return dict(change)
    if set(change) != {"action"} or change["action"] not in EXPERIMENT_ACTIONS:
        raise ValidationFailed(
            _("An experiment's scheduled change starts or stops it."),
            errors={"change": _("Choose a change.")},
        )
    return dict(change)


def scheduled_change_create(
    *,
    at: datetime,
    change: Any,
    flag: Flag | None = None,
    experiment: Experiment | None = None,
) -> ScheduledChange:
    """A change to a flag or an experiment that takes effect at `at` (in the future)."""
    if (flag is None) == (experiment is None):
        raise ValidationFailed(_("A scheduled change is for one flag or one experiment."))
    now = clock.now()
    if at <= now:
        raise ValidationFailed(
            _("The time of a scheduled change must be in the future."),
            errors={"at": _("Choose a later time.")},
        )
    checked = _check_change(flag=flag, experiment=experiment, change=change)
    with transaction.atomic():
        scheduled = ScheduledChange.objects.create(
            flag=flag, experiment=experiment, at=at, change=checked, created_at=now
        )
        _payload_changed()
    return scheduled


def scheduled_change_cancel(*, scheduled: ScheduledChange) -> None:
    """Forget a change that has not been applied yet."""
    if scheduled.applied_at is not None:
        raise Conflict(_("This change has been applied already."))
    with transaction.atomic():
        scheduled.delete()
        _payload_changed()


def _apply(scheduled: ScheduledChange) -> None:
    change = scheduled.change
    if scheduled.flag is not None:
        flag_update(
            flag=scheduled.flag,
            default_value=change.get("default_value", ...),
            rules=change.get("rules"),
            enabled=change.get("enabled"),
        )
        return
    experiment = scheduled.experiment
    assert experiment is not None
    if change["action"] == "start":
        experiment_start(experiment=experiment, at=scheduled.at)
    else:
        experiment_stop(experiment=experiment, at=scheduled.at)


def scheduled_changes_apply(*, now: datetime | None = None) -> int:
    """Apply every change whose time has come, oldest first; one that no longer fits (an
    experiment already stopped, a namespace taken) is recorded with its reason. Returns how many
    were applied."""
    now = now or clock.now()
    applied = 0
    due = ScheduledChange.objects.filter(applied_at__isnull=True, at__lte=now).select_related(
        "flag", "experiment", "experiment__flag"
    )
    for scheduled in due:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    _apply(scheduled)
            except AcademyError as error:
                scheduled.error = error.detail
                logger.warning("Scheduled change %s not applied: %s", scheduled.pk, error.detail)
            else:
                applied += 1
            scheduled.applied_at = now
            scheduled.save(update_fields=["applied_at", "error"])
            _payload_changed()
    return applied


# ---------------------------------------------------------------------------------------------
# Assignments


@dataclass(frozen=True)
class NewAssignment:
    experiment_key: str
    variation: str
    bucket_version: int


def assignments_record(*, creator: Creator, assignments: Sequence[NewAssignment]) -> list[str]:
    """Store the creator's new sticky assignments and log an `exposure` for each the first time
    (per bucket version); returns the keys of the experiments newly exposed."""
    if not assignments:
        return []
    experiments = {
        experiment.key: experiment
        for experiment in Experiment.objects.select_related("flag").filter(
            key__in=[item.experiment_key for item in assignments]
        )
    }
    now = clock.now()
    exposed = []
    for item in assignments:
        experiment = experiments.get(item.experiment_key)
        if experiment is None or item.bucket_version != experiment.bucket_version:
            continue
        try:
            with transaction.atomic():
                stored = (
                    Assignment.objects.select_for_update()
                    .filter(creator=creator, experiment=experiment)
                    .first()
                )
                if stored is not None and stored.bucket_version >= item.bucket_version:
                    continue  # another request assigned the creator first
                attributes = {
                    "region": creator.region,
                    "language": creator.language,
                    "follower_tier": creator.follower_tier,
                }
                if stored is None:
                    Assignment.objects.create(
                        creator=creator,
                        experiment=experiment,
                        variation=item.variation,
                        bucket_version=item.bucket_version,
                        assigned_at=now,
                        **attributes,
                    )
                else:
                    stored.variation = item.variation
                    stored.bucket_version = item.bucket_version
                    stored.assigned_at = now
                    for name, value in attributes.items():
                        setattr(stored, name, value)
                    stored.save(
                        update_fields=["variation", "bucket_version", "assigned_at", *attributes]
                    )
                track_event(
                    server_event(
                        taxonomy.Exposure,
                        creator_id=creator.external_id,
                        item_kind="flag",
                        item_id=experiment.flag.key,
                        experiments={experiment.key: item.variation},
                        properties={
                            "experiment": experiment.key,
                            "variation": item.variation,
                            "bucket_version": item.bucket_version,
                        },
                    )
                )
        except IntegrityError:
            continue  # a concurrent request stored (and exposed) this assignment
        exposed.append(experiment.key)
    return exposed


@dataclass(frozen=True)
class CreatorAssignment:
    experiment: str
    flag: str
    variation: str
    variation_name: str
    bucket_version: int
    new: bool


@dataclass(frozen=True)
class CreatorFlags:
    """Every flag's value for one creator and the experiments they are in."""

    creator: Creator
    flags: Mapping[str, FeatureResult]
    assignments: Sequence[CreatorAssignment]


def flags_for_creator(
    *, creator: Creator, platform: str = "", app_version: str = ""
) -> CreatorFlags:
    """Evaluate every flag for the creator with their sticky assignments, as the served payload
    does; store the assignments made now and log their exposure once."""
    served = flags_payload()
    evaluation = eval_features(
        served.flags,
        creator_attributes(creator=creator, platform=platform, app_version=app_version),
        sticky_assignments=sticky_assignments_of(creator=creator),
    )
    found: list[CreatorAssignment] = []
    new: list[NewAssignment] = []
    for result in evaluation.results.values():
        outcome = result.experiment
        if outcome is None or not outcome.in_experiment:
            continue
        running = served.experiments.get(outcome.experiment_key)
        if running is None:
            continue
        is_new = not outcome.sticky_bucket_used
        if is_new:
            new.append(
                NewAssignment(outcome.experiment_key, outcome.variation_key, running.bucket_version)
            )
        found.append(
            CreatorAssignment(
                experiment=outcome.experiment_key,
                flag=result.key,
                variation=outcome.variation_key,
                variation_name=outcome.variation_name,
                bucket_version=running.bucket_version,
                new=is_new,
            )
        )
    with transaction.atomic():
        assignments_record(creator=creator, assignments=new)
    return CreatorFlags(creator=creator, flags=evaluation.results, assignments=found)


# ---------------------------------------------------------------------------------------------
# Metrics catalog


def metric_create(*, key: str, data: MetricInput) -> Metric:
    """A new catalog metric; its key is how experiments name it and never changes."""
    _require_key(key)
    fields = check_metric_input(data)
    now = clock.now()
    with transaction.atomic():
        if Metric.objects.filter(key=key).exists():
            raise Conflict(
                _("A metric with the key “%(key)s” exists already.") % {"key": key},
                errors={"key": _("Choose another key.")},
            )
        return Metric.objects.create(key=key, created_at=now, updated_at=now, **fields)


def metric_update(*, metric: Metric, data: MetricInput) -> Metric:
    """Change a metric's definition; the next analysis of every experiment using it follows
    (snapshots already taken keep the numbers they were computed with)."""
    fields = check_metric_input(data)
    for name, value in fields.items():
        setattr(metric, name, value)
    metric.updated_at = clock.now()
    metric.save(update_fields=[*fields, "updated_at"])
    return metric


# ---------------------------------------------------------------------------------------------
# Analysis snapshots

Progress = Callable[[str], None]


def analysis_spec(experiment: Experiment) -> ExperimentSpec:
    """What the pipeline needs of an experiment: its variations and catalog metrics."""
    keys = [*experiment.primary_metrics, *experiment.guardrail_metrics]
    if not experiment.primary_metrics:
        raise ValidationFailed(
            _("The experiment “%(key)s” has no primary metric to analyse.")
            % {"key": experiment.key},
            errors={"primary_metrics": _("Choose at least one metric from the catalog.")},
        )
    found = {metric.key: metric for metric in Metric.objects.filter(key__in=keys)}
    missing = [key for key in keys if key not in found]
    if missing:
        raise ValidationFailed(
            _("There is no metric “%(key)s” in the catalog.") % {"key": missing[0]},
            errors={"primary_metrics": _("Use the keys of metrics in the catalog.")},
        )
    weights = list(experiment.weights) or [1.0] * len(experiment.variations)
    return ExperimentSpec(
        key=experiment.key,
        variations=tuple(
            Variation(str(variation["key"]), str(variation.get("name") or variation["key"]), w)
            for variation, w in zip(experiment.variations, weights, strict=True)
        ),
        primary=tuple(
            metric_spec(found[key], guardrail=False) for key in experiment.primary_metrics
        ),
        guardrails=tuple(
            metric_spec(found[key], guardrail=True) for key in experiment.guardrail_metrics
        ),
    )


def analysis_state_dir(key: str, *, events_dir: Path | None = None) -> Path:
    """Where an experiment's analysis keeps what it read, beside the rollups it is computed
    from: the exposures (`exposures.py`) and the window sums (`window_state.py`)."""
    events_dir = events_dir or Path(settings.ACADEMY_EVENTS_DIR)
    return events_dir / "experiments" / key


def analysis_state_erase(key: str, *, events_dir: Path | None = None) -> None:
    """Forget what the experiment's analyses kept (the next one reads everything again): for
    an erased creator, or assignments rewritten outside the product (a simulation run)."""
    window_state.erase(analysis_state_dir(key, events_dir=events_dir))


def experiment_analyze(
    *,
    experiment: Experiment,
    as_of: date | None = None,
    events_dir: Path | None = None,
    progress: Progress | None = None,
) -> ExperimentSnapshot:
    """Analyse the experiment as of the end of day `as_of` (default: yesterday, the last
    complete day) and store it as that day's snapshot, replacing one computed before.

    A problem with the data (too few creators, a metric that cannot be computed) is stored as
    a failed snapshot with its reason; a problem with the request (never started, no primary
    metric) raises before anything is written. The snapshot is written in one transaction at
    the end: an interrupted analysis leaves the previous snapshot of that day as it was.
    """
    today = clock.now().date()
    as_of = as_of or today - timedelta(days=1)
    if experiment.started_at is None:
        raise Conflict(
            _("The experiment “%(key)s” has not started: there is nothing to analyse yet.")
            % {"key": experiment.key}
        )
    if as_of > today:
        raise ValidationFailed(
            _("%(date)s is in the future: analyse a day up to today.") % {"date": as_of},
            errors={"date": _("Give a day up to today.")},
        )
    if as_of < experiment.started_at.astimezone(UTC).date():
        raise ValidationFailed(
            _("The experiment started on %(start)s, after %(date)s.")
            % {"start": experiment.started_at.astimezone(UTC).date(), "date": as_of},
            errors={"date": _("Give a day after the experiment started.")},
        )
    spec = analysis_spec(experiment)
    events_dir = events_dir or Path(settings.ACADEMY_EVENTS_DIR)
    results: ExperimentResults | None = None
    error = ""
    with DuckDBEngine(threads=os.cpu_count() or 1) as engine:
        if progress:
            progress("exposures")
        kept = analysis_state_dir(experiment.key, events_dir=events_dir)
        exposures = experiment_exposures(
            experiment,
            as_of=as_of,
            engine=engine,
            directory=kept / "exposures",
            events_dir=events_dir,
        )
        if progress:
            progress("query")
        aggregates = sufficient_statistics(
            engine,
            spec.metrics,
            exposures=exposures,
            events_dir=events_dir,
            as_of=as_of,
            state_dir=kept / "window-state",
        )
    if progress:
        progress("statistics")
    try:
        results = analyze(spec, aggregates, as_of=as_of, computed_at=clock.now())
    except StatsInputError as problem:
        error = str(problem)
    if results is not None and sum(v.creators for v in results.variations) == 0:
        results, error = None, _("No creator has been exposed to the experiment yet.")
    data = results.to_json() if results is not None else {}
    try:
        json.dumps(data, allow_nan=False)  # PostgreSQL's jsonb has no NaN or infinity
    except ValueError:
        results, data = None, {}
        error = _(
            "The analysis gave a value that is not a finite number, so its results were not stored."
        )
    if progress:
        progress("saving")
    creators = sum(v.creators for v in results.variations) if results else exposures.num_rows
    with transaction.atomic():
        snapshot, _created = ExperimentSnapshot.objects.update_or_create(
            experiment=experiment,
            date=as_of,
            defaults={
                "computed_at": clock.now(),
                "status": SnapshotStatus.OK if results else SnapshotStatus.FAILED,
                "results": data,
                "error": error,
                "creators": creators,
            },
        )
    return snapshot


def analyze_running_experiments(*, as_of: date | None = None) -> list[ExperimentSnapshot]:
    """A snapshot of every running experiment that has primary metrics (the daily refresh)."""
    snapshots = []
    running = Experiment.objects.filter(status=ExperimentStatus.RUNNING).order_by("key")
    for experiment in running:
        if not experiment.primary_metrics:
            continue
        try:
            snapshots.append(experiment_analyze(experiment=experiment, as_of=as_of))
        except AcademyError as problem:
            logger.warning("Experiment %s not analysed: %s", experiment.key, problem.detail)
    return snapshots
