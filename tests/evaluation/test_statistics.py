"""Programme statistics checked on the same data by a second path: the formulae written out
with NumPy here, SciPy's tests and distributions, and a DerSimonian-Laird pooling computed
by hand; plus seed 003's published figure (MD 0.40, 95% CI -0.02 to 0.81) and the edges."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pytest
from scipy import special, stats

from peerbridge.evaluation.statistics import (
    SINGLE_GROUP_CAUTION,
    PooledEstimate,
    PoolingNotPossible,
    attrition,
    effect_magnitude,
    evidence_strength,
    evidence_wording,
    from_ci,
    hedges_g_prepost,
    hedges_g_two_groups,
    pool_random_effects,
)

# A programme's PHQ-9 totals at baseline and 12 weeks (the same 12 people, in order).
BEFORE = [14, 18, 11, 20, 16, 9, 22, 15, 13, 17, 19, 12]
AFTER = [10, 15, 11, 14, 13, 8, 17, 9, 12, 15, 13, 10]

# Two sites' exit scores, for the two-group form.
SITE_A = [21, 25, 19, 30, 27, 22, 24, 28, 26]
SITE_B = [18, 20, 23, 17, 22, 19, 21, 16, 24, 20, 18]

# Per-site standardised changes and their variances, heterogeneous on purpose.
SITE_EFFECTS = [0.10, 0.35, 0.62, 0.28, 0.90]
SITE_VARIANCES = [0.020, 0.035, 0.050, 0.015, 0.080]
SITE_LABELS = ["North", "South", "East", "West", "Harbour"]


def exact_j(df: float) -> float:
    """Hedges' exact correction, Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))."""
    return math.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / math.sqrt(df / 2)


# --- Single-group pre/post ------------------------------------------------------------


def test_prepost_g_av_matches_the_borenstein_formula_written_out() -> None:
    before, after = np.array(BEFORE, dtype=float), np.array(AFTER, dtype=float)
    n = len(before)
    r = stats.pearsonr(before, after).statistic
    s_av = math.sqrt((stats.tvar(before) + stats.tvar(after)) / 2)
    d = (after.mean() - before.mean()) / s_av
    j = 1 - 3 / (4 * (n - 1) - 1)
    se = j * math.sqrt((1 / n + d**2 / (2 * n)) * 2 * (1 - r))
    low, high = stats.norm.interval(0.95, loc=j * d, scale=se)

    result = hedges_g_prepost(BEFORE, AFTER)

    assert result.n == n
    assert result.mean_difference == pytest.approx(after.mean() - before.mean())
    assert result.standardiser == pytest.approx(s_av)
    assert result.pre_post_correlation == pytest.approx(r)
    assert result.cohens_d == pytest.approx(d)
    assert result.correction_j == pytest.approx(j)
    assert result.hedges_g == pytest.approx(j * d)
    assert result.standard_error == pytest.approx(se)
    assert (result.ci_lower, result.ci_upper) == pytest.approx((low, high))
    # The approximate J stays within 0.002 of the exact gamma-function correction.
    assert result.correction_j == pytest.approx(exact_j(n - 1), abs=0.002)


def test_prepost_p_value_is_the_paired_t_test() -> None:
    change = np.array(AFTER, dtype=float) - np.array(BEFORE, dtype=float)
    n = len(change)
    t = change.mean() / (change.std(ddof=1) / math.sqrt(n))
    expected = 2 * stats.t.sf(abs(t), df=n - 1)

    assert hedges_g_prepost(BEFORE, AFTER).p_value == pytest.approx(expected)


def test_prepost_uses_the_average_sd_not_the_sd_of_the_change() -> None:
    # With before and after highly correlated, d_z = M_diff / SD_diff is much larger than
    # d_av; reporting d_z would inflate the effect against between-group studies.
    change = np.array(AFTER, dtype=float) - np.array(BEFORE, dtype=float)
    d_z = change.mean() / change.std(ddof=1)

    result = hedges_g_prepost(BEFORE, AFTER)

    assert abs(result.cohens_d) < abs(d_z)
    assert result.cohens_d * result.standardiser == pytest.approx(change.mean())


