"""Confidence calibration for intent scores: temperature scaling and the out-of-scope threshold.

Both are fitted on held-out (out-of-fold) scores, never on the examples a
model was trained on, because a model is over-confident on its own training
data. All functions are pure and work on plain lists.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

from helpdesk_kit.errors import InvalidInput

__all__ = [
    "DEFAULT_SLACK",
    "MAX_THRESHOLD",
    "MIN_THRESHOLD",
    "ThresholdExample",
    "choose_threshold",
    "fit_temperature",
    "negative_log_likelihood",
    "softmax",
    "threshold_objective",
]

#: Temperatures are searched in this range (log scale).
MIN_TEMPERATURE = 1e-3
MAX_TEMPERATURE = 1e3
#: A calibrated threshold is kept inside this range so that neither everything
#: nor nothing is rejected when calibration data are scarce.
MIN_THRESHOLD = 0.05
MAX_THRESHOLD = 0.95
#: Thresholds this close to the best held-out objective count as equally good.
DEFAULT_SLACK = 0.005


def softmax(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Return the probabilities ``softmax(scores / temperature)`` (stable for large scores)."""
    if temperature <= 0:
        raise InvalidInput(f"temperature must be positive, got {temperature}")
    if not scores:
        return []
    scaled = [s / temperature for s in scores]
    top = max(scaled)
    exps = [math.exp(s - top) for s in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def negative_log_likelihood(
    rows: Sequence[Sequence[float]], targets: Sequence[int], temperature: float
) -> float:
    """Return the mean negative log-likelihood of ``targets`` under ``softmax(row / T)``."""
    if not rows:
        raise InvalidInput("need at least one row of scores")
    total = 0.0
    for row, target in zip(rows, targets, strict=True):
        scaled = [s / temperature for s in row]
        top = max(scaled)
        log_z = top + math.log(sum(math.exp(s - top) for s in scaled))
        total += log_z - scaled[target]
    return total / len(rows)


def fit_temperature(rows: Sequence[Sequence[float]], targets: Sequence[int]) -> float:
    """Return the temperature minimising the held-out negative log-likelihood.

    The NLL is convex in 1/T, so a golden-section search over log T finds the
    minimum; the search runs within [1e-3, 1e3].
    """
    if len(rows) != len(targets):
        raise InvalidInput(f"got {len(rows)} score rows but {len(targets)} targets")
    if not rows:
        raise InvalidInput("need at least one row of scores to fit a temperature")
    lo, hi = math.log(MIN_TEMPERATURE), math.log(MAX_TEMPERATURE)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0

    def loss(log_t: float) -> float:
        return negative_log_likelihood(rows, targets, math.exp(log_t))

    a, b = lo, hi
    c = b - ratio * (b - a)
    d = a + ratio * (b - a)
    fc, fd = loss(c), loss(d)
    while b - a > 1e-4:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = loss(d)
    best = (a + b) / 2.0
    # The ends of the range are candidates too (a monotone loss pushes the optimum there).
    candidates = [(loss(best), best), (loss(lo), lo), (loss(hi), hi)]
    return math.exp(min(candidates)[1])


class ThresholdExample:
    """One held-out decision: the best in-scope probability and what the right answer was."""

    __slots__ = ("confidence", "in_scope", "rejected_anyway", "top_correct")

    def __init__(
        self, confidence: float, *, in_scope: bool, top_correct: bool, rejected_anyway: bool
    ) -> None:
        """``rejected_anyway``: the out-of-scope class won, so no threshold accepts it."""
        self.confidence = confidence
        self.in_scope = in_scope
        self.top_correct = top_correct
        self.rejected_anyway = rejected_anyway


def threshold_objective(
    examples: Sequence[ThresholdExample], threshold: float, *, oos_weight: float = 0.5
) -> float:
    """Return how good ``threshold`` is on ``examples`` (higher is better; brute force).

    With out-of-scope examples present: ``(1 - w) * in-scope accuracy + w *
    out-of-scope recall``. Without any: the share of right decisions, where
    accepting a correct top intent and rejecting a wrong one are both right.
    """
    n_in = sum(1 for e in examples if e.in_scope)
    n_oos = len(examples) - n_in
    accepted = [not e.rejected_anyway and e.confidence >= threshold for e in examples]
    if n_oos:
        in_ok = sum(
            1 for e, a in zip(examples, accepted, strict=True) if e.in_scope and a and e.top_correct
        )
        oos_ok = sum(1 for e, a in zip(examples, accepted, strict=True) if not e.in_scope and not a)
        in_acc = in_ok / n_in if n_in else 0.0
        return (1.0 - oos_weight) * in_acc + oos_weight * oos_ok / n_oos
    right = sum(1 for e, a in zip(examples, accepted, strict=True) if a == e.top_correct)
    return right / len(examples) if examples else 0.0


def choose_threshold(
    examples: Sequence[ThresholdExample],
    *,
    oos_weight: float = 0.5,
    low: float = MIN_THRESHOLD,
    high: float = MAX_THRESHOLD,
    slack: float = DEFAULT_SLACK,
) -> float:
    """Return the highest threshold in ``[low, high]`` within ``slack`` of the best objective.

    The objective is ``threshold_objective``. Out-of-scope examples held out
    from the training data resemble the other training examples more than
    real, novel out-of-scope messages do, so the held-out estimate of
    out-of-scope recall is optimistic; when several thresholds are nearly as
    good (within ``slack``), the highest one is taken.

    Every threshold between two neighbouring held-out confidences makes the
    same decisions, so only ``low``, ``high`` and the midpoints between
    neighbouring confidences are tried. Runs in O(n log n).
    """
    if not examples:
        raise InvalidInput("need held-out examples to choose a threshold")
    if not 0.0 <= low <= high <= 1.0:
        raise InvalidInput(f"threshold range [{low}, {high}] must lie within [0, 1]")
    live = [e for e in examples if not e.rejected_anyway]
    n_in = sum(1 for e in examples if e.in_scope)
    n_oos = len(examples) - n_in
    in_correct = sorted(e.confidence for e in live if e.in_scope and e.top_correct)
    oos_live = sorted(e.confidence for e in live if not e.in_scope)
    wrong_live = sorted(e.confidence for e in live if not e.top_correct)
    n_wrong_dead = sum(1 for e in examples if e.rejected_anyway and not e.top_correct)

    def at_least(values: list[float], t: float) -> int:
        return len(values) - bisect_left(values, t)

    def objective(t: float) -> float:
        if n_oos:
            in_acc = at_least(in_correct, t) / n_in if n_in else 0.0
            oos_recall = (n_oos - at_least(oos_live, t)) / n_oos
            return (1.0 - oos_weight) * in_acc + oos_weight * oos_recall
        right = at_least(in_correct, t) + (len(wrong_live) - at_least(wrong_live, t))
        return (right + n_wrong_dead) / len(examples)

    values = sorted({e.confidence for e in live if low < e.confidence < high})
    candidates = [low]
    previous = low
    for v in values:
        candidates.append((previous + v) / 2.0)
        previous = v
    candidates.append((previous + high) / 2.0 if previous < high else high)
    candidates.append(high)
    if slack < 0:
        raise InvalidInput(f"slack must not be negative, got {slack}")
    scored = [(t, objective(t)) for t in sorted(set(candidates))]
    best_score = max(score for _, score in scored)
    return max(t for t, score in scored if score >= best_score - slack - 1e-12)
