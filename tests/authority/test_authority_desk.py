"""request_action, approvals and the audit trail: every authority case on a desk."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit import Actor, Helpdesk
from helpdesk_kit.authority import Money, RequestStatus
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.errors import (
    ActionFailed,
    ConfigurationError,
    CurrencyMismatch,
    InvalidDefinition,
    InvalidInput,
    PermissionDenied,
    PluginError,
)
from helpdesk_kit.plugins import hookimpl

from .conftest import BACKENDS, POLICY, Payments


def cny(amount):
    return Money(str(amount), "CNY")


def kinds(desk, ticket, prefix="authority."):
    return [e.kind for e in desk.events(ticket) if e.kind.startswith(prefix)]


# ------------------------------------------------------------------ within and above the limit


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_within_limit_runs_the_host_action(desk, team, ticket, payments, helpdesk_clock):
    ann = team["ann"]
    req = desk.request_action(
        ticket,
        "refund",
        amount=cny("150.00"),
        actor=ann,
        reason="屏幕碎了",
        params={"order_id": "SO-2"},
    )
    assert req.status is RequestStatus.EXECUTED
    assert req.decision == "within_limit"
    assert req.result == {"reference": "refund-1"}
    assert req.executed_at == helpdesk_clock.now()
    assert (req.limit, req.used) == (cny(200), cny(0))
    assert [r.params for r in payments.done] == [{"order_id": "SO-2"}]
    assert payments.done[0].status is RequestStatus.EXECUTING  # handed over while executing
    events = [e for e in desk.events(ticket) if e.kind.startswith("authority.")]
    assert [e.kind for e in events] == ["authority.requested", "authority.executed"]
    assert events[0].actor == f"agent:{ann.id}"
    assert events[0].data["amount"] == "150.00"
    assert events[0].data["reason"] == "屏幕碎了"
    assert events[0].data["decision"] == "within_limit"
    assert events[1].data["result"] == {"reference": "refund-1"}
    assert desk.get_authority_request(req.id) == req


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_above_limit_waits_for_approval(desk, team, ticket, payments):
    req = desk.request_action(ticket, "refund", amount=cny(300), actor=team["ann"], reason="x")
    assert req.status is RequestStatus.PENDING
    assert req.decision == "over_limit"
    assert payments.done == []
    assert kinds(desk, ticket) == ["authority.requested", "authority.approval_requested"]
    assert desk.events(ticket)[-1].data["recipients"] == [team["lu"].id]  # group supervisor
    [note] = [n for n in payments.notified if n["kind"] == "authority.approval_requested"]
    assert note["recipients"] == [team["lu"].id]
    assert "refund of 300 CNY" in note["subject"]
    assert note["ticket_id"] == ticket.id
    assert [r.id for r in desk.authority_requests(status="pending")] == [req.id]


def test_without_a_group_supervisor_every_approver_is_notified(desk, team, wang):
    ticket = desk.open_ticket(wang, "no group")
    desk.request_action(ticket, "refund", amount=cny(500), actor=team["ann"])
    recipients = desk.events(ticket)[-1].data["recipients"]
    assert sorted(recipients) == sorted([team["lu"].id, team["mia"].id, team["max"].id])


def test_roles_without_a_limit_always_need_approval(desk, team, ticket):
    req = desk.request_action(ticket, "refund", amount=cny(1), actor=Actor.bot())
    assert (req.status, req.decision) == (RequestStatus.PENDING, "no_limit_for_role")


def test_higher_roles_have_higher_limits(desk, team, ticket):
    assert desk.request_action(ticket, "refund", amount=cny(1500), actor=team["lu"]).status is (
        RequestStatus.EXECUTED
    )
    admin = desk.request_action(ticket, "refund", amount=cny(99999), actor=team["max"])
    assert (admin.status, admin.decision) == (RequestStatus.EXECUTED, "unlimited")


# ------------------------------------------------------------------ no splitting


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_splitting_on_one_ticket_is_caught(desk, team, ticket):
    ann = team["ann"]
    assert desk.request_action(ticket, "refund", amount=cny(100), actor=ann).status == "executed"
    assert desk.request_action(ticket, "refund", amount=cny(100), actor=ann).status == "executed"
    third = desk.request_action(ticket, "refund", amount=cny("0.01"), actor=ann)
    assert (third.status, third.decision, third.used) == ("pending", "over_limit", cny(200))


def test_splitting_across_the_customers_tickets_is_caught(desk, team, wang, ticket):
    ann = team["ann"]
    second = desk.open_ticket(wang, "又一单", group="support")
    desk.request_action(ticket, "refund", amount=cny(150), actor=ann)
    split = desk.request_action(second, "refund", amount=cny(60), actor=ann)
    assert split.status == "pending"
    assert split.used == cny(150)
    other = desk.add_customer("李雷", email="li@example.cn")
    other_ticket = desk.open_ticket(other, "x", group="support")
    assert desk.request_action(other_ticket, "refund", amount=cny(150), actor=ann).status == (
        "executed"
    )


def test_ticket_scope_counts_one_ticket_only(desk, team, wang, ticket):
    ann = team["ann"]
    second = desk.open_ticket(wang, "another", group="support")
    assert desk.request_action(ticket, "coupon", amount=cny(40), actor=ann).status == "executed"
    assert desk.request_action(second, "coupon", amount=cny(40), actor=ann).status == "executed"
    assert desk.request_action(ticket, "coupon", amount=cny(20), actor=ann).status == "pending"


def test_other_actors_and_actions_do_not_count(desk, team, ticket):
    desk.request_action(ticket, "refund", amount=cny(200), actor=team["ann"])
    assert desk.request_action(ticket, "refund", amount=cny(200), actor=team["bo"]).status == (
        "executed"
    )
    assert desk.request_action(ticket, "coupon", amount=cny(50), actor=team["ann"]).status == (
        "executed"
    )


def test_pending_requests_count_rejected_and_failed_do_not(desk, team, ticket, payments):
    ann, lu = team["ann"], team["lu"]
    big = desk.request_action(ticket, "refund", amount=cny(250), actor=ann)
    assert big.status == "pending"
    small = desk.request_action(ticket, "refund", amount=cny(10), actor=ann)
    assert (small.status, small.used) == ("pending", cny(250))  # the pending 250 counts
    desk.reject(big.id, actor=lu, reason="not eligible")
    desk.reject(small.id, actor=lu, reason="ask again")
    payments.fail = "raise"
    with pytest.raises(ActionFailed):
        desk.request_action(ticket, "refund", amount=cny(190), actor=ann)
    payments.fail = None
    after = desk.request_action(ticket, "refund", amount=cny(200), actor=ann)
    assert (after.status, after.used) == ("executed", cny(0))


def test_the_window_moves_on(desk, team, ticket, helpdesk_clock):
    ann = team["ann"]
    desk.request_action(ticket, "refund", amount=cny(200), actor=ann)
    helpdesk_clock.advance(hours=23, minutes=59)
    assert desk.request_action(ticket, "refund", amount=cny(1), actor=ann).status == "pending"
    helpdesk_clock.advance(minutes=2)  # the 200 has left the window; the pending 1 counts
    later = desk.request_action(ticket, "refund", amount=cny(150), actor=ann)
    assert (later.status, later.used) == ("executed", cny(1))
    usage = desk.authority_usage("refund", actor=ann, ticket=ticket)
    assert (usage.used, usage.limit, usage.remaining) == (cny(151), cny(200), cny(49))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.integers(1, 120), st.integers(0, 600), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_executed_amounts_never_exceed_the_limit_in_any_window(steps):
    """Random amounts at random times (some rejected later): in every 24 h window the
    agent's own executed refunds stay within 200 CNY (checked by brute force)."""
    clock = FrozenClock()
    payments = Payments()
    desk = Helpdesk(clock=clock, plugins=[payments], load_entrypoints=False)
    desk.configure_authority(POLICY)
    lu = desk.add_agent("Lu", role="supervisor", status="away")
    ann = desk.add_agent("Ann")
    ticket = desk.open_ticket(desk.add_customer("c", email="c@x.cn"), "t")
    executed = []
    for amount, minutes, reject in steps:
        clock.advance(minutes=minutes)
        req = desk.request_action(ticket, "refund", amount=cny(amount), actor=ann)
        if req.status == "executed":
            executed.append((req.requested_at, amount))
        elif reject:
            desk.reject(req.id, actor=lu, reason="no")
    window = desk.authority_policy.rule("refund").window
    for at, _ in executed:
        inside = sum(a for t, a in executed if at - window <= t <= at)
        assert inside <= 200


