"""The Net Promoter Score rules, used by the kiosk, its admin view and HQ alike.

- 0-6 detractor, 7-8 passive, 9-10 promoter.
- NPS = %promoters - %detractors, an integer from -100 to 100. Rounding rule: the exact value
  100 * (P - D) / n is rounded half away from zero (12.5 -> 13, -12.5 -> -13), computed in
  exact integer arithmetic so that no float error moves an edge case, and so that swapping
  promoters and detractors negates the score exactly.
- No responses: NPS is undefined (``None``, shown as "—"), never 0.
- 95% interval by the adjusted-Wald method (Sauro & Lewis): add 3 to n and 3/4 to promoters
  and to detractors, then NPS' +- 1.96 * sqrt((p' + d' - (p' - d')^2) / n'), clipped to
  [-100, 100] and rounded like the score. The adjusted centre is pulled towards 0, so for tiny
  samples the interval need not contain the raw score (n = 1 promoter: 100, interval -48 to 98).
- Below 30 responses the result is marked low sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

LOW_SAMPLE_BELOW = 30
Z_95 = 1.959963984540054


class Category(StrEnum):
    DETRACTOR = "detractor"
    PASSIVE = "passive"
    PROMOTER = "promoter"


def category(score: int) -> Category:
    """The category of a 0-10 score."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"A score is a whole number from 0 to 10, not {score!r}")
    if score <= 6:
        return Category.DETRACTOR
    if score <= 8:
        return Category.PASSIVE
    return Category.PROMOTER


def round_half_away(value: float) -> int:
    """Round half away from zero: 0.5 -> 1, -0.5 -> -1, 2.4 -> 2."""
    sign = -1 if value < 0 else 1
    return sign * math.floor(abs(value) + 0.5)


def _ratio_half_away(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in exact integer arithmetic."""
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


@dataclass(frozen=True)
class NpsResult:
    """The NPS of a set of responses, with its counts, shares and 95% interval."""

    n: int
    promoters: int
    passives: int
    detractors: int
    pct_promoters: float | None
    pct_passives: float | None
    pct_detractors: float | None
    nps: int | None
    ci_low: int | None
    ci_high: int | None
    low_sample: bool

    @property
    def defined(self) -> bool:
        return self.nps is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "pct_promoters": self.pct_promoters,
            "pct_passives": self.pct_passives,
            "pct_detractors": self.pct_detractors,
            "nps": self.nps,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "low_sample": self.low_sample,
        }


def nps_from_counts(*, promoters: int, passives: int, detractors: int) -> NpsResult:
    """NPS from the three counts (what rollups and SQL GROUP BYs produce)."""
    if min(promoters, passives, detractors) < 0:
        raise ValueError("Counts cannot be negative")
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(0, 0, 0, 0, None, None, None, None, None, None, True)
    score = _ratio_half_away(100 * (promoters - detractors), n)
    low, high = adjusted_wald_interval(promoters=promoters, detractors=detractors, n=n)
    return NpsResult(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        pct_promoters=100 * promoters / n,
        pct_passives=100 * passives / n,
        pct_detractors=100 * detractors / n,
        nps=score,
        ci_low=low,
        ci_high=high,
        low_sample=n < LOW_SAMPLE_BELOW,
    )


def adjusted_wald_interval(*, promoters: int, detractors: int, n: int) -> tuple[int, int]:
    """The adjusted-Wald 95% interval of the NPS, as integers in [-100, 100]."""
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    centre = p - d
    variance = p + d - centre * centre
    half = Z_95 * math.sqrt(max(variance, 0.0) / n_adj)
    low = max(-100, round_half_away(100 * (centre - half)))
    high = min(100, round_half_away(100 * (centre + half)))
    return low, high


def nps(scores: Iterable[int]) -> NpsResult:
    """NPS of a set of 0-10 scores."""
    counts = {Category.PROMOTER: 0, Category.PASSIVE: 0, Category.DETRACTOR: 0}
    for score in scores:
        counts[category(score)] += 1
    return nps_from_counts(
        promoters=counts[Category.PROMOTER],
        passives=counts[Category.PASSIVE],
        detractors=counts[Category.DETRACTOR],
    )


def format_nps(result: NpsResult) -> str:
    """'42 (31 to 52)', '—' when undefined; a minus sign, never a % sign."""
    if result.nps is None:
        return "—"
    text = f"{signed(result.nps)} ({signed(result.ci_low)} to {signed(result.ci_high)})"
    return text + (" · low sample" if result.low_sample else "")


def signed(value: int | None) -> str:
    if value is None:
        return "—"
    return f"−{-value}" if value < 0 else str(value)
