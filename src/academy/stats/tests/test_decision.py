"""The ship / roll back / keep running rule on real engine results."""

from __future__ import annotations

import pytest

from academy.stats import (
    ArmEstimate,
    Guardrail,
    PrimaryMetric,
    Reason,
    ReasonCode,
    StatsInputError,
    bayesian_test,
    decide,
    holm_bonferroni,
    non_inferiority_test,
    srm_check,
    welch_test,
)

N = 40_000
CONTROL = ArmEstimate(n=N, mean=10.0, variance=25.0)
BETTER = ArmEstimate(n=N, mean=10.3, variance=25.0)  # +3 %, p ≈ 1e-17
FLAT = ArmEstimate(n=N, mean=10.02, variance=25.0)
WORSE = ArmEstimate(n=N, mean=9.7, variance=25.0)

LATENCY = ArmEstimate(n=N, mean=1.00, variance=0.04)
LATENCY_SAME = ArmEstimate(n=N, mean=1.00, variance=0.04)
LATENCY_SLOWER = ArmEstimate(n=N, mean=1.10, variance=0.04)


def guardrail(treatment: ArmEstimate) -> Guardrail:
    return Guardrail(
        "latency",
        non_inferiority_test(LATENCY, treatment, margin=0.02, lower_is_better=True),
    )


BALANCED = srm_check([N, N], [1, 1])


def test_a_clear_winner_with_healthy_guardrails_ships() -> None:
    decision = decide(
        primary=[PrimaryMetric("watch_time", welch_test(CONTROL, BETTER))],
        guardrails=[guardrail(LATENCY_SAME)],
        srm=BALANCED,
    )
    assert decision.action == "ship"
    assert decision.reasons == (
        Reason(ReasonCode.PRIMARY_BETTER, "watch_time"),
        Reason(ReasonCode.GUARDRAILS_HOLD),
    )


def test_a_harmed_guardrail_rolls_back_even_a_winner() -> None:
    decision = decide(
        primary=[PrimaryMetric("watch_time", welch_test(CONTROL, BETTER))],
        guardrails=[guardrail(LATENCY_SLOWER)],
        srm=BALANCED,
    )
    assert decision.action == "roll_back"
    assert decision.reasons == (Reason(ReasonCode.GUARDRAIL_HARMED, "latency"),)


def test_a_worse_primary_rolls_back_and_direction_counts() -> None:
    worse = decide(primary=[PrimaryMetric("watch_time", welch_test(CONTROL, WORSE))])
    assert worse.action == "roll_back"
    assert worse.reasons == (Reason(ReasonCode.PRIMARY_WORSE, "watch_time"),)
    # The same drop in a metric where lower is better (e.g. time to first lesson) is a win.
    faster = decide(
        primary=[PrimaryMetric("time_to_lesson", welch_test(CONTROL, WORSE), lower_is_better=True)]
    )
    assert faster.action == "ship"


def test_no_signal_keeps_running_with_every_blocking_reason() -> None:
    decision = decide(
        primary=[PrimaryMetric("watch_time", welch_test(CONTROL, FLAT))],
        guardrails=[
            Guardrail(
                "latency",
                non_inferiority_test(
                    ArmEstimate(n=200, mean=1.0, variance=0.04),
                    ArmEstimate(n=200, mean=1.0, variance=0.04),
                    margin=0.02,
                    lower_is_better=True,
                ),
            )
        ],
    )
    assert decision.action == "keep_running"
    assert decision.reasons == (
        Reason(ReasonCode.PRIMARY_INCONCLUSIVE, "watch_time"),
        Reason(ReasonCode.GUARDRAIL_INCONCLUSIVE, "latency"),
    )


def test_a_sample_ratio_mismatch_blocks_any_verdict() -> None:
    decision = decide(
        primary=[PrimaryMetric("watch_time", welch_test(CONTROL, BETTER))],
        srm=srm_check([N, int(N * 0.97)], [1, 1]),
    )
    assert decision.action == "keep_running"
    assert decision.reasons == (Reason(ReasonCode.SAMPLE_RATIO_MISMATCH),)


def test_adjusted_p_values_can_turn_a_win_into_keep_running() -> None:
    modest = ArmEstimate(n=N, mean=10.08, variance=25.0)
    result = welch_test(CONTROL, modest)
    assert 0.01 < result.p_value < 0.05
    adjusted = holm_bonferroni([result.p_value, 0.5, 0.6, 0.7, 0.8])[0]
    assert decide(primary=[PrimaryMetric("m", result)]).action == "ship"
    decision = decide(primary=[PrimaryMetric("m", result, adjusted_p_value=adjusted)])
    assert decision.action == "keep_running"


def test_bayesian_primaries_use_chance_to_win_and_risk() -> None:
    result = bayesian_test(CONTROL, BETTER)
    assert decide(primary=[PrimaryMetric("m", result)]).action == "ship"
    too_risky = decide(primary=[PrimaryMetric("m", result)], max_risk=result.risk_treatment / 2)
    assert too_risky.action == "keep_running"
    loser = decide(primary=[PrimaryMetric("m", bayesian_test(CONTROL, WORSE))])
    assert loser.action == "roll_back"
    with pytest.raises(StatsInputError, match="lower_is_better differs"):
        decide(primary=[PrimaryMetric("m", result, lower_is_better=True)])


def test_a_decision_needs_a_primary_metric() -> None:
    with pytest.raises(StatsInputError, match="at least one primary metric"):
        decide(primary=[])