def test_prepost_is_labelled_as_not_showing_cause() -> None:
    result = hedges_g_prepost(BEFORE, AFTER)
    wording = evidence_wording(result)

    assert result.single_group is True
    assert result.causal_caution == (
        "before and after in one group: does not show that the programme caused the change"
    )
    assert wording.causal_caution == SINGLE_GROUP_CAUTION
    assert wording.text.endswith(
        "Before and after in one group: does not show that the programme caused the change."
    )


def test_prepost_confidence_level_changes_only_the_interval() -> None:
    at_95 = hedges_g_prepost(BEFORE, AFTER)
    at_90 = hedges_g_prepost(BEFORE, AFTER, level=0.90)
    z_90 = stats.norm.ppf(0.95)

    assert at_90.hedges_g == at_95.hedges_g
    assert at_90.ci_upper - at_90.ci_lower == pytest.approx(2 * z_90 * at_95.standard_error)


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ([], [], "at least 3"),
        ([10.0], [8.0], "at least 3"),
        ([10.0, 12.0], [8.0, 11.0], "at least 3"),
        ([10.0, 12.0, 9.0], [8.0, 11.0, 7.0, 9.0], "pair the same people"),
        ([10.0, math.nan, 9.0], [8.0, 11.0, 7.0], "missing"),
        ([10.0, 12.0, 9.0], [8.0, 11.0, math.nan], "missing"),
        ([10.0, 12.0, math.inf], [8.0, 11.0, 7.0], "infinite"),
        ([10.0, 10.0, 10.0], [8.0, 11.0, 7.0], "zero variance"),
        ([10.0, 12.0, 9.0], [8.0, 8.0, 8.0], "zero variance"),
        ([10.0, 12.0, 9.0], [8.0, 10.0, 7.0], "same amount"),
    ],
)
def test_prepost_rejects_data_it_cannot_standardise(
    before: list[float], after: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        hedges_g_prepost(before, after)


# --- Two independent groups -----------------------------------------------------------


def test_two_groups_matches_the_pooled_sd_formula_written_out() -> None:
    a, b = np.array(SITE_A, dtype=float), np.array(SITE_B, dtype=float)
    n_a, n_b = len(a), len(b)
    big_n = n_a + n_b
    pooled_sd = math.sqrt(((n_a - 1) * a.var(ddof=1) + (n_b - 1) * b.var(ddof=1)) / (big_n - 2))
    d = (a.mean() - b.mean()) / pooled_sd
    g = (1 - 3 / (4 * (big_n - 2) - 1)) * d
    se = math.sqrt(big_n / (n_a * n_b) + g**2 / (2 * (big_n - 3.94)))

    result = hedges_g_two_groups(SITE_A, SITE_B)

    assert result.design == "two independent groups"
    assert result.n == big_n
    assert result.standardiser == pytest.approx(pooled_sd)
    assert result.cohens_d == pytest.approx(d)
    assert result.hedges_g == pytest.approx(g)
    assert result.hedges_g == pytest.approx(result.correction_j * result.cohens_d)
    assert result.hedges_g == pytest.approx(exact_j(big_n - 2) * d, abs=0.002)
    assert result.standard_error == pytest.approx(se)
    assert (result.ci_lower, result.ci_upper) == pytest.approx(
        stats.norm.interval(0.95, loc=g, scale=se)
    )
    assert result.single_group is False
    assert result.causal_caution is None


def test_two_groups_p_value_is_students_t_test() -> None:
    a, b = np.array(SITE_A, dtype=float), np.array(SITE_B, dtype=float)
    df = len(a) + len(b) - 2
    pooled_var = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / df
    t = (a.mean() - b.mean()) / math.sqrt(pooled_var * (1 / len(a) + 1 / len(b)))

    result = hedges_g_two_groups(SITE_A, SITE_B)

    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(t), df))


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([5.0], [4.0, 6.0], "at least 2"),
        ([5.0, 6.0], [], "at least 2"),
        ([5.0, math.nan], [4.0, 6.0], "missing"),
        ([5.0, 5.0], [4.0, 4.0, 4.0], "zero variance"),
    ],
)
def test_two_groups_rejects_data_it_cannot_standardise(
    a: list[float], b: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        hedges_g_two_groups(a, b)


# --- Figures from a published confidence interval --------------------------------------


def test_seed_003_asthma_quality_of_life_figure() -> None:
    # Thompson et al. 2022 (seed 003, D4): random-effects MD 0.40, 95% CI -0.02 to 0.81,
    # "imprecise and showed no differences".
    result = from_ci(0.40, -0.02, 0.81)

    assert round(result.standard_error, 2) == 0.21
    assert round(result.p_value, 2) == 0.06
    assert result.standard_error == pytest.approx((0.81 - -0.02) / (2 * stats.norm.ppf(0.975)))
    assert result.z == pytest.approx(0.40 / result.standard_error)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(result.z))
    assert result.standard_error == pytest.approx(0.212, abs=0.001)
    assert result.p_value == pytest.approx(0.059, abs=0.001)