# ------------------------------------------------------------------ the check_authority hook


def test_hook_allows_or_requires_approval_first(desk, team, ticket, payments):
    payments.verdict = True
    allowed = desk.request_action(ticket, "refund", amount=cny(5000), actor=team["ann"])
    assert (allowed.status, allowed.decision) == ("executed", "hook_allowed")
    payments.verdict = False
    held = desk.request_action(ticket, "coupon", amount=cny(1), actor=team["ann"])
    assert (held.status, held.decision) == ("pending", "hook_requires_approval")
    payments.verdict = "maybe"
    with pytest.raises(PluginError, match="True, False or None"):
        desk.request_action(ticket, "coupon", amount=cny(1), actor=team["ann"])


# ------------------------------------------------------------------ approve and reject


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_approve_runs_the_action(desk, team, ticket, payments, helpdesk_clock):
    req = desk.request_action(ticket, "refund", amount=cny(300), actor=team["ann"])
    helpdesk_clock.advance(minutes=10)
    done = desk.approve(req.id, actor=team["lu"], note="good customer")
    assert done.status == "executed"
    assert done.decided_by == f"agent:{team['lu'].id}"
    assert done.decided_at == helpdesk_clock.now()
    assert done.decision_note == "good customer"
    assert [r.id for r in payments.done] == [req.id]
    assert kinds(desk, ticket) == [
        "authority.requested",
        "authority.approval_requested",
        "authority.approved",
        "authority.executed",
    ]
    told = [n for n in payments.notified if n["kind"] == "authority.approved"]
    assert told[0]["recipients"] == [team["ann"].id]
    with pytest.raises(InvalidInput, match="is executed; only a pending request"):
        desk.approve(req.id, actor=team["mia"])


