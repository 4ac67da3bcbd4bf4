"""Scorecards and the leaderboard: the quality guard and the computed star."""

from __future__ import annotations

from datetime import date

import pytest

from helpdesk_kit.analytics.appraisal import QualityGuard, Scorecard, leaderboard, scorecards
from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.errors import InvalidInput


def card(agent, name, **kw):
    base = {
        "handled": 50,
        "first_response_median_s": 60.0,
        "one_touch_rate": 0.85,
        "csat_mean": 4.7,
        "ratings": 20,
        "reopen_rate": 0.05,
        "passes_guard": True,
    }
    base.update(kw)
    return Scorecard(agent, name, **base)


def test_fast_busy_agent_below_the_guard_never_ranks_first():
    speedy = card(
        "a1",
        "Speedy",
        handled=200,
        first_response_median_s=5.0,
        csat_mean=3.9,
        passes_guard=False,
        guard_reasons=("CSAT 3.90 < 4.5",),
    )
    steady = card("a2", "Steady", handled=80, first_response_median_s=90.0)
    careful = card(
        "a3",
        "Careful",
        handled=40,
        first_response_median_s=200.0,
        csat_mean=4.9,
        one_touch_rate=0.95,
    )
    board = leaderboard([speedy, steady, careful])
    assert [c.name for c in board.by_volume] == ["Steady", "Careful", "Speedy"]
    assert [c.name for c in board.by_speed] == ["Steady", "Careful", "Speedy"]
    assert board.by_quality[0].name == "Careful"
    assert board.star is not None
    assert board.star.name in ("Steady", "Careful")
    assert board.star.composite is not None
    assert board.best_resolution.name == "Careful"


def test_star_is_computed_from_the_numbers():
    a = card(
        "a",
        "A",
        handled=100,
        first_response_median_s=30.0,
        one_touch_rate=0.9,
        csat_mean=4.8,
        reopen_rate=0.02,
    )
    b = card(
        "b",
        "B",
        handled=60,
        first_response_median_s=60.0,
        one_touch_rate=0.82,
        csat_mean=4.6,
        reopen_rate=0.06,
    )
    board = leaderboard([b, a])
    assert board.star.name == "A"
    assert board.star.composite == 1.0
    assert "quality guard" in board.star_reason


def test_no_star_when_nobody_qualifies():
    board = leaderboard([card("a", "A", passes_guard=False), card("b", "B", handled=3)])
    assert board.star is None
    assert "no agent" in board.star_reason
    assert board.best_resolution is None


def row(metric, agent, **values):
    return MetricRow(metric, "2026-11", date(2026, 11, 1), {"agent": agent}, values)


def test_scorecards_apply_the_guard():
    rows = {
        "agent_activity": [
            row(
                "agent_activity",
                "a1",
                handled=30,
                responses=40,
                tickets_touched=30,
                active_hours=20,
            )
        ],
        "first_response": [row("first_response", "a1", count=30, mean_s=50.0, p50_s=40.0)],
        "one_touch_rate": [row("one_touch_rate", "a1", count=30, hits=21, rate=0.7)],
        "csat": [row("csat", "a1", responses=10, mean=4.8, csat=0.9)],
        "reopen_rate": [row("reopen_rate", "a1", count=30, hits=3, rate=0.1)],
        "sla_achievement": [
            MetricRow(
                "sla_achievement",
                "2026-11",
                date(2026, 11, 1),
                {"agent": "a1", "sla_metric": m},
                {"count": 10, "hits": h, "rate": h / 10},
            )
            for m, h in (("first_response", 9), ("resolution", 7))
        ],
    }
    cards = {c.agent_id: c for c in scorecards(rows, {"a1": "Ann", "a2": "Idle"})}
    ann = cards["a1"]
    assert (ann.handled, ann.first_response_median_s, ann.ratings) == (30, 40.0, 10)
    assert ann.sla_achievement == 0.8
    assert not ann.passes_guard
    assert ann.guard_reasons == ("one-touch 70% < 80%",)
    assert cards["a2"].handled == 0
    assert "fewer than 5 ratings" in cards["a2"].guard_reasons[0]
    lenient = scorecards(rows, {"a1": "Ann"}, QualityGuard(min_one_touch=0.6))
    assert lenient[0].passes_guard


def test_guard_validation():
    with pytest.raises(InvalidInput):
        QualityGuard(min_csat=6)
    with pytest.raises(InvalidInput):
        QualityGuard(min_one_touch=80)
