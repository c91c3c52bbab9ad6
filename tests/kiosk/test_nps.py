"""The NPS rules: hand-computed table cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.nps import Category, category, format_nps, nps, nps_from_counts, round_half_away


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, Category.DETRACTOR),
        (6, Category.DETRACTOR),
        (7, Category.PASSIVE),
        (8, Category.PASSIVE),
        (9, Category.PROMOTER),
        (10, Category.PROMOTER),
    ],
)
def test_category_edges(score: int, expected: Category) -> None:
    assert category(score) is expected


@pytest.mark.parametrize("bad", [-1, 11, 5.0, True, "7", None])
def test_category_refuses_what_is_not_a_score(bad: object) -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        category(bad)  # type: ignore[arg-type]


def test_no_responses_is_undefined_not_zero() -> None:
    result = nps([])
    assert result.n == 0
    assert result.nps is None and result.ci_low is None and result.ci_high is None
    assert format_nps(result) == "—"


# Intervals below computed by hand with the adjusted-Wald formula:
# n' = n + 3, p' = (P + .75)/n', d' = (D + .75)/n', se = sqrt((p' + d' - (p'-d')^2)/n').
@pytest.mark.parametrize(
    ("scores", "expected_nps", "ci"),
    [
        # all 10 promoters: p'=10.75/13=.8269, d'=.0577, c=.7692, var=.2928, se=.1501
        ([10] * 10, 100, (48, 100)),
        # all 10 detractors: the mirror image
        ([0] * 10, -100, (-100, -48)),
        # one promoter: p'=.4375, d'=.1875, c=.25, var=.5625, se=.375 -> .25 +- 1.95996*.375
        # = [-.48499, .98499]: the adjusted centre need not contain the raw score
        ([9], 100, (-48, 98)),
        # one passive: p'=d'=.1875, c=0, var=.375, se=.306 -> +-.600
        ([7], 0, (-60, 60)),
        # 2 promoters, 1 detractor, 1 passive: 25 exactly; p'=2.75/7, d'=1.75/7, c=.142857,
        # var=.622449, se=.298196, half=.584453 -> [-.4416, .7273]
        ([10, 9, 0, 8], 25, (-44, 73)),
    ],
)
def test_hand_computed_cases(scores: list[int], expected_nps: int, ci: tuple[int, int]) -> None:
    result = nps(scores)
    assert result.nps == expected_nps
    assert (result.ci_low, result.ci_high) == ci
    assert result.low_sample is True


def test_counts_and_percentages() -> None:
    result = nps([10, 9, 8, 7, 6, 0, 10, 10])
    assert (result.promoters, result.passives, result.detractors) == (4, 2, 2)
    assert result.pct_promoters == 50.0 and result.pct_detractors == 25.0
    assert result.nps == 25


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "expected"),
    [
        (1, 7, 0, 13),  # 12.5 rounds away from zero
        (0, 7, 1, -13),  # -12.5 likewise
        (1, 1, 0, 50),
        (2, 1, 0, 67),  # 66.67
        (1, 2, 0, 33),  # 33.33
        (5, 190, 5, 0),
        (1, 198, 0, 1),  # 0.5025 -> 1
        (1, 199, 0, 1),  # 0.5 exactly -> 1 (away from zero)
        (0, 199, 1, -1),
        (1, 200, 0, 0),  # 0.4975 -> 0
    ],
)
def test_rounding_edges(promoters: int, passives: int, detractors: int, expected: int) -> None:
    assert (
        nps_from_counts(promoters=promoters, passives=passives, detractors=detractors).nps
        == expected
    )


def test_round_half_away_from_zero() -> None:
    assert [round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, -2.5, 2.4, -2.6)] == [
        1,
        2,
        3,
        -1,
        -3,
        2,
        -3,
    ]


def test_low_sample_flag_at_thirty() -> None:
    assert nps([9] * 29).low_sample is True
    assert nps([9] * 30).low_sample is False


def test_format_uses_a_minus_sign_and_no_percent() -> None:
    text = format_nps(nps([0] * 40 + [10] * 10))
    assert text.startswith("−60 (") and "%" not in text


counts = st.integers(min_value=0, max_value=5000)


@given(counts, counts, counts)
def test_nps_stays_in_range_and_interval_is_ordered(p: int, q: int, d: int) -> None:
    result = nps_from_counts(promoters=p, passives=q, detractors=d)
    if p + q + d == 0:
        assert result.nps is None
        return
    assert result.nps is not None and result.ci_low is not None and result.ci_high is not None
    assert -100 <= result.ci_low <= result.ci_high <= 100
    assert -100 <= result.nps <= 100
    assert result.low_sample == (p + q + d < 30)


@given(counts, counts, counts)
def test_swapping_promoters_and_detractors_negates(p: int, q: int, d: int) -> None:
    a = nps_from_counts(promoters=p, passives=q, detractors=d)
    b = nps_from_counts(promoters=d, passives=q, detractors=p)
    if a.nps is None:
        assert b.nps is None
        return
    assert b.nps == -a.nps
    assert (b.ci_low, b.ci_high) == (-a.ci_high, -a.ci_low)  # type: ignore[operator]


@given(st.lists(st.integers(min_value=0, max_value=10), max_size=300))
def test_scores_and_counts_agree(scores: list[int]) -> None:
    by_scores = nps(scores)
    by_counts = nps_from_counts(
        promoters=sum(s >= 9 for s in scores),
        passives=sum(7 <= s <= 8 for s in scores),
        detractors=sum(s <= 6 for s in scores),
    )
    assert by_scores == by_counts