def test_approval_needs_the_right(desk, team, ticket):
    req = desk.request_action(ticket, "refund", amount=cny(300), actor=team["ann"])
    with pytest.raises(PermissionDenied, match="needs the role supervisor"):
        desk.approve(req.id, actor=team["bo"])
    with pytest.raises(PermissionDenied):
        desk.approve(req.id, actor=Actor.system())
    with pytest.raises(PermissionDenied):
        desk.reject(req.id, actor=team["bo"], reason="no")
    assert desk.get_authority_request(req.id).status == "pending"


def test_nobody_approves_their_own_request(desk, team, ticket):
    req = desk.request_action(ticket, "refund", amount=cny(3000), actor=team["lu"])
    assert req.status == "pending"
    with pytest.raises(PermissionDenied, match="their own request"):
        desk.approve(req.id, actor=team["lu"])
    assert desk.approve(req.id, actor=team["mia"]).status == "executed"


def test_approval_limits(desk, team, ticket):
    req = desk.request_action(ticket, "compensation", amount=cny(1500), actor=team["ann"])
    assert req.status == "pending"
    assert desk.events(ticket)[-1].data["recipients"] == [team["max"].id]  # only admin may
    with pytest.raises(PermissionDenied, match="above your approval limit of 1000 CNY"):
        desk.approve(req.id, actor=team["lu"])
    assert desk.approve(req.id, actor=team["max"]).status == "executed"


def test_reject_needs_a_reason_and_stops_the_request(desk, team, ticket, payments):
    req = desk.request_action(ticket, "refund", amount=cny(300), actor=team["ann"])
    with pytest.raises(InvalidInput, match="needs a reason"):
        desk.reject(req.id, actor=team["lu"], reason=" ")
    rejected = desk.reject(req.id, actor=team["lu"], reason="outside the return period")
    assert (rejected.status, rejected.decision_note) == ("rejected", "outside the return period")
    assert kinds(desk, ticket)[-1] == "authority.rejected"
    assert desk.events(ticket)[-1].data["reason"] == "outside the return period"
    with pytest.raises(InvalidInput, match="is rejected"):
        desk.approve(req.id, actor=team["lu"])
    assert payments.done == []
    told = [n for n in payments.notified if n["kind"] == "authority.rejected"]
    assert "outside the return period" in told[0]["text"]


# ------------------------------------------------------------------ host failures


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
@pytest.mark.parametrize("how", ["raise", "report"])
def test_host_failure_is_recorded_and_nothing_counts(desk, team, ticket, payments, how):
    payments.fail = how
    with pytest.raises(ActionFailed) as info:
        desk.request_action(ticket, "refund", amount=cny(150), actor=team["ann"])
    failed = info.value.request
    assert failed.status == "failed"
    assert failed.executed_at is None
    error = "payment gateway timed out" if how == "raise" else "card expired"
    assert error in failed.error
    assert error in str(info.value)
    assert kinds(desk, ticket) == ["authority.requested", "authority.failed"]
    assert error in desk.events(ticket)[-1].data["error"]
    assert desk.get_authority_request(failed.id) == failed
    usage = desk.authority_usage("refund", actor=team["ann"], ticket=ticket)
    assert usage.used == cny(0)


def test_failure_after_approval(desk, team, ticket, payments):
    req = desk.request_action(ticket, "refund", amount=cny(300), actor=team["ann"])
    payments.fail = "raise"
    with pytest.raises(ActionFailed):
        desk.approve(req.id, actor=team["lu"])
    assert desk.get_authority_request(req.id).status == "failed"
    assert kinds(desk, ticket)[-2:] == ["authority.approved", "authority.failed"]


# ------------------------------------------------------------------ bad requests


