"""Tests for temperature scaling and the out-of-scope threshold, against brute force."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.bot.calibration import (
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    ThresholdExample,
    choose_threshold,
    fit_temperature,
    negative_log_likelihood,
    softmax,
    threshold_objective,
)
from helpdesk_kit.errors import InvalidInput

scores = st.lists(st.floats(-20, 20), min_size=2, max_size=6)


@given(scores, st.floats(0.05, 20))
def test_softmax_is_a_distribution_and_shift_invariant(row: list[float], t: float) -> None:
    p = softmax(row, t)
    assert math.isclose(sum(p), 1.0, rel_tol=1e-9)
    shifted = softmax([s + 7.5 for s in row], t)
    assert all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12) for a, b in zip(p, shifted, strict=True)
    )


def test_softmax_rejects_bad_temperature() -> None:
    with pytest.raises(InvalidInput):
        softmax([1.0, 2.0], 0.0)


@st.composite
def score_rows(draw: st.DrawFn) -> tuple[list[list[float]], list[int]]:
    n_classes = draw(st.integers(2, 4))
    n = draw(st.integers(1, 12))
    rows = [
        draw(st.lists(st.floats(-5, 5), min_size=n_classes, max_size=n_classes)) for _ in range(n)
    ]
    targets = [draw(st.integers(0, n_classes - 1)) for _ in range(n)]
    return rows, targets


@given(score_rows())
def test_fit_temperature_beats_every_temperature_on_a_grid(
    data: tuple[list[list[float]], list[int]],
) -> None:
    rows, targets = data
    best = fit_temperature(rows, targets)
    best_nll = negative_log_likelihood(rows, targets, best)
    for k in range(-30, 31):
        t = 10 ** (k / 10)  # 1e-3 .. 1e3, the search range
        assert best_nll <= negative_log_likelihood(rows, targets, t) + 1e-6


def test_fit_temperature_sharpens_underconfident_scores() -> None:
    rows = [[0.2, 0.0], [0.0, 0.2]] * 10
    targets = [0, 1] * 10
    assert fit_temperature(rows, targets) < 0.05


def test_fit_temperature_validates() -> None:
    with pytest.raises(InvalidInput):
        fit_temperature([], [])
    with pytest.raises(InvalidInput):
        fit_temperature([[1.0, 0.0]], [0, 1])


@st.composite
def decisions(draw: st.DrawFn) -> list[ThresholdExample]:
    n = draw(st.integers(1, 25))
    out = []
    for _ in range(n):
        in_scope = draw(st.booleans())
        out.append(
            ThresholdExample(
                draw(st.sampled_from([0.0, 0.05, 0.1, 0.3, 0.31, 0.5, 0.7, 0.95, 1.0])),
                in_scope=in_scope,
                top_correct=in_scope and draw(st.booleans()),
                rejected_anyway=draw(st.booleans()),
            )
        )
    return out


@given(decisions(), st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.sampled_from([0.0, 0.005, 0.1]))
def test_choose_threshold_against_brute_force(
    examples: list[ThresholdExample], w: float, slack: float
) -> None:
    chosen = choose_threshold(examples, oos_weight=w, slack=slack)
    assert MIN_THRESHOLD <= chosen <= MAX_THRESHOLD
    grid = [MIN_THRESHOLD + (MAX_THRESHOLD - MIN_THRESHOLD) * k / 1000 for k in range(1001)]
    best = max(threshold_objective(examples, t, oos_weight=w) for t in grid)
    # brute force: the choice is within slack of the best threshold on a fine grid ...
    assert threshold_objective(examples, chosen, oos_weight=w) >= best - slack - 1e-9
    # ... and every higher grid threshold that is as good makes the same decisions as the choice
    confidences = [e.confidence for e in examples if not e.rejected_anyway]
    for t in grid:
        if t > chosen and threshold_objective(examples, t, oos_weight=w) >= best - slack - 1e-9:
            assert not any(chosen < c < t for c in confidences)


def test_choose_threshold_separates_in_scope_from_out_of_scope() -> None:
    examples = [
        ThresholdExample(0.9, in_scope=True, top_correct=True, rejected_anyway=False),
        ThresholdExample(0.8, in_scope=True, top_correct=True, rejected_anyway=False),
        ThresholdExample(0.3, in_scope=False, top_correct=False, rejected_anyway=False),
        ThresholdExample(0.2, in_scope=False, top_correct=False, rejected_anyway=False),
    ]
    t = choose_threshold(examples)
    assert 0.3 < t <= 0.8


def test_choose_threshold_validates() -> None:
    with pytest.raises(InvalidInput):
        choose_threshold([])
    example = ThresholdExample(0.5, in_scope=True, top_correct=True, rejected_anyway=False)
    with pytest.raises(InvalidInput):
        choose_threshold([example], low=0.9, high=0.1)
    with pytest.raises(InvalidInput):
        choose_threshold([example], slack=-1.0)
