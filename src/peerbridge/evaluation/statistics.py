"""Programme statistics: standardised change, figures read from published confidence
intervals, random-effects pooling across sites, attrition through the flow, and the
plain-language evidence wording of the umbrella review (seed 003).

Pure: sequences of numbers in, frozen dataclasses of plain floats out; no Django. The
arithmetic that NumPy, SciPy and statsmodels already do is theirs (DESIGN.md); what is
written here is the choice of formula, the checks on the input, and the wording.

Inputs must be complete: a NaN (a missing follow-up, say) raises ValueError rather than
being dropped silently, because who is missing changes what an effect means. Callers pass
complete pairs and show follow-up completion (`attrition`) next to every effect size
(domain file A.3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects, effectsize_smd

Design = Literal["single-group pre/post", "two independent groups"]
EvidenceStrength = Literal[
    "no evidence", "weak evidence", "strong evidence", "very strong evidence"
]
Magnitude = Literal["negligible", "small", "medium", "large"]

DEFAULT_LEVEL = 0.95
# Lyons et al. 2021 (seed 003, D2) and Cochrane: more than 20% lost is an attrition concern.
ATTRITION_FLAG_PERCENT = 20.0
# I-squared above 50% is "substantial heterogeneity" (seed 003, D2; Cochrane Handbook).
SUBSTANTIAL_I2_PERCENT = 50.0
SINGLE_GROUP_CAUTION = (
    "before and after in one group: does not show that the programme caused the change"
)


# --- Input checks --------------------------------------------------------------------


def _numbers(values: Sequence[float], *, name: str, minimum: int) -> npt.NDArray[np.float64]:
    if isinstance(values, str | bytes):
        raise ValueError(f"{name} must be a sequence of numbers, not text")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a sequence of numbers") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds a missing (NaN) or infinite value; pass complete data only")
    if array.size < minimum:
        raise ValueError(f"{name} needs at least {minimum} values, got {array.size}")
    return array


def _finite(value: float, *, name: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _critical_z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    return float(stats.norm.ppf(0.5 + level / 2))


def _two_sided_normal_p(z: float) -> float:
    return float(2 * stats.norm.sf(abs(z)))


# --- Standardised mean differences ----------------------------------------------------


@dataclass(frozen=True)
class EffectSize:
    """A standardised mean difference with its 95% (or `level`) confidence interval.

    `mean_difference` is after minus before (or a minus b) in the instrument's own units
    and direction: whether a positive change is better depends on the instrument."""

    design: Design
    n: int  # people: pairs for pre/post, both groups together for two groups
    mean_difference: float
    standardiser: float  # the SD the difference is divided by
    cohens_d: float
    correction_j: float
    hedges_g: float
    standard_error: float  # of g
    ci_lower: float
    ci_upper: float
    level: float
    p_value: float  # t-test on the raw scores (paired, or Student's for two groups)
    pre_post_correlation: float | None  # r between before and after; pre/post only
    single_group: bool
    causal_caution: str | None  # the label a single-group design must carry


def small_sample_correction(df: float) -> float:
    """Hedges' J = 1 - 3 / (4 df - 1), the usual approximation of the exact gamma-function
    correction (Hedges 1981; Borenstein et al. 2009, Introduction to Meta-Analysis, ch. 4).
    It differs from the exact value by under 0.001 from df = 10."""
    if df < 2:
        raise ValueError(f"the small-sample correction needs df >= 2, got {df}")
    return 1 - 3 / (4 * df - 1)


def hedges_g_prepost(
    before: Sequence[float], after: Sequence[float], *, level: float = DEFAULT_LEVEL
) -> EffectSize:
    """g_av for one group measured twice; `before[i]` and `after[i]` are one person.

    - d_av = (M_after - M_before) / S_av, S_av = sqrt((SD_before^2 + SD_after^2) / 2),
      the average-SD form (Cumming 2012; Lakens 2013, Front Psychol 4:863). It is on the
      same scale as a between-group d, unlike d_z = M_diff / SD_diff.
    - g_av = J * d_av, J = 1 - 3 / (4 (n - 1) - 1).
    - Variance for matched groups (Borenstein et al. 2009, ch. 4, "pre-post scores or
      matched groups"), with S_av as the within-groups SD and r the pre-post correlation:
      V_d = (1/n + d^2 / (2n)) * 2 (1 - r);  V_g = J^2 * V_d;  SE_g = sqrt(V_g).
    - CI: g +/- z * SE_g (normal approximation, as Borenstein).
    - p: paired t-test of the raw change (scipy.stats.ttest_rel).

    Note: domain file A.3 writes the standardiser as (SD_before + SD_after) / 2, the
    arithmetic mean; this uses the root mean square, for which Borenstein's variance
    holds. The two agree when the SDs are equal and differ little otherwise.

    A single-group design does not show cause (regression to the mean, natural recovery),
    so the result carries `SINGLE_GROUP_CAUTION`.

    Raises ValueError for fewer than 3 pairs, unequal lengths, NaN, or no spread (either
    time point constant, or everyone changing by exactly the same amount)."""
    pre = _numbers(before, name="before", minimum=3)
    post = _numbers(after, name="after", minimum=3)
    if pre.size != post.size:
        raise ValueError(
            f"before and after must pair the same people: {pre.size} before, {post.size} after"
        )
    sd_pre = float(pre.std(ddof=1))
    sd_post = float(post.std(ddof=1))
    if sd_pre == 0 or sd_post == 0:
        raise ValueError(
            "a time point has zero variance (everyone scored the same), so the change "
            "cannot be standardised"
        )
    change = post - pre
    if float(change.std(ddof=1)) == 0:
        raise ValueError(
            "everyone changed by exactly the same amount (zero variance of the change), "
            "so there is no standard error"
        )
    n = int(pre.size)
    r = float(np.corrcoef(pre, post)[0, 1])
    standardiser = math.sqrt((sd_pre**2 + sd_post**2) / 2)
    mean_difference = float(change.mean())
    d = mean_difference / standardiser
    j = small_sample_correction(n - 1)
    variance_d = (1 / n + d**2 / (2 * n)) * 2 * (1 - r)
    standard_error = j * math.sqrt(variance_d)
    g = j * d
    z = _critical_z(level)
    p_value = float(stats.ttest_rel(post, pre).pvalue)
    return EffectSize(
        design="single-group pre/post",
        n=n,
        mean_difference=mean_difference,
        standardiser=standardiser,
        cohens_d=d,
        correction_j=j,
        hedges_g=g,
        standard_error=standard_error,
        ci_lower=g - z * standard_error,
        ci_upper=g + z * standard_error,
        level=level,
        p_value=p_value,
        pre_post_correlation=r,
        single_group=True,
        causal_caution=SINGLE_GROUP_CAUTION,
    )


def hedges_g_two_groups(
    a: Sequence[float], b: Sequence[float], *, level: float = DEFAULT_LEVEL
) -> EffectSize:
    """Hedges' g for two independent groups, a minus b, by statsmodels' `effectsize_smd`
    (the RevMan 5 / Cochrane Handbook formulae, the ones seed 003's reviews used):

    - S_pooled = sqrt(((n_a - 1) SD_a^2 + (n_b - 1) SD_b^2) / (N - 2)), d = (M_a - M_b) / S_pooled
    - g = J * d, J = 1 - 3 / (4N - 9)   (= 1 - 3 / (4 df - 1), df = N - 2)
    - V_g = N / (n_a n_b) + g^2 / (2 (N - 3.94));  CI: g +/- z * sqrt(V_g)
    - p: Student's t-test on the raw scores (scipy.stats.ttest_ind, equal variances).

    Whether the difference shows cause depends on how people came to be in each group
    (randomised or not), which this function cannot know.

    Raises ValueError for fewer than 2 in a group, NaN, or zero pooled variance."""
    group_a = _numbers(a, name="a", minimum=2)
    group_b = _numbers(b, name="b", minimum=2)
    n_a, n_b = int(group_a.size), int(group_b.size)
    sd_a, sd_b = float(group_a.std(ddof=1)), float(group_b.std(ddof=1))
    standardiser = math.sqrt(((n_a - 1) * sd_a**2 + (n_b - 1) * sd_b**2) / (n_a + n_b - 2))
    if standardiser == 0:
        raise ValueError(
            "both groups have zero variance (everyone scored the same), so the difference "
            "cannot be standardised"
        )
    mean_a, mean_b = float(group_a.mean()), float(group_b.mean())
    g, variance_g = effectsize_smd(mean_a, sd_a, n_a, mean_b, sd_b, n_b)
    g, standard_error = float(g), math.sqrt(float(variance_g))
    z = _critical_z(level)
    return EffectSize(
        design="two independent groups",
        n=n_a + n_b,
        mean_difference=mean_a - mean_b,
        standardiser=standardiser,
        cohens_d=(mean_a - mean_b) / standardiser,
        correction_j=small_sample_correction(n_a + n_b - 2),
        hedges_g=g,
        standard_error=standard_error,
        ci_lower=g - z * standard_error,
        ci_upper=g + z * standard_error,
        level=level,
        p_value=float(stats.ttest_ind(group_a, group_b, equal_var=True).pvalue),
        pre_post_correlation=None,
        single_group=False,
        causal_caution=None,
    )


# --- Figures read from a published confidence interval --------------------------------


@dataclass(frozen=True)
class ReportedEstimate:
    estimate: float
    ci_lower: float
    ci_upper: float
    level: float
    standard_error: float
    z: float
    p_value: float  # two-sided, normal approximation


def from_ci(
    estimate: float, lower: float, upper: float, level: float = DEFAULT_LEVEL
) -> ReportedEstimate:
    """The standard error and two-sided p value implied by a symmetric confidence interval
    (Cochrane Handbook 6.3.1; Altman & Bland 2011, BMJ 343:d2090):
    SE = (upper - lower) / (2 z), z = 1.96 for 95%; then Z = estimate / SE and
    p = 2 * (1 - Phi(|Z|)). For ratios (odds, risk), pass the logarithms.

    Seed 003's asthma quality-of-life figure, MD 0.40 (95% CI -0.02 to 0.81), gives
    SE 0.21 and p 0.06."""
    estimate = _finite(estimate, name="estimate")
    lower = _finite(lower, name="lower")
    upper = _finite(upper, name="upper")
    if not lower < upper:
        raise ValueError(f"the interval's lower bound must be below its upper: {lower}, {upper}")
    if not lower <= estimate <= upper:
        raise ValueError(f"the estimate {estimate} lies outside its interval ({lower}, {upper})")
    standard_error = (upper - lower) / (2 * _critical_z(level))
    z = estimate / standard_error
    return ReportedEstimate(
        estimate=estimate,
        ci_lower=lower,
        ci_upper=upper,
        level=level,
        standard_error=standard_error,
        z=z,
        p_value=_two_sided_normal_p(z),
    )


# --- Random-effects pooling across sites -----------------------------------------------


@dataclass(frozen=True)
class PooledEstimate:
    """DerSimonian-Laird random-effects estimate over k sites (or studies)."""

    labels: tuple[str, ...]
    k: int
    estimate: float
    standard_error: float
    ci_lower: float
    ci_upper: float
    level: float
    z: float
    p_value: float  # two-sided, normal
    tau2: float  # between-site variance, truncated at 0
    q: float  # Cochran's Q
    q_df: int
    q_p_value: float
    i2_percent: float  # max(0, (Q - df) / Q) * 100
    weights_percent: tuple[float, ...]  # random-effects weight of each label
    pooled: Literal[True] = True

    @property
    def substantial_heterogeneity(self) -> bool:
        return self.i2_percent > SUBSTANTIAL_I2_PERCENT


@dataclass(frozen=True)
class PoolingNotPossible:
    labels: tuple[str, ...]
    k: int
    reason: str
    pooled: Literal[False] = False


def pool_random_effects(
    effects: Sequence[float],
    variances: Sequence[float],
    labels: Sequence[str],
    *,
    level: float = DEFAULT_LEVEL,
    minimum_k: int = 2,
) -> PooledEstimate | PoolingNotPossible:
    """Pool per-site effects with statsmodels' `combine_effects(method_re="dl")`: inverse-
    variance weights 1 / (v_i + tau^2), tau^2 by DerSimonian & Laird (1986), CI and p by the
    normal distribution, Q with k - 1 df, I^2 (Higgins & Thompson 2002).

    statsmodels leaves the DerSimonian-Laird tau^2 = (Q - df) / C negative when Q < df; the
    estimator is defined as max(0, .), and with tau^2 = 0 the random-effects result is the
    fixed-effect one, which statsmodels also returns. I^2 is likewise truncated at 0.

    Fewer than `minimum_k` sites (default 2; Lyons et al. 2021 asked for 3 before any
    meta-analysis) returns `PoolingNotPossible` rather than raising. Unequal lengths, NaN,
    non-positive variances or repeated labels raise ValueError."""
    site_labels = tuple(labels)
    k = len(site_labels)
    if len(effects) != k or len(variances) != k:
        raise ValueError(
            f"effects, variances and labels must have one entry per site: "
            f"{len(effects)}, {len(variances)}, {k}"
        )
    if len(set(site_labels)) != k:
        raise ValueError("labels must be distinct: one entry per site")
    if minimum_k < 2:
        raise ValueError("pooling needs at least 2 sites, so minimum_k must be 2 or more")
    effect_array = _numbers(effects, name="effects", minimum=0)
    variance_array = _numbers(variances, name="variances", minimum=0)
    if np.any(variance_array <= 0):
        raise ValueError("every variance must be positive")
    if k < minimum_k:
        return PoolingNotPossible(
            labels=site_labels,
            k=k,
            reason=f"pooling needs at least {minimum_k} sites; {k} given",
        )
    # A negative DL tau^2 (Q < df) makes statsmodels take square roots of negative
    # random-effects variances, and identical effects (Q = 0) an I^2 of -inf. Both are
    # replaced below, so their floating-point warnings are noise to the caller.
    with np.errstate(invalid="ignore", divide="ignore"):
        result = combine_effects(effect_array, variance_array, method_re="dl", alpha=1 - level)
        ci_fixed, ci_random, *_ = result.conf_int(alpha=1 - level, use_t=False)
        homogeneity = result.test_homogeneity()
    if result.tau2 > 0:
        estimate, standard_error = result.mean_effect_re, result.sd_eff_w_re
        weights, tau2, ci = result.weights_rel_re, float(result.tau2), ci_random
    else:
        estimate, standard_error = result.mean_effect_fe, result.sd_eff_w_fe
        weights, tau2, ci = result.weights_rel_fe, 0.0, ci_fixed
    estimate, standard_error = float(estimate), float(standard_error)
    return PooledEstimate(
        labels=site_labels,
        k=k,
        estimate=estimate,
        standard_error=standard_error,
        ci_lower=float(ci[0]),
        ci_upper=float(ci[1]),
        level=level,
        z=estimate / standard_error,
        p_value=_two_sided_normal_p(estimate / standard_error),
        tau2=tau2,
        q=float(result.q),
        q_df=k - 1,
        q_p_value=float(homogeneity.pvalue),
        i2_percent=max(0.0, float(result.i2)) * 100,
        weights_percent=tuple(float(w) * 100 for w in weights),
    )


# --- Attrition through the flow --------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: str
    count: int
    percent_of_first: float | None  # None when the first stage holds nobody


@dataclass(frozen=True)
class AttritionStep:
    from_stage: str
    to_stage: str
    from_count: int
    to_count: int
    lost: int  # negative when the later stage holds more people (e.g. a missed 4-week
    # questionnaire but a completed 12-week one)
    percent_lost: float | None  # None when the earlier stage holds nobody
    flagged: bool  # percent_lost above the threshold


@dataclass(frozen=True)
class Attrition:
    stages: tuple[StageCount, ...]
    steps: tuple[AttritionStep, ...]
    flag_above_percent: float

    @property
    def flagged_steps(self) -> tuple[AttritionStep, ...]:
        return tuple(step for step in self.steps if step.flagged)


def attrition(
    stages: Sequence[tuple[str, int]], *, flag_above_percent: float = ATTRITION_FLAG_PERCENT
) -> Attrition:
    """Counts through the flow (referral > intake > baseline > ... > follow-up), the number
    and percent lost between consecutive stages, and a flag where more than
    `flag_above_percent` (20%, Lyons et al. 2021) were lost. Exactly 20% is not flagged."""
    if not stages:
        raise ValueError("attrition needs at least one stage")
    names = [name for name, _ in stages]
    if any(not name for name in names) or len(set(names)) != len(names):
        raise ValueError("stage names must be non-empty and distinct")
    for name, count in stages:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"stage {name!r}: the count must be a whole number >= 0")
    first = stages[0][1]
    stage_counts = tuple(
        StageCount(stage=name, count=count, percent_of_first=_percent(count, first))
        for name, count in stages
    )
    steps = []
    for (from_stage, from_count), (to_stage, to_count) in pairwise(stages):
        lost = from_count - to_count
        steps.append(
            AttritionStep(
                from_stage=from_stage,
                to_stage=to_stage,
                from_count=from_count,
                to_count=to_count,
                lost=lost,
                percent_lost=_percent(lost, from_count),
                # Compared without division, so exactly 20% is never flagged by rounding.
                flagged=from_count > 0 and 100 * lost > flag_above_percent * from_count,
            )
        )
    return Attrition(stages=stage_counts, steps=tuple(steps), flag_above_percent=flag_above_percent)


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


# --- Evidence wording ------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceWording:
    strength: EvidenceStrength
    magnitude: Magnitude | None  # for standardised effects only
    interval_includes_no_effect: bool
    causal_caution: str | None
    text: str  # one plain-language sentence (or two) for a report


def evidence_strength(p_value: float) -> EvidenceStrength:
    """Lyons et al. 2021 (seed 003, D2): no evidence p >= 0.1, weak 0.01 <= p < 0.1,
    strong p < 0.01, very strong p < 0.001."""
    p_value = _finite(p_value, name="p_value")
    if not 0 <= p_value <= 1:
        raise ValueError(f"a p value lies between 0 and 1, got {p_value}")
    if p_value < 0.001:
        return "very strong evidence"
    if p_value < 0.01:
        return "strong evidence"
    if p_value < 0.1:
        return "weak evidence"
    return "no evidence"


def effect_magnitude(standardised_effect: float) -> Magnitude:
    """Cohen's bands as seed 003 uses them: |d| 0.2 small, 0.5 medium, 0.8 large; below 0.2
    negligible."""
    size = abs(_finite(standardised_effect, name="standardised_effect"))
    if size < 0.2:
        return "negligible"
    if size < 0.5:
        return "small"
    if size < 0.8:
        return "medium"
    return "large"


def evidence_wording(
    result: EffectSize | PooledEstimate | ReportedEstimate, *, standardised: bool | None = None
) -> EvidenceWording:
    """The umbrella review's words for a result: "strong evidence for a small effect",
    "weak evidence for an effect", "no evidence of an effect", plus whether the interval
    includes no effect and, for a single group, `SINGLE_GROUP_CAUTION`.

    Hedges' g is standardised; for a pooled or published estimate say whether it is
    (`standardised=True` for SMDs, False for mean differences in a scale's units, which
    get no magnitude band)."""
    if isinstance(result, EffectSize):
        standardised, estimate = True, result.hedges_g
    elif standardised is None:
        raise ValueError("say whether the estimate is standardised (an SMD) or not (an MD)")
    else:
        estimate = result.estimate
    strength = evidence_strength(result.p_value)
    magnitude = effect_magnitude(estimate) if standardised else None
    includes_no_effect = result.ci_lower <= 0 <= result.ci_upper
    caution = result.causal_caution if isinstance(result, EffectSize) else None

    if strength == "no evidence":
        sentence = "no evidence of an effect"
    elif magnitude is not None:
        sentence = f"{strength} for a {magnitude} effect"
    else:
        sentence = f"{strength} for an effect"
    if includes_no_effect:
        sentence += f"; the {result.level:.0%} confidence interval includes no effect"
    text = sentence[0].upper() + sentence[1:] + "."
    if caution:
        text += " " + caution[0].upper() + caution[1:] + "."
    return EvidenceWording(
        strength=strength,
        magnitude=magnitude,
        interval_includes_no_effect=includes_no_effect,
        causal_caution=caution,
        text=text,
    )