def test_bad_requests(desk, team, ticket, wang):
    ann = team["ann"]
    with pytest.raises(CurrencyMismatch, match="limits are in CNY"):
        desk.request_action(ticket, "refund", amount=Money(10, "USD"), actor=ann)
    with pytest.raises(InvalidInput, match="must be Money"):
        desk.request_action(ticket, "refund", amount=10.0, actor=ann)
    with pytest.raises(InvalidInput, match="must be Money"):
        desk.request_action(ticket, "refund", amount=10, actor=ann)
    with pytest.raises(InvalidInput, match="above zero"):
        desk.request_action(ticket, "refund", amount=cny(0), actor=ann)
    with pytest.raises(InvalidInput, match="above zero"):
        desk.request_action(ticket, "refund", amount=cny(-5), actor=ann)
    with pytest.raises(InvalidInput, match="no authority rule for action 'cashback'"):
        desk.request_action(ticket, "cashback", amount=cny(5), actor=ann)
    with pytest.raises(PermissionDenied):
        desk.request_action(ticket, "refund", amount=cny(5), actor=wang)
    assert desk.request_action(ticket, "refund", amount="5.50 CNY", actor=ann).status == (
        "executed"
    )
    assert desk.authority_requests(ticket=ticket, actor=ann)[0].amount == cny("5.50")
    with pytest.raises(InvalidInput, match="unknown status"):
        desk.authority_requests(status="done")


def test_configuration_errors(helpdesk, payments):
    with pytest.raises(ConfigurationError, match="configure_authority"):
        _ = helpdesk.authority_policy
    with pytest.raises(InvalidDefinition, match="'bonus' has no host callable"):
        helpdesk.configure_authority(
            {"currency": "CNY", "actions": {"bonus": {"limit": "10"}, "refund": {"limit": "1"}}}
        )
    helpdesk.add_authority_action("bonus", lambda desk, request: None)
    with pytest.raises(InvalidInput, match="already registered"):
        helpdesk.add_authority_action("bonus", lambda desk, request: None)
    policy = helpdesk.configure_authority('currency = "CNY"\n[actions.bonus]\nlimit = "10"\n')
    assert policy.actions == ["bonus"]
    customer = helpdesk.add_customer("c", email="c@x.cn")
    ticket = helpdesk.open_ticket(customer, "t")
    req = helpdesk.request_action(ticket, "bonus", amount=cny(5), actor=Actor.system())
    assert (req.status, req.result) == ("executed", {})


def test_the_whole_story_is_in_the_audit_trail(desk, team, ticket, payments):
    ann, lu = team["ann"], team["lu"]
    desk.request_action(ticket, "refund", amount=cny(120), actor=ann)
    held = desk.request_action(ticket, "refund", amount=cny(120), actor=ann)
    desk.approve(held.id, actor=lu)
    no = desk.request_action(ticket, "coupon", amount=cny(60), actor=ann)
    desk.reject(no.id, actor=lu, reason="too much")
    payments.fail = "report"
    with pytest.raises(ActionFailed):
        desk.request_action(ticket, "coupon", amount=cny(10), actor=ann)
    assert kinds(desk, ticket) == [
        "authority.requested",
        "authority.executed",
        "authority.requested",
        "authority.approval_requested",
        "authority.approved",
        "authority.executed",
        "authority.requested",
        "authority.approval_requested",
        "authority.rejected",
        "authority.requested",
        "authority.failed",
    ]
    assert {e.data["request_id"] for e in desk.events(ticket) if e.kind.startswith("auth")} == {
        r.id for r in desk.authority_requests(ticket=ticket)
    }


class BrokenNotifier:
    @hookimpl
    def notify(self, desk, notification):
        raise RuntimeError("mail server down")


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_a_failing_notifier_changes_nothing_stored(helpdesk_storage, helpdesk_clock):
    payments = Payments()
    desk = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        plugins=[payments, BrokenNotifier()],
        load_entrypoints=False,
    )
    desk.configure_authority(POLICY)
    lu = desk.add_agent("Lu", role="supervisor")
    ann = desk.add_agent("Ann")
    ticket = desk.open_ticket(desk.add_customer("c", email="c@x.cn"), "t")
    req = desk.request_action(
        ticket,
        "refund",
        amount=cny(300),
        actor=ann,
        params={"order_id": "SO-1", "total": Decimal("300.00"), "at": helpdesk_clock.now()},
    )
    assert req.status == "pending"
    assert req.params == {
        "order_id": "SO-1",
        "total": "300.00",
        "at": helpdesk_clock.now().isoformat(),
    }
    assert desk.get_authority_request(req.id) == req
    assert desk.approve(req.id, actor=lu).status == "executed"
    assert len(payments.done) == 1