def test_seed_003_figure_is_worded_as_weak_evidence_including_no_effect() -> None:
    wording = evidence_wording(from_ci(0.40, -0.02, 0.81), standardised=False)

    assert wording.strength == "weak evidence"
    assert wording.magnitude is None  # a mean difference in the scale's units
    assert wording.interval_includes_no_effect is True
    assert wording.text == (
        "Weak evidence for an effect; the 95% confidence interval includes no effect."
    )


def test_from_ci_at_another_level() -> None:
    result = from_ci(1.2, 0.5, 1.9, level=0.90)

    assert result.standard_error == pytest.approx(1.4 / (2 * stats.norm.ppf(0.95)))


@pytest.mark.parametrize(
    ("estimate", "lower", "upper", "level", "message"),
    [
        (0.4, 0.81, -0.02, 0.95, "below its upper"),
        (0.4, 0.5, 0.5, 0.95, "below its upper"),
        (0.9, -0.02, 0.81, 0.95, "outside"),
        (math.nan, -0.02, 0.81, 0.95, "finite"),
        (0.4, -0.02, 0.81, 1.5, "between 0 and 1"),
    ],
)
def test_from_ci_rejects_impossible_intervals(
    estimate: float, lower: float, upper: float, level: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        from_ci(estimate, lower, upper, level=level)


# --- Random-effects pooling -----------------------------------------------------------


def dersimonian_laird(effects: list[float], variances: list[float]) -> dict[str, Any]:
    """The DerSimonian & Laird (1986) estimator written out with NumPy."""
    y, v = np.array(effects), np.array(variances)
    w = 1 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed) ** 2))
    df = len(y) - 1
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - df) / c)
    w_star = 1 / (v + tau2)
    estimate = float(np.sum(w_star * y) / np.sum(w_star))
    return {
        "estimate": estimate,
        "se": float(math.sqrt(1 / np.sum(w_star))),
        "tau2": tau2,
        "q": q,
        "i2": max(0.0, (q - df) / q) * 100,
        "weights": w_star / np.sum(w_star) * 100,
    }


def test_pooling_matches_dersimonian_laird_written_out() -> None:
    expected = dersimonian_laird(SITE_EFFECTS, SITE_VARIANCES)

    result = pool_random_effects(SITE_EFFECTS, SITE_VARIANCES, SITE_LABELS)

    assert isinstance(result, PooledEstimate)
    assert result.pooled is True
    assert result.k == 5
    assert result.labels == tuple(SITE_LABELS)
    assert result.tau2 > 0  # heterogeneous on purpose
    assert result.estimate == pytest.approx(expected["estimate"])
    assert result.standard_error == pytest.approx(expected["se"])
    assert result.tau2 == pytest.approx(expected["tau2"])
    assert result.q == pytest.approx(expected["q"])
    assert result.q_df == 4
    assert result.q_p_value == pytest.approx(stats.chi2.sf(expected["q"], 4))
    assert result.i2_percent == pytest.approx(expected["i2"])
    assert result.weights_percent == pytest.approx(list(expected["weights"]))
    assert (result.ci_lower, result.ci_upper) == pytest.approx(
        stats.norm.interval(0.95, loc=expected["estimate"], scale=expected["se"])
    )
    assert result.p_value == pytest.approx(2 * stats.norm.sf(expected["estimate"] / expected["se"]))
    assert result.substantial_heterogeneity is (expected["i2"] > 50)


