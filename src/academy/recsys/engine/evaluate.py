"""One offline evaluation: split, tune every model on a validation split of the training data,
fit on all of it, score the test users, and report the metrics of our model and the baselines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.table import Table

from academy.recsys.engine.data import Interactions
from academy.recsys.engine.errors import CatalogueTooLarge
from academy.recsys.engine.metrics import TopKMetrics
from academy.recsys.engine.models import Recommender
from academy.recsys.engine.models.hybrid import Hybrid
from academy.recsys.engine.split import MIN_INTERACTIONS, TEST_FRACTION, Split, temporal_split
from academy.recsys.engine.tuning import (
    BASELINE_GRIDS,
    HYBRID_GRIDS,
    GridSize,
    Interrupted,
    Trial,
    measure,
    tune_baseline,
    tune_hybrid,
    validation_split,
)

BASELINES = ("popularity", "item_knn", "als", "ease")
# The hybrid draws its candidates from these baselines (those that could be trained).
CANDIDATE_SOURCES = ("ease", "als", "item_knn")
OURS = "hybrid"


@dataclass(frozen=True)
class ModelReport:
    """One model's tuned hyperparameters, its grid and its test metrics (one per K)."""

    name: str
    params: dict[str, Any]
    trials: list[Trial]
    metrics: list[TopKMetrics]
    fit_seconds: float
    skipped: str | None = None

    def at(self, k: int) -> TopKMetrics | None:
        return next((metric for metric in self.metrics if metric.k == k), None)


@dataclass(frozen=True)
class EvaluationReport:
    dataset: str
    interactions: int
    users: int
    items: int
    train_interactions: int
    test_interactions: int
    ks: list[int]
    seed: int
    grid: str
    models: list[ModelReport]
    protocol: dict[str, Any] = field(
        default_factory=lambda: {
            "min_interactions": MIN_INTERACTIONS,
            "test_fraction": TEST_FRACTION,
            "split": "per user, most recent interactions last (ties by item id)",
            "relevance": "binary",
            "tuning": "NDCG at the first K on a validation split carved from training",
        }
    )

    def model(self, name: str) -> ModelReport:
        return next(model for model in self.models if model.name == name)

    def best_baseline(self, k: int) -> ModelReport:
        """The baseline with the highest test NDCG@k."""
        return max(
            (m for m in self.models if m.name != OURS and m.at(k) is not None),
            key=lambda m: m.at(k).ndcg,  # type: ignore[union-attr]
        )

    def as_json(self) -> dict[str, Any]:
        """Everything, rounded to 4 decimals, metrics keyed as ``ndcg@10``."""
        return {
            "dataset": self.dataset,
            "interactions": self.interactions,
            "users": self.users,
            "items": self.items,
            "train_interactions": self.train_interactions,
            "test_interactions": self.test_interactions,
            "protocol": self.protocol,
            "ks": self.ks,
            "seed": self.seed,
            "grid": self.grid,
            "models": {
                model.name: {
                    "ours": model.name == OURS,
                    "skipped": model.skipped,
                    "params": model.params,
                    "grid": [
                        {
                            **trial.params,
                            "validation_ndcg": None
                            if trial.validation_ndcg is None
                            else round(trial.validation_ndcg, 4),
                        }
                        for trial in model.trials
                    ],
                    "fit_seconds": round(model.fit_seconds, 2),
                    "metrics": {
                        f"{name}@{metric.k}": round(value, 4)
                        for metric in model.metrics
                        for name, value in asdict(metric).items()
                        if name not in ("k", "users")
                    },
                }
                for model in self.models
            },
        }


def evaluate(
    interactions: Interactions,
    *,
    dataset: str,
    ks: Sequence[int] = (10, 20),
    seed: int = 0,
    grid: GridSize = "full",
    progress: Callable[[str, int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> EvaluationReport:
    """Split ``interactions`` by the protocol, tune and fit every model, and measure them on
    the test users. ``progress(step, done, total)`` is called before each step; setting
    ``stop`` ends the run between steps with :class:`Interrupted`."""
    ks = sorted(set(ks))
    if not ks or ks[0] < 1:
        raise ValueError("K must be at least 1")
    split = temporal_split(interactions)
    validation = validation_split(split.train)
    grids = BASELINE_GRIDS[grid]
    total = sum(len(points) + 1 for points in grids.values()) + len(HYBRID_GRIDS[grid]) + 3
    done = 0

    def step(description: str) -> None:
        nonlocal done
        if stop is not None and stop.is_set():
            raise Interrupted("stopped on request")
        if progress:
            progress(description, done, total)
        done += 1

    reports: list[ModelReport] = []
    fitted: dict[str, Recommender] = {}
    for name in BASELINES:
        try:
            tuned = tune_baseline(
                name, validation, grid=grids[name], k=ks[0], seed=seed, progress=step, stop=stop
            )
        except CatalogueTooLarge as error:
            reports.append(ModelReport(name, {}, [], [], 0.0, skipped=str(error)))
            done += len(grids[name]) + 1
            continue
        step(f"fitting {name} on all training data")
        model, seconds = _fit(tuned.model, split)
        fitted[name] = model
        reports.append(
            ModelReport(
                name, model.params(), list(tuned.trials), measure(model, split, ks), seconds
            )
        )
    sources = [fitted[name].clone() for name in CANDIDATE_SOURCES if name in fitted]
    tuned_hybrid = tune_hybrid(
        sources,
        split.train,
        grid=HYBRID_GRIDS[grid],
        k=ks[0],
        seed=seed,
        progress=step,
        stop=stop,
    )
    step("fitting hybrid on all training data")
    started = time.perf_counter()
    hybrid: Hybrid = tuned_hybrid.model.fit_queries(split.train, tuned_hybrid.queries)
    seconds = time.perf_counter() - started
    step("scoring the test users")
    reports.insert(
        0,
        ModelReport(
            OURS, hybrid.params(), list(tuned_hybrid.trials), measure(hybrid, split, ks), seconds
        ),
    )
    return EvaluationReport(
        dataset=dataset,
        interactions=len(interactions),
        users=len(split.users),
        items=split.catalogue_size,
        train_interactions=len(split.train),
        test_interactions=len(split.test),
        ks=list(ks),
        seed=seed,
        grid=grid,
        models=reports,
    )


def _fit(model: Recommender, split: Split) -> tuple[Recommender, float]:
    started = time.perf_counter()
    model.fit(split.train)
    return model, time.perf_counter() - started


def report_table(report: EvaluationReport) -> Table:
    """The report as a rich table: one row per model, Recall/NDCG/HitRate/Coverage per K."""
    table = Table(
        title=(
            f"{report.dataset}: {report.users:,} users, {report.items:,} items, "
            f"{report.train_interactions:,} train / {report.test_interactions:,} test"
        )
    )
    table.add_column("model")
    for k in report.ks:
        for metric in ("Recall", "NDCG", "HitRate", "Coverage"):
            table.add_column(f"{metric}@{k}", justify="right")
    table.add_column("tuned hyperparameters")
    for model in report.models:
        label = f"{model.name} (ours)" if model.name == OURS else model.name
        if model.skipped:
            table.add_row(label, *["—"] * (4 * len(report.ks)), f"skipped: {model.skipped}")
            continue
        cells = [
            f"{value:.4f}"
            for metric in model.metrics
            for value in (metric.recall, metric.ndcg, metric.hit_rate, metric.coverage)
        ]
        hyper = ", ".join(f"{key}={value}" for key, value in model.params.items())
        table.add_row(label, *cells, hyper)
    return table
