"""Flags and experiments made through the services the console uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from academy.accounts.models import Creator
from academy.accounts.services import creator_upsert
from academy.experiments.models import Experiment, Flag
from academy.experiments.services import (
    ExperimentInput,
    VariationInput,
    experiment_create,
    flag_create,
)


def make_flag(key: str = "card-design", **overrides: Any) -> Flag:
    fields: dict[str, Any] = {"value_type": "string", "default_value": "classic"}
    fields.update(overrides)
    return flag_create(key=key, **fields)


def experiment_input(
    values: Sequence[Any] = ("classic", "bold"),
    weights: Sequence[float] | None = None,
    **overrides: Any,
) -> ExperimentInput:
    keys = ["control", *(f"treatment-{index}" for index in range(1, len(values)))]
    fields: dict[str, Any] = {
        "name": "Card design",
        "hypothesis": "Bolder cards get more clicks.",
        "variations": [
            VariationInput(key=key, name=key.title(), value=value)
            for key, value in zip(keys, values, strict=True)
        ],
        "weights": weights if weights is not None else [1 / len(values)] * len(values),
    }
    fields.update(overrides)
    return ExperimentInput(**fields)


def make_experiment(
    key: str = "card-2026", *, flag: Flag | None = None, **overrides: Any
) -> Experiment:
    return experiment_create(key=key, flag=flag or make_flag(), data=experiment_input(**overrides))


def make_creators(count: int, *, prefix: str = "c", region: str = "US") -> list[Creator]:
    return [
        creator_upsert(external_id=f"{prefix}{index}", region=region)[0] for index in range(count)
    ]