def test_pooling_truncates_a_negative_tau2_at_zero_without_warnings() -> None:
    # Nearly identical sites: Q < df, so DL's (Q - df) / C is negative. statsmodels leaves
    # it negative; the estimator is max(0, .), which makes the result the fixed-effect one.
    effects, variances = [0.30, 0.31, 0.30], [0.04, 0.05, 0.04]
    expected = dersimonian_laird(effects, variances)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = pool_random_effects(effects, variances, ["a", "b", "c"])

    assert isinstance(result, PooledEstimate)
    assert result.tau2 == 0.0
    assert result.i2_percent == 0.0
    assert result.estimate == pytest.approx(expected["estimate"])
    assert result.standard_error == pytest.approx(expected["se"])
    assert result.substantial_heterogeneity is False


@pytest.mark.parametrize(("k", "minimum_k"), [(0, 2), (1, 2), (2, 3)])
def test_too_few_sites_return_a_result_saying_pooling_is_not_possible(
    k: int, minimum_k: int
) -> None:
    result = pool_random_effects(
        SITE_EFFECTS[:k], SITE_VARIANCES[:k], SITE_LABELS[:k], minimum_k=minimum_k
    )

    assert isinstance(result, PoolingNotPossible)
    assert result.pooled is False
    assert result.k == k
    assert result.reason == f"pooling needs at least {minimum_k} sites; {k} given"


