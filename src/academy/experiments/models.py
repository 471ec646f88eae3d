"""Flags and experiments as staff edit them, and what the Academy remembers per creator.

- `Flag`: a feature flag with a typed default value, a kill switch (`enabled`) and its own
  rules (targeting overrides and percentage rollouts, GrowthBook force rules, in order).
- `Experiment`: variations with weights on a flag, coverage, a namespace slice, a holdout, and
  its lifecycle (draft → running → stopped → shipped). A restart bumps `bucket_version`.
- `ScheduledChange`: a change to a flag or an experiment that takes effect at a given time.
- `Assignment`: a creator's variation in an experiment: the sticky store and the exposure record.
- `PayloadVersion`: one row whose token changes with every write, so each process knows when
  its cached payload is stale.

The rules live in `services.py`; the payload GrowthBook SDKs read is built in `selectors.py`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from academy.accounts.models import Creator


class ValueType(models.TextChoices):
    BOOLEAN = "boolean", _("On / off")
    STRING = "string", _("Text")
    NUMBER = "number", _("Number")
    JSON = "json", _("JSON")


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")
    SHIPPED = "shipped", _("Shipped")


class Flag(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    value_type = models.CharField(max_length=8, choices=ValueType.choices)
    default_value = models.JSONField(null=True)
    # The kill switch: a disabled flag serves its default value to everyone, with no rules.
    enabled = models.BooleanField(default=True)
    # GrowthBook force rules (targeting and rollouts) in the order they are tried.
    rules = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Experiment(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    hypothesis = models.TextField(blank=True)
    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="experiments")
    status = models.CharField(
        max_length=8, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    # [{"key": ..., "name": ..., "value": ...}, ...]; values are of the flag's type.
    variations = models.JSONField(default=list)
    weights = models.JSONField(default=list)
    coverage = models.FloatField(default=1.0)
    namespace = models.CharField(max_length=64, blank=True)
    namespace_start = models.FloatField(default=0.0)
    namespace_end = models.FloatField(default=1.0)
    hash_attribute = models.CharField(max_length=64, default="id")
    seed = models.CharField(max_length=128)
    hash_version = models.PositiveSmallIntegerField(default=2)
    bucket_version = models.PositiveIntegerField(default=0)
    condition = models.JSONField(default=dict, blank=True)
    # GrowthBook filters ({"seed", "ranges", "attribute", "hashVersion"}) that keep a holdout out.
    holdout = models.JSONField(default=list, blank=True)
    primary_metrics = models.JSONField(default=list, blank=True)
    guardrail_metrics = models.JSONField(default=list, blank=True)
    shipped_variation = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]
        indexes = [models.Index(fields=["status", "namespace"], name="experiments_status_ns")]

    def __str__(self) -> str:
        return self.key

    @property
    def variation_keys(self) -> list[str]:
        return [str(variation["key"]) for variation in self.variations]


class ScheduledChange(models.Model):
    flag = models.ForeignKey(
        Flag, on_delete=models.CASCADE, null=True, blank=True, related_name="scheduled_changes"
    )
    experiment = models.ForeignKey(
        Experiment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scheduled_changes",
    )
    at = models.DateTimeField()
    # A flag: some of {"enabled", "default_value", "rules"}; an experiment: {"action": "start"}
    # or {"action": "stop"}.
    change = models.JSONField()
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    # Why the change could not be applied when its time came (empty if it was).
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["applied_at", "at"], name="experiments_change_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(flag__isnull=False, experiment__isnull=True)
                | models.Q(flag__isnull=True, experiment__isnull=False),
                name="experiments_change_flag_or_experiment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.flag or self.experiment} at {self.at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="assignments")
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    variation = models.CharField(max_length=64)
    bucket_version = models.PositiveIntegerField()
    assigned_at = models.DateTimeField()
    # The creator's attributes when assigned: results are sliced by what creators were before
    # the treatment could change it (a tier reached thanks to the treatment is not a slice).
    region = models.CharField(max_length=8, blank=True)
    language = models.CharField(max_length=8, blank=True)
    follower_tier = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "experiment"], name="experiments_assign_once"
            )
        ]
        indexes = [
            # The analysis reads an experiment's exposures in the order they happened.
            models.Index(
                fields=["experiment", "bucket_version", "assigned_at"],
                name="experiments_exposure_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} in {self.experiment_id}: {self.variation}"


class PayloadVersion(models.Model):
    """A single row; `token` changes with every write to flags, experiments or schedules."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class MetricKind(models.TextChoices):
    PROPORTION = "proportion", _("Proportion")
    MEAN = "mean", _("Mean per creator")
    RATIO = "ratio", _("Ratio")


class MetricColumn(models.TextChoices):
    """What a metric counts per creator and day: a rollup count, or the day itself."""

    IMPRESSIONS = "impressions", _("Card impressions")
    CLICKS = "clicks", _("Card clicks")
    LESSON_STARTS = "lesson_starts", _("Lessons started")
    LESSON_COMPLETES = "lesson_completes", _("Lessons completed")
    QUIZ_SUBMITS = "quiz_submits", _("Quizzes submitted")
    ENROLLS = "enrolls", _("Enrollments")
    NOT_INTERESTED = "not_interested", _("“Not interested” taps")
    EVENTS = "events", _("Events of any kind")
    ACTIVE_DAYS = "active_days", _("Active days")


class Capping(models.TextChoices):
    NONE = "none", _("No capping")
    ABSOLUTE = "absolute", _("At a value")
    PERCENTILE = "percentile", _("At a percentile")


class Metric(models.Model):
    """A metric experiments are judged on, defined on the daily rollups (see EXPERIMENTS.md).

    Per creator, the numerator (and for a ratio the denominator) is summed over the window of
    `window_days` days starting `delay_days` after the day of first exposure. A proportion is the
    share of creators whose numerator is at least 1; a mean the average numerator; a ratio
    Σ numerator / Σ denominator. Entry point and item kind filters read `creator_item_daily`.
    """

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=MetricKind.choices)
    numerator = models.CharField(max_length=20, choices=MetricColumn.choices)
    numerator_entry_point = models.CharField(max_length=64, blank=True)
    numerator_item_kind = models.CharField(max_length=32, blank=True)
    denominator = models.CharField(max_length=20, choices=MetricColumn.choices, blank=True)
    denominator_entry_point = models.CharField(max_length=64, blank=True)
    denominator_item_kind = models.CharField(max_length=32, blank=True)
    window_days = models.PositiveSmallIntegerField(default=7)
    delay_days = models.PositiveSmallIntegerField(default=0)
    capping = models.CharField(max_length=10, choices=Capping.choices, default=Capping.NONE)
    # The cap (absolute) or the percentile in (0, 1) (percentile); unused without capping.
    cap_value = models.FloatField(null=True, blank=True)
    lower_is_better = models.BooleanField(default=False)
    guardrail = models.BooleanField(default=False)
    # Relative margin a guardrail may worsen by and still count as non-inferior.
    guardrail_margin = models.FloatField(default=0.02)
    # Relative effect the metric is planned to detect (power, days remaining).
    target_effect = models.FloatField(default=0.05)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class SnapshotStatus(models.TextChoices):
    OK = "ok", _("Computed")
    FAILED = "failed", _("Failed")


class ExperimentSnapshot(models.Model):
    """An experiment's analysis as of one day; re-running the same day replaces it."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField()
    computed_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=SnapshotStatus.choices)
    # ExperimentResults.to_json() when ok; empty when failed.
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Exposed creators included (shown in lists without reading the results).
    creators = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "date"], name="experiments_snapshot_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id} as of {self.date}"
