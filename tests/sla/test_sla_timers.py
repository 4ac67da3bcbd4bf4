"""The pure SLA state machine: boundaries and cases the random tests rarely hit exactly."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.lifecycle import Lifecycle
from helpdesk_kit.lifecycle.builtins import COMPLAINT, SUPPORT
from helpdesk_kit.sla import (
    BusinessCalendar,
    SlaContext,
    SlaPolicy,
    SlaSettings,
    SlaStatus,
    SlaTarget,
    SlaTimer,
    apply,
    tick,
)
from helpdesk_kit.sla.timers import business_time, next_instant, replay, unrecorded
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import TicketEvent

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday
H = timedelta(hours=1)
M = timedelta(minutes=1)
SUPPORT_LC = Lifecycle.from_dict(SUPPORT)
OFFICE = BusinessCalendar("UTC", {d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)})


def _ctx(targets: dict[str, SlaTarget], calendar: str = "24x7", **kw: object) -> SlaContext:
    policy = SlaPolicy("p", {}, calendar, targets)
    return SlaContext("T", SUPPORT_LC, policy, {"office": OFFICE}, **kw)  # type: ignore[arg-type]


def _e(kind: str, at: datetime, **data: object) -> TicketEvent:
    return TicketEvent("T", kind, at, "system", data)


def _created(at: datetime = T0, status: str = "new") -> list[TicketEvent]:
    return [_e(ev.TICKET_CREATED, at, status=status), _e(ev.MESSAGE_RECEIVED, at)]


def test_a_reply_at_the_due_instant_is_late_and_a_sweep_there_notices() -> None:
    ctx = _ctx({"first_response": SlaTarget(H, 0.5)})
    made = apply({}, _created(), state="new", ctx=ctx)
    on_time = apply(
        made.timers,
        [_e(ev.REPLY_SENT, T0 + H - timedelta(microseconds=1), author_kind="agent")],
        state="new",
        ctx=ctx,
    )
    assert on_time.timers["first_response"].status is SlaStatus.MET
    assert [n.kind for n in on_time.notices] == ["warning"]
    late = apply(
        made.timers, [_e(ev.REPLY_SENT, T0 + H, author_kind="agent")], state="new", ctx=ctx
    )
    first = late.timers["first_response"]
    assert (first.status, first.breached_at, first.met_at) == (SlaStatus.BREACHED, T0 + H, T0 + H)
    assert [n.kind for n in late.notices] == ["warning", "breach"]
    swept, notices = tick(made.timers, T0 + 30 * M)  # exactly the warning instant
    assert [n.kind for n in notices] == ["warning"]
    assert swept["first_response"].warned_at == T0 + 30 * M
    again, notices = tick(swept, T0 + 59 * M)
    assert notices == []
    assert again == swept


def test_business_hours_thresholds_and_pauses() -> None:
    ctx = _ctx({"resolution": SlaTarget(4 * H)}, calendar="office")
    made = apply({}, _created(T0 + 2 * H + 30 * M), state="new", ctx=ctx)  # 11:30
    res = made.timers["resolution"]
    assert res.due_at == T0 + 7 * H + 30 * M  # 11:30–12:00, 13:00–16:30
    pend = apply(
        made.timers,
        [_e(ev.TRANSITIONED, T0 + 5 * H, **{"from": "new", "to": "pending"})],  # 14:00
        state="new",
        ctx=ctx,
    )
    paused = pend.timers["resolution"]
    assert (paused.status, paused.used, paused.due_at) == (SlaStatus.PAUSED, 90 * M, None)
    assert paused.segments == ((T0 + 150 * M, T0 + 5 * H),)
    back = apply(
        pend.timers,
        [_e(ev.TRANSITIONED, T0 + 24 * H, **{"from": "pending", "to": "open"})],  # Tue 09:00
        state="pending",
        ctx=ctx,
    )
    assert back.timers["resolution"].due_at == T0 + 24 * H + 2 * H + 30 * M
    assert back.timers["resolution"].warn_at == T0 + 24 * H + 1 * H + 42 * M  # 80 %: 3 h 12


def test_a_shorter_target_reached_in_a_closed_segment_breaches_in_the_past() -> None:
    ctx = _ctx({"resolution": SlaTarget(4 * H)})
    made = apply({}, _created(), state="new", ctx=ctx)
    pend = apply(
        made.timers,
        [_e(ev.TRANSITIONED, T0 + 2 * H, **{"from": "new", "to": "pending"})],
        state="new",
        ctx=ctx,
    )
    shorter = _ctx({"resolution": SlaTarget(H)})
    moved = apply(
        pend.timers,
        [_e(ev.PRIORITY_CHANGED, T0 + 5 * H, **{"from": "normal", "to": "urgent"})],
        state="pending",
        ctx=shorter,
    )
    res = moved.timers["resolution"]
    assert (res.status, res.breached_at, res.warned_at) == (
        SlaStatus.BREACHED,
        T0 + H,
        T0 + 48 * M,
    )
    assert [(n.kind, n.timer.metric, n.timer.cycle) for n in moved.notices] == [
        ("warning", "resolution", 1),
        ("breach", "resolution", 1),
    ]


def test_no_policy_keeps_the_clocks_without_targets() -> None:
    ctx = SlaContext("T", SUPPORT_LC, None)
    made = apply({}, _created(), state="new", ctx=ctx)
    first = made.timers["first_response"]
    assert (first.policy, first.target, first.due_at, first.calendar) == (None, None, None, "24x7")
    assert next_instant(made.timers.values()) is None
    assert first.remaining(T0 + H, OFFICE) is None
    assert first.used_at(T0 + H, OFFICE) == H  # counted on any calendar asked
    assert first.used_at(T0 + 4 * H, OFFICE) == 3 * H  # lunch 12:00–13:00 is closed


def test_merge_unions_the_running_time() -> None:
    ctx = _ctx({"first_response": SlaTarget(4 * H), "resolution": SlaTarget(8 * H)})
    source = apply({}, _created(T0), state="new", ctx=ctx).timers
    target = apply({}, _created(T0 + 30 * M), state="new", ctx=ctx).timers
    merge_ctx = SlaContext("T", SUPPORT_LC, ctx.policy, {}, merged={"S": source})
    merged = apply(
        target, [_e(ev.MERGED_FROM, T0 + H, source="S")], state="new", ctx=merge_ctx
    ).timers
    first = merged["first_response"]
    assert (first.started_at, first.used, first.due_at) == (T0, H, T0 + 4 * H)
    assert first.segments == ((T0, T0 + H),)
    # A source timer that was already met does not count.
    met = {**source, "first_response": SlaTimer("S", "first_response", T0, met_at=T0 + M)}
    merge_ctx = SlaContext("T", SUPPORT_LC, ctx.policy, {}, merged={"S": met})
    merged = apply(
        target, [_e(ev.MERGED_FROM, T0 + H, source="S")], state="new", ctx=merge_ctx
    ).timers
    assert merged["first_response"].started_at == T0 + 30 * M


def test_bot_reply_holds_first_response_only_before_any_hand_off() -> None:
    ctx = _ctx({"first_response": SlaTarget(H)})
    made = apply({}, _created(), state="new", ctx=ctx)
    held = apply(made.timers, [_e(ev.REPLY_SENT, T0 + M, author_kind="bot")], state="new", ctx=ctx)
    assert held.timers["first_response"].status is SlaStatus.PAUSED
    handed = apply(held.timers, [_e(ev.HANDOFF, T0 + 10 * M)], state="new", ctx=ctx)
    first = handed.timers["first_response"]
    assert (first.cycle, first.started_at, first.due_at) == (2, T0 + 10 * M, T0 + 70 * M)
    again = apply(
        handed.timers, [_e(ev.REPLY_SENT, T0 + 11 * M, author_kind="bot")], state="new", ctx=ctx
    )
    assert again.timers["first_response"] == first
    counts = _ctx({"first_response": SlaTarget(H)}, settings=SlaSettings(bot_time_counts=True))
    kept = apply(
        made.timers, [_e(ev.REPLY_SENT, T0 + M, author_kind="bot")], state="new", ctx=counts
    )
    assert kept.timers["first_response"] == made.timers["first_response"]


def test_complaint_lifecycle_solved_to_solved_and_reopen() -> None:
    lc = Lifecycle.from_dict(COMPLAINT)
    policy = SlaPolicy("p", {}, "24x7", {"resolution": SlaTarget(10 * H)})
    ctx = SlaContext("T", lc, policy)
    made = apply({}, _created(T0, "received"), state="received", ctx=ctx)
    steps = [
        _e(ev.TRANSITIONED, T0 + H, **{"from": "received", "to": "acknowledged"}),
        _e(ev.TRANSITIONED, T0 + 2 * H, **{"from": "acknowledged", "to": "investigating"}),
        _e(ev.TRANSITIONED, T0 + 3 * H, **{"from": "investigating", "to": "proposed"}),
        _e(ev.TRANSITIONED, T0 + 5 * H, **{"from": "proposed", "to": "resolved"}),
        _e(ev.TRANSITIONED, T0 + 6 * H, **{"from": "resolved", "to": "followed_up"}),
    ]
    done = apply(made.timers, steps, state="received", ctx=ctx)
    res = done.timers["resolution"]
    assert (res.status, res.met_at, res.used) == (SlaStatus.MET, T0 + 5 * H, 3 * H)
    reopened = apply(
        done.timers,
        [_e(ev.TRANSITIONED, T0 + 7 * H, **{"from": "followed_up", "to": "investigating"})],
        state="followed_up",
        ctx=ctx,
    )
    assert reopened.state == "investigating"
    assert reopened.timers["resolution"].due_at == T0 + 14 * H


def test_replay_and_unrecorded_notices() -> None:
    ctx = _ctx({"first_response": SlaTarget(H)})
    trail = [*_created(), _e(ev.REPLY_SENT, T0 + 2 * H, author_kind="agent")]
    result = replay(trail, ctx=ctx)
    assert [n.kind for n in result.notices] == ["warning", "breach"]
    recorded = [
        TicketEvent("T", n.event_kind, T0 + 2 * H, "system", n.event_data())
        for n in result.notices[:1]
    ]
    assert [n.kind for n in unrecorded(result.notices, recorded)] == ["breach"]
    data = result.notices[1].event_data()
    assert data["metric"] == "first_response"
    assert data["cycle"] == 1
    assert data["breached_at"] == (T0 + H).isoformat()
    assert data["target_seconds"] == 3600.0


def test_bad_values() -> None:
    with pytest.raises(InvalidInput, match="unknown SLA metric"):
        SlaTimer("T", "first_reply", T0)
    with pytest.raises(InvalidInput, match="naive"):
        SlaTimer("T", "resolution", T0.replace(tzinfo=None))
    with pytest.raises(InvalidInput, match="no calendar 'moon'"):
        SlaContext("T", SUPPORT_LC).calendar("moon")
    assert business_time([(T0 + H, T0)], OFFICE) == timedelta(0)
