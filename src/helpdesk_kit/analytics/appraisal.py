"""Agent scorecards, the leaderboard with a quality guard, and the computed monthly star.

The guide: appraise agents on the KPIs but "do not trade quality for speed". So an agent
whose CSAT or one-touch resolution rate is below the guard (or who has too few ratings
to know) never ranks above an agent who passes, on volume or on speed, and cannot be
the star. The star is the passing agent with enough handled tickets and the best
composite score: the mean of their percentile ranks (among those agents) on handled
tickets, median first response time, one-touch rate, mean CSAT and reopen rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.errors import InvalidInput

__all__ = ["Leaderboard", "QualityGuard", "Scorecard", "leaderboard", "scorecards"]

#: Metrics a scorecard reads, each grouped by agent over the whole period.
SCORECARD_METRICS = (
    "agent_activity",
    "first_response",
    "resolution",
    "one_touch_rate",
    "csat",
    "reopen_rate",
    "sla_achievement",
)


def _unit(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 <= value <= 1:
        raise InvalidInput(f"{attribute.name} is a share from 0 to 1, got {value!r}")


@attrs.frozen
class QualityGuard:
    """The quality bar for ranking: mean CSAT, one-touch rate, enough ratings and volume.

    Defaults are the guide's targets: CSAT above 4.5 of 5 and one-touch resolution above
    80 %. ``min_ratings``: fewer answered surveys than this and quality is unknown, which
    does not pass. ``min_handled``: the star must have handled at least this many tickets.
    """

    min_csat: float = 4.5
    min_one_touch: float = attrs.field(default=0.8, validator=_unit)
    min_ratings: int = 5
    min_handled: int = 10

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.min_csat <= 5:
            raise InvalidInput(f"min_csat is a mean score from 1 to 5, got {self.min_csat!r}")
        if self.min_ratings < 0 or self.min_handled < 0:
            raise InvalidInput("min_ratings and min_handled must be >= 0")


@attrs.frozen
class Scorecard:
    """One agent's numbers for a period (seconds for times, shares from 0 to 1)."""

    agent_id: str
    name: str
    handled: int = 0
    responses: int = 0
    tickets_touched: int = 0
    active_hours: int = 0
    first_response_median_s: float | None = None
    first_response_mean_s: float | None = None
    resolution_median_s: float | None = None
    one_touch_rate: float | None = None
    solved_with_reply: int = 0
    csat_mean: float | None = None
    csat_share: float | None = None
    ratings: int = 0
    reopen_rate: float | None = None
    sla_achievement: float | None = None
    passes_guard: bool = False
    guard_reasons: tuple[str, ...] = ()
    composite: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The scorecard as a plain mapping."""
        return attrs.asdict(self)


def _by_agent(rows: Sequence[MetricRow]) -> dict[str, MetricRow]:
    return {r.keys["agent"]: r for r in rows if r.keys.get("agent") is not None}


def _guard(card: Scorecard, guard: QualityGuard) -> tuple[str, ...]:
    reasons = []
    if card.ratings < guard.min_ratings or card.csat_mean is None:
        reasons.append(f"fewer than {guard.min_ratings} ratings")
    elif card.csat_mean < guard.min_csat:
        reasons.append(f"CSAT {card.csat_mean:.2f} < {guard.min_csat}")
    if card.one_touch_rate is None:
        reasons.append("no solved tickets with a reply")
    elif card.one_touch_rate < guard.min_one_touch:
        reasons.append(f"one-touch {card.one_touch_rate:.0%} < {guard.min_one_touch:.0%}")
    return tuple(reasons)


def scorecards(
    rows: Mapping[str, Sequence[MetricRow]],
    names: Mapping[str, str],
    guard: QualityGuard | None = None,
) -> list[Scorecard]:
    """Scorecards from each metric's rows grouped by agent (``rows[metric]``).

    ``names`` maps agent ids to names; every agent in it gets a card, even an idle one.
    """
    g = guard or QualityGuard()
    m = {name: _by_agent(rows.get(name, ())) for name in SCORECARD_METRICS}
    sla_rows: dict[str, list[MetricRow]] = {}
    for r in rows.get("sla_achievement", ()):
        if r.keys.get("agent") is not None:
            sla_rows.setdefault(r.keys["agent"], []).append(r)
    cards = []
    for agent_id in sorted(set(names) | {a for v in m.values() for a in v}):
        act = m["agent_activity"].get(agent_id)
        frt = m["first_response"].get(agent_id)
        res = m["resolution"].get(agent_id)
        one = m["one_touch_rate"].get(agent_id)
        csat = m["csat"].get(agent_id)
        reo = m["reopen_rate"].get(agent_id)
        sla = sla_rows.get(agent_id, [])
        sla_n = sum(r.values["count"] for r in sla)
        card = Scorecard(
            agent_id=agent_id,
            name=names.get(agent_id, agent_id),
            handled=act.values["handled"] if act else 0,
            responses=act.values["responses"] if act else 0,
            tickets_touched=act.values["tickets_touched"] if act else 0,
            active_hours=act.values["active_hours"] if act else 0,
            first_response_median_s=frt.values.get("p50_s") if frt else None,
            first_response_mean_s=frt.values["mean_s"] if frt else None,
            resolution_median_s=res.values.get("p50_s") if res else None,
            one_touch_rate=one.values["rate"] if one else None,
            solved_with_reply=one.values["count"] if one else 0,
            csat_mean=csat.values["mean"] if csat else None,
            csat_share=csat.values["csat"] if csat else None,
            ratings=csat.values["responses"] if csat else 0,
            reopen_rate=reo.values["rate"] if reo else None,
            sla_achievement=(sum(r.values["hits"] for r in sla) / sla_n) if sla_n else None,
        )
        reasons = _guard(card, g)
        cards.append(attrs.evolve(card, passes_guard=not reasons, guard_reasons=reasons))
    return cards


def _percentile_ranks(
    cards: Sequence[Scorecard], value: Callable[[Scorecard], float | None], higher_better: bool
) -> dict[str, float]:
    """Each card's share of the others it beats (ties count half); missing values score 0."""
    known = [(c.agent_id, v) for c in cards if (v := value(c)) is not None]
    out = {c.agent_id: 0.0 for c in cards}
    if len(known) <= 1:
        for aid, _ in known:
            out[aid] = 1.0
        return out
    for aid, v in known:
        beats = sum(1 for _, w in known if (w < v if higher_better else w > v))
        ties = sum(1 for _, w in known if w == v) - 1
        out[aid] = (beats + ties / 2) / (len(known) - 1)
    return out