@pytest.mark.parametrize(
    ("effects", "variances", "labels", "message"),
    [
        ([0.1, 0.2], [0.02], ["a", "b"], "one entry per site"),
        ([0.1, math.nan], [0.02, 0.03], ["a", "b"], "missing"),
        ([0.1, 0.2], [0.02, 0.0], ["a", "b"], "positive"),
        ([0.1, 0.2], [0.02, 0.03], ["a", "a"], "distinct"),
    ],
)
def test_pooling_rejects_malformed_input(
    effects: list[float], variances: list[float], labels: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pool_random_effects(effects, variances, labels)


# --- Attrition ------------------------------------------------------------------------


def test_attrition_counts_and_flags_steps_losing_more_than_20_percent() -> None:
    flow = attrition(
        [
            ("referred", 200),
            ("enrolled", 160),  # 20.0% lost: at the threshold, not above it
            ("baseline", 150),
            ("12 weeks", 105),  # 30% lost
            ("6-month follow-up", 84),  # 20.0% lost
        ]
    )

    assert [(s.stage, s.count) for s in flow.stages] == [
        ("referred", 200),
        ("enrolled", 160),
        ("baseline", 150),
        ("12 weeks", 105),
        ("6-month follow-up", 84),
    ]
    assert flow.stages[-1].percent_of_first == pytest.approx(42.0)
    assert [s.lost for s in flow.steps] == [40, 10, 45, 21]
    assert [s.percent_lost for s in flow.steps] == pytest.approx([20.0, 6.25, 30.0, 20.0])
    assert [s.flagged for s in flow.steps] == [False, False, True, False]
    assert [(s.from_stage, s.to_stage) for s in flow.flagged_steps] == [("baseline", "12 weeks")]


@pytest.mark.parametrize(
    ("start", "end", "flagged"), [(5, 4, False), (5, 3, True), (1000, 799, True), (7, 6, False)]
)
def test_attrition_flag_boundary(start: int, end: int, flagged: bool) -> None:
    (step,) = attrition([("baseline", start), ("exit", end)]).steps

    assert step.flagged is flagged


def test_attrition_from_an_empty_stage_has_no_percentage() -> None:
    flow = attrition([("referred", 0), ("enrolled", 0)])

    assert flow.stages[0].percent_of_first is None
    assert flow.steps[0].percent_lost is None
    assert flow.steps[0].flagged is False


def test_attrition_reports_a_later_stage_holding_more_people_as_a_gain() -> None:
    # Some who missed the 4-week questionnaire completed the 12-week one.
    (step,) = attrition([("4 weeks", 40), ("12 weeks", 44)]).steps

    assert step.lost == -4
    assert step.percent_lost == pytest.approx(-10.0)
    assert step.flagged is False


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([], "at least one stage"),
        ([("referred", 10), ("referred", 8)], "distinct"),
        ([("", 10)], "non-empty"),
        ([("referred", -1)], "whole number"),
        ([("referred", 10.5)], "whole number"),
        ([("referred", True)], "whole number"),
    ],
)
def test_attrition_rejects_malformed_stages(stages: list[tuple[str, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        attrition(stages)


# --- Evidence wording -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("p_value", "strength"),
    [
        (0.5, "no evidence"),
        (0.1, "no evidence"),
        (0.0999, "weak evidence"),
        (0.01, "weak evidence"),
        (0.00999, "strong evidence"),
        (0.001, "strong evidence"),
        (0.000999, "very strong evidence"),
    ],
)
def test_evidence_strength_bands_of_lyons_2021(p_value: float, strength: str) -> None:
    assert evidence_strength(p_value) == strength


@pytest.mark.parametrize(
    ("effect", "magnitude"),
    [
        (0.0, "negligible"),
        (0.199, "negligible"),
        (0.2, "small"),
        (-0.49, "small"),
        (0.5, "medium"),
        (-0.79, "medium"),
        (0.8, "large"),
        (-1.4, "large"),
    ],
)
def test_effect_magnitude_uses_cohens_bands(effect: float, magnitude: str) -> None:
    assert effect_magnitude(effect) == magnitude


def test_wording_for_a_pooled_standardised_effect() -> None:
    pooled = pool_random_effects(SITE_EFFECTS, SITE_VARIANCES, SITE_LABELS)
    assert isinstance(pooled, PooledEstimate)

    wording = evidence_wording(pooled, standardised=True)

    assert wording.strength == evidence_strength(pooled.p_value)
    assert wording.magnitude == effect_magnitude(pooled.estimate)
    assert wording.text == f"{wording.strength.capitalize()} for a {wording.magnitude} effect."
    assert wording.causal_caution is None


def test_wording_without_evidence_names_no_effect_size() -> None:
    wording = evidence_wording(from_ci(0.05, -0.30, 0.40), standardised=True)

    assert wording.strength == "no evidence"
    assert wording.text == (
        "No evidence of an effect; the 95% confidence interval includes no effect."
    )


def test_wording_needs_to_know_whether_a_pooled_estimate_is_standardised() -> None:
    with pytest.raises(ValueError, match="standardised"):
        evidence_wording(from_ci(0.40, -0.02, 0.81))


@pytest.mark.parametrize("p_value", [-0.1, 1.5, math.nan])
def test_evidence_strength_rejects_impossible_p_values(p_value: float) -> None:
    with pytest.raises(ValueError, match="p"):
        evidence_strength(p_value)


# --- Result shape ---------------------------------------------------------------------


def test_results_are_frozen_and_hold_plain_python_numbers() -> None:
    pooled = pool_random_effects(SITE_EFFECTS, SITE_VARIANCES, SITE_LABELS)
    results: list[Any] = [
        hedges_g_prepost(BEFORE, AFTER),
        hedges_g_two_groups(SITE_A, SITE_B),
        from_ci(0.40, -0.02, 0.81),
        pooled,
        attrition([("referred", 10), ("enrolled", 7)]).steps[0],
    ]
    for result in results:
        for field in dataclasses.fields(result):
            value = getattr(result, field.name)
            assert type(value) in {float, int, str, bool, tuple, type(None)}, field.name
            if isinstance(value, tuple):
                assert all(type(item) in {float, str} for item in value), field.name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, dataclasses.fields(result)[0].name, None)
