"""Every transition of both built-in lifecycles, fired through the pure engine."""

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from helpdesk_kit.errors import GuardFailed, InvalidInput, PermissionDenied, TransitionNotAllowed
from helpdesk_kit.lifecycle import COMPLAINT, SUPPORT, Lifecycle, fire
from helpdesk_kit.tickets import Actor, Agent, StateCategory, Ticket

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SUPERVISOR = Actor.of_agent(Agent(name="Lead", role="supervisor"))
AGENT = Actor.of_agent(Agent(name="Ann"))
CUSTOMER = Actor.customer("c1")


def ticket_in(lc: Lifecycle, state: str, **fields) -> Ticket:
    solved = lc.category(state) is StateCategory.SOLVED
    base = Ticket(
        number=1001,
        subject="s",
        customer_id="c1",
        channel="email",
        status=state,
        lifecycle=lc.name,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        solved_at=NOW - timedelta(hours=1) if solved else None,
        confirmed_at=NOW - timedelta(minutes=30) if solved else None,
    )
    return attrs.evolve(base, **fields)


def all_moves(data):
    lc = Lifecycle.from_dict(data)
    return [(lc, t, s) for t in lc.transitions for s in sorted(t.sources)]


@pytest.mark.parametrize(
    ("lc", "transition", "source"),
    all_moves(SUPPORT) + all_moves(COMPLAINT),
    ids=lambda v: getattr(v, "name", v) if not isinstance(v, str) else v,
)
def test_every_transition_fires(lc, transition, source):
    ticket = ticket_in(lc, source)
    new, events = fire(lc, ticket, transition.name, SUPERVISOR, NOW)
    assert new.status == transition.target
    assert new.updated_at == NOW
    assert events[0].kind == "ticket.transitioned"
    assert events[0].data == {"transition": transition.name, "from": source, "to": new.status}
    old_cat, new_cat = lc.category(source), lc.category(new.status)
    done = (StateCategory.SOLVED, StateCategory.CLOSED)
    if new_cat is StateCategory.SOLVED and old_cat is not StateCategory.SOLVED:
        assert new.solved_at == NOW
    if new_cat is StateCategory.CLOSED:
        assert new.closed_at == NOW
    if old_cat in done and new_cat not in done:
        assert new.reopen_count == ticket.reopen_count + 1
        assert new.solved_at is None
        assert [e.kind for e in events] == ["ticket.transitioned", "ticket.reopened"]
    else:
        assert len(events) == 1


def test_support_happy_path():
    lc = Lifecycle.from_dict(SUPPORT)
    t = ticket_in(lc, "new")
    for name, state in [
        ("open", "open"),
        ("pend", "pending"),
        ("resume", "open"),
        ("hold", "on_hold"),
        ("solve", "solved"),
    ]:
        t, _ = fire(lc, t, name, AGENT, NOW)
        assert t.status == state
    t = attrs.evolve(t, confirmed_at=NOW)
    t, _ = fire(lc, t, "close", AGENT, NOW)
    assert t.status == "closed"
    assert t.closed_at == NOW


def test_close_criteria_guards_explain_themselves():
    lc = Lifecycle.from_dict(SUPPORT)
    unconfirmed = ticket_in(lc, "solved", confirmed_at=None, solved_at=NOW - timedelta(hours=1))
    with pytest.raises(GuardFailed) as info:
        fire(lc, unconfirmed, "close", AGENT, NOW)
    assert info.value.guard == "customer_confirmed_or_timed_out"
    assert "has not confirmed" in info.value.reason
    assert str(info.value).startswith(
        "transition 'close' blocked by guard 'customer_confirmed_or_timed_out'"
    )
    # the customer did not answer within the auto-close window (3 days): the guard passes
    later = NOW + timedelta(days=3)
    closed, _ = fire(lc, unconfirmed, "close", AGENT, later)
    assert closed.status == "closed"
    # open follow-ups block the close
    with pytest.raises(GuardFailed, match="1 follow-up") as info:
        fire(lc, ticket_in(lc, "solved"), "close", AGENT, NOW, facts={"open_followups": 1})
    assert info.value.guard == "no_open_followups"


def test_problem_solved_guard():
    lc = Lifecycle.from_dict(SUPPORT)
    broken = ticket_in(lc, "solved", solved_at=None)
    with pytest.raises(GuardFailed) as info:
        fire(lc, broken, "close", AGENT, NOW)
    assert info.value.guard == "problem_solved"


def test_reopen_window():
    lc = Lifecycle.from_dict(SUPPORT)
    solved = ticket_in(lc, "solved", solved_at=NOW - timedelta(days=8))
    with pytest.raises(GuardFailed, match="reopen window") as info:
        fire(lc, solved, "reopen", CUSTOMER, NOW)
    assert info.value.guard == "within_reopen_window"
    fresh = ticket_in(lc, "solved", solved_at=NOW - timedelta(days=6))
    reopened, events = fire(lc, fresh, "reopen", CUSTOMER, NOW)
    assert reopened.status == "open"
    assert reopened.reopen_count == 1
    assert events[-1].kind == "ticket.reopened"


def test_roles():
    lc = Lifecycle.from_dict(SUPPORT)
    with pytest.raises(PermissionDenied, match="needs role"):
        fire(lc, ticket_in(lc, "open"), "solve", CUSTOMER, NOW)
    complaint = Lifecycle.from_dict(COMPLAINT)
    # only supervisors close complaints
    with pytest.raises(PermissionDenied):
        fire(complaint, ticket_in(complaint, "followed_up"), "close", AGENT, NOW)
    closed, _ = fire(complaint, ticket_in(complaint, "followed_up"), "close", SUPERVISOR, NOW)
    assert closed.status == "closed"
    # the desk itself passes every role check
    done, _ = fire(complaint, ticket_in(complaint, "followed_up"), "close", Actor.system(), NOW)
    assert done.status == "closed"


def test_complaint_process():
    lc = Lifecycle.from_dict(COMPLAINT)
    t = ticket_in(lc, "received")
    path = [
        ("acknowledge", "acknowledged"),
        ("investigate", "investigating"),
        ("propose", "proposed"),
        ("decline", "escalated"),
        ("propose", "proposed"),
    ]
    for name, state in path:
        t, _ = fire(lc, t, name, SUPERVISOR, NOW)
        assert t.status == state
    t, _ = fire(lc, t, "accept", CUSTOMER, NOW)
    assert t.status == "resolved"
    with pytest.raises(TransitionNotAllowed, match=r"allowed: follow_up, reopen"):
        fire(lc, t, "close", SUPERVISOR, NOW)
    t, _ = fire(lc, t, "follow_up", AGENT, NOW)
    t = attrs.evolve(t, confirmed_at=NOW)
    t, _ = fire(lc, t, "close", SUPERVISOR, NOW)
    assert t.status == "closed"


def test_fire_checks_inputs():
    lc = Lifecycle.from_dict(SUPPORT)
    with pytest.raises(InvalidInput, match="naive"):
        fire(lc, ticket_in(lc, "new"), "open", AGENT, datetime(2026, 1, 1))
    other = Lifecycle.from_dict(COMPLAINT)
    with pytest.raises(InvalidInput, match="follows lifecycle 'support'"):
        fire(other, ticket_in(lc, "new"), "acknowledge", AGENT, NOW)