@attrs.frozen
class Leaderboard:
    """Rankings with the quality guard applied, the star and the best-resolution award.

    ``star``/``best_resolution`` are None when no agent qualifies; ``star_reason`` says why.
    """

    by_volume: list[Scorecard]
    by_speed: list[Scorecard]
    by_quality: list[Scorecard]
    star: Scorecard | None
    star_reason: str
    best_resolution: Scorecard | None


def _last(value: float | None, higher_better: bool) -> tuple[bool, float]:
    if value is None:
        return (True, 0.0)
    return (False, -value if higher_better else value)


def leaderboard(cards: Sequence[Scorecard], guard: QualityGuard | None = None) -> Leaderboard:
    """Rank ``cards``; agents failing the guard always come after those who pass."""
    g = guard or QualityGuard()
    by_volume = sorted(cards, key=lambda c: (not c.passes_guard, -c.handled, c.name, c.agent_id))
    by_speed = sorted(
        cards,
        key=lambda c: (
            not c.passes_guard,
            _last(c.first_response_median_s, False),
            c.name,
            c.agent_id,
        ),
    )
    by_quality = sorted(
        cards,
        key=lambda c: (
            _last(c.csat_mean, True),
            _last(c.one_touch_rate, True),
            c.name,
            c.agent_id,
        ),
    )
    eligible = [c for c in cards if c.passes_guard and c.handled >= g.min_handled]
    if not eligible:
        return Leaderboard(
            by_volume,
            by_speed,
            by_quality,
            None,
            f"no agent passes the quality guard with at least {g.min_handled} handled tickets",
            None,
        )
    parts = [
        _percentile_ranks(eligible, lambda c: float(c.handled), True),
        _percentile_ranks(eligible, lambda c: c.first_response_median_s, False),
        _percentile_ranks(eligible, lambda c: c.one_touch_rate, True),
        _percentile_ranks(eligible, lambda c: c.csat_mean, True),
        _percentile_ranks(eligible, lambda c: c.reopen_rate, False),
    ]
    scored = [
        attrs.evolve(c, composite=sum(p[c.agent_id] for p in parts) / len(parts)) for c in eligible
    ]
    star = min(
        scored,
        key=lambda c: (-(c.composite or 0.0), _last(c.csat_mean, True), c.name, c.agent_id),
    )
    best = min(
        eligible,
        key=lambda c: (_last(c.one_touch_rate, True), -c.handled, c.name, c.agent_id),
    )
    return Leaderboard(
        by_volume,
        by_speed,
        by_quality,
        star,
        f"best composite score ({star.composite:.2f}) among {len(eligible)} agents who pass "
        "the quality guard",
        best,
    )
