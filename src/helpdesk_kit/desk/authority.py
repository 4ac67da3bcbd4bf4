"""Desk commands for authority limits (mixed into :class:`~helpdesk_kit.Helpdesk`).

``request_action`` either runs the host application's action at once (within the actor's
limit) or records an approval request that a supervisor approves or rejects. The flow, each
step its own unit of work so the host's side effect never runs inside an open transaction:

1. **Decide and reserve.** Under a lock on (actor, action), sum the actor's counted requests
   in the window, ask the ``check_authority`` hook, apply the limits, store the request as
   ``executing`` (allowed) or ``pending`` (needs approval) and record the events. From here
   on its amount counts against the limit, so a concurrent request sees it.
2. **Execute** (allowed or approved): call the host's action outside any transaction, with
   the request (its id is an idempotency key).
3. **Record the outcome**: ``executed`` with the host's result, or ``failed`` with the error
   (a failed request no longer counts). A crash between 2 and 3 leaves the request
   ``executing``: it keeps counting, and ``authority_requests(status=["executing"])`` finds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.authority.money import Money
from helpdesk_kit.authority.policy import ActionRule, AuthorityPolicy, Decision, decide
from helpdesk_kit.authority.request import (
    APPROVAL_REQUESTED,
    APPROVED,
    EXECUTED,
    FAILED,
    REJECTED,
    REQUESTED,
    AuthorityRequest,
    RequestStatus,
    window_total,
)
from helpdesk_kit.desk.retry import retry_on_conflict
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import (
    ActionFailed,
    ConfigurationError,
    CurrencyMismatch,
    InvalidDefinition,
    InvalidInput,
    PermissionDenied,
    PluginError,
)
from helpdesk_kit.plugins import collect_named
from helpdesk_kit.tickets.model import Actor, Agent, AuthorKind, Customer, Ticket, TicketEvent

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk, TicketRef

__all__ = ["AuthorityAction", "AuthorityCommands", "AuthorityUsage"]

log = logging.getLogger("helpdesk_kit")

#: ``action(desk, request)`` does the work in the host application and returns a mapping
#: recorded with the ``authority.executed`` event (or None). Raising, or returning a mapping
#: with ``ok`` false, is a failure: the request is recorded as failed.
AuthorityAction = Callable[[Any, AuthorityRequest], Mapping[str, Any] | None]

ActorLike = Actor | Agent | Customer | None


@attrs.frozen
class AuthorityUsage:
    """How much of an actor's limit for an action is used in the current window."""

    action: str
    used: Money
    limit: Money | None
    remaining: Money | None
    has_limit: bool
    window: timedelta
    scope: str


def _desk(obj: object) -> Helpdesk:
    return cast("Helpdesk", obj)


def _money(amount: Any, rule: ActionRule) -> Money:
    if isinstance(amount, Money):
        money = amount
    elif isinstance(amount, str):
        money = Money.parse(amount)
    else:
        raise InvalidInput(
            f"amount must be Money (e.g. Money('150.00', '{rule.currency}')) or text like "
            f"'150.00 {rule.currency}', got {amount!r}"
        )
    if money.currency != rule.currency:
        raise CurrencyMismatch(
            f"{rule.name} limits are in {rule.currency}, the amount is {money}; "
            "helpdesk_kit never converts currencies"
        )
    if not money.is_positive:
        raise InvalidInput(f"a {rule.name} needs an amount above zero, got {money}")
    return money


def _agent_id(actor_text: str) -> str | None:
    kind, _, ident = actor_text.partition(":")
    return ident if kind == AuthorKind.AGENT.value and ident else None


def _outcome(value: Any) -> tuple[bool, dict[str, Any], str | None]:
    if value is None:
        return True, {}, None
    if isinstance(value, Mapping):
        result = dict(value)
        if result.get("ok", True) is False:
            error = result.get("error") or result.get("text") or "the action reported a failure"
            return False, result, str(error)
        return True, result, None
    return True, {"value": str(value)}, None


class AuthorityCommands:
    """Authority limits, approval requests and the host's actions on a desk."""

    _authority_policy: AuthorityPolicy | None = None
    _authority_actions: dict[str, AuthorityAction] | None = None

    # ------------------------------------------------------------------ set-up

    @property
    def authority_actions(self) -> dict[str, AuthorityAction]:
        """The host's actions by name: from ``register_authority_actions`` hooks and
        :meth:`add_authority_action`."""
        if self._authority_actions is None:
            desk = _desk(self)
            self._authority_actions = collect_named(
                desk.hook.register_authority_actions, "authority action"
            )
        return self._authority_actions

    def add_authority_action(
        self, name: str, action: AuthorityAction, *, replace: bool = False
    ) -> None:
        """Register the host's callable for ``name`` (instead of a plugin hook)."""
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"an action name must be non-empty text, got {name!r}")
        if not callable(action):
            raise InvalidInput(f"the action {name!r} must be callable, got {action!r}")
        if name in self.authority_actions and not replace:
            raise InvalidInput(f"an authority action {name!r} is already registered")
        self.authority_actions[name] = action

    def configure_authority(
        self, policy: AuthorityPolicy | Mapping[str, Any] | str | Path
    ) -> AuthorityPolicy:
        """Set the authority limits: a policy, its dict form, TOML text or a ``.toml`` path.

        Every action of the policy needs a host callable (``register_authority_actions``
        hook or :meth:`add_authority_action`); missing ones are an ``InvalidDefinition``.
        """
        if isinstance(policy, AuthorityPolicy):
            loaded = policy
        elif isinstance(policy, Mapping):
            loaded = AuthorityPolicy.from_dict(policy)
        elif isinstance(policy, Path) or (isinstance(policy, str) and policy.endswith(".toml")):
            loaded = AuthorityPolicy.load(policy)
        elif isinstance(policy, str):
            loaded = AuthorityPolicy.from_toml(policy)
        else:
            raise InvalidInput(f"not an authority policy: {policy!r}")
        missing = [a for a in loaded.actions if a not in self.authority_actions]
        if missing:
            raise InvalidDefinition(
                "authority policy",
                [
                    f"action {a!r} has no host callable; register one with the "
                    "register_authority_actions hook or desk.add_authority_action()"
                    for a in missing
                ],
            )
        self._authority_policy = loaded
        return loaded

    @property
    def authority_policy(self) -> AuthorityPolicy:
        """The configured policy; ``ConfigurationError`` before :meth:`configure_authority`."""
        if self._authority_policy is None:
            raise ConfigurationError(
                "no authority policy: call desk.configure_authority(...) first"
            )
        return self._authority_policy

    def _action(self, name: str) -> AuthorityAction:
        try:
            return self.authority_actions[name]
        except KeyError:
            raise ConfigurationError(
                f"no host callable for the authority action {name!r}; register one with the "
                "register_authority_actions hook or desk.add_authority_action()"
            ) from None

    # ------------------------------------------------------------------ requests

    def request_action(
        self,
        ticket: TicketRef,
        action: str,
        *,
        amount: Money | str,
        actor: ActorLike,
        reason: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> AuthorityRequest:
        """Do ``action`` for ``amount`` on a ticket, or ask for approval when it is above
        the actor's limit.

        Returns the request: ``executed`` when the host's action ran, ``pending`` when it
        waits for an approver (who is notified). A failing host action raises
        ``ActionFailed`` after the failure is recorded. ``params`` are passed to the host
        action (e.g. the order id).
        """
        desk = _desk(self)
        who = desk._actor(actor)
        if who.kind is AuthorKind.CUSTOMER:
            raise PermissionDenied(f"{who} cannot request a {action}")
        if not isinstance(reason, str):
            raise InvalidInput(f"reason must be text, got {reason!r}")
        rule = self.authority_policy.rule(action)
        money = _money(amount, rule)
        self._action(action)
        extra = dict(params or {})

        def decide_and_reserve() -> tuple[AuthorityRequest, Ticket, list[str], Decision]:
            with desk._work() as work:
                # Take the lock before reading anything, so the window sum below sees every
                # request of this actor committed before us and none can slip in between.
                work.uow.authority.lock(str(who), action)
                t = desk._load_ticket(work, ticket)
                desk._check_not_merged(t)
                decision = self._decide(work, rule, who, money, t)
                request = AuthorityRequest(
                    ticket_id=t.id,
                    customer_id=t.customer_id,
                    action=action,
                    amount=money,
                    requested_by=str(who),
                    requested_at=work.now,
                    status=RequestStatus.EXECUTING if decision.allowed else RequestStatus.PENDING,
                    decision=decision.outcome,
                    reason=reason,
                    params=extra,
                    limit=decision.limit,
                    used=decision.used,
                )
                events = [
                    self._authority_event(
                        work,
                        t,
                        REQUESTED,
                        who,
                        request,
                        decision=decision.outcome,
                        allowed=decision.allowed,
                        reason=reason,
                        limit=None if decision.limit is None else str(decision.limit),
                        used=str(decision.used),
                        window=int(rule.window.total_seconds()),
                        scope=rule.scope,
                        message=decision.message,
                    )
                ]
                recipients: list[str] = []
                if not decision.allowed:
                    recipients = self._approvers(work, t, rule, money)
                    events.append(
                        self._authority_event(
                            work, t, APPROVAL_REQUESTED, who, request, recipients=recipients
                        )
                    )
                # Events first: appending takes the ticket's row lock (PostgreSQL) before the
                # request's foreign key takes a share lock on it; the other order lets two
                # requests on one ticket deadlock (each holding a share lock, both wanting
                # the row).
                work.record(events)
                work.uow.authority.add(request)
                return request, t, recipients, decision

        request, t, recipients, decision = retry_on_conflict(decide_and_reserve)
        if request.status is RequestStatus.PENDING:
            self._notify(
                "authority.approval_requested",
                subject=f"Approval needed: {action} of {money} on {t.ref}",
                text=(
                    f"{who} asks to {action} {money} on ticket {t.ref}"
                    + (f" ({reason})" if reason else "")
                    + f". {decision.message}. Request {request.id}."
                ),
                ticket=t,
                recipients=recipients,
            )
            return request
        return self._execute(request, who)

    def _decide(
        self, work: Work, rule: ActionRule, who: Actor, money: Money, ticket: Ticket
    ) -> Decision:
        desk = _desk(self)
        since = work.now - rule.window
        counted = work.uow.authority.counted(
            str(who),
            rule.name,
            since,
            customer_id=ticket.customer_id if rule.scope == "customer" else None,
            ticket_id=ticket.id if rule.scope == "ticket" else None,
        )
        used = window_total(
            (r for r in counted if r.amount.currency == rule.currency), rule.currency
        )
        verdict = desk.hook.check_authority(
            desk=desk, actor=who, action=rule.name, amount=money, ticket=ticket
        )
        if verdict is None:
            return decide(rule, who.roles, money, used)
        if verdict is True:
            _, limit = rule.limit_for(who.roles)
            return Decision(
                True, "hook_allowed", used, limit, "the check_authority hook allowed it"
            )
        if verdict is False:
            _, limit = rule.limit_for(who.roles)
            return Decision(
                False,
                "hook_requires_approval",
                used,
                limit,
                "the check_authority hook asks for approval",
            )
        raise PluginError(f"check_authority must return True, False or None, got {verdict!r}")

    def _approvers(self, work: Work, ticket: Ticket, rule: ActionRule, amount: Money) -> list[str]:
        """Who to notify: the group's supervisor if they may approve, else every approver."""
        agents = work.uow.agents.list()
        able = [a for a in agents if rule.approval_problem(a.roles, amount) is None]
        if ticket.group_id is not None:
            group = work.uow.groups.get(ticket.group_id)
            if group.supervisor_id is not None and any(a.id == group.supervisor_id for a in able):
                return [group.supervisor_id]
        return [a.id for a in able]

    @staticmethod
    def _authority_event(
        work: Work,
        ticket: Ticket,
        kind: str,
        who: Actor,
        request: AuthorityRequest,
        **data: Any,
    ) -> TicketEvent:
        base: dict[str, Any] = {
            "request_id": request.id,
            "action": request.action,
            "amount": format(request.amount.amount, "f"),
            "currency": request.amount.currency,
        }
        base.update(data)
        return TicketEvent(ticket.id, kind, work.now, str(who), base)

    def _execute(self, request: AuthorityRequest, who: Actor) -> AuthorityRequest:
        desk = _desk(self)
        action = self._action(request.action)
        try:
            ok, result, error = _outcome(action(desk, request))
        except Exception as exc:  # the host's failure is recorded, not lost
            log.exception("authority action %s failed for request %s", request.action, request.id)
            ok, result, error = False, {}, f"{type(exc).__name__}: {exc}"

        def record() -> AuthorityRequest:
            with desk._work() as work:
                current = work.uow.authority.get(request.id)
                if current.status is not RequestStatus.EXECUTING:
                    return current
                done = attrs.evolve(
                    current,
                    status=RequestStatus.EXECUTED if ok else RequestStatus.FAILED,
                    executed_at=work.now if ok else None,
                    result=result,
                    error=error,
                    version=current.version + 1,
                )
                work.uow.authority.update(done, expected_version=current.version)
                t = work.ticket(current.ticket_id)
                data: dict[str, Any] = {"result": done.result} if ok else {"error": error}
                work.record(
                    [self._authority_event(work, t, EXECUTED if ok else FAILED, who, done, **data)]
                )
                return done

        final = retry_on_conflict(record)
        if not ok:
            raise ActionFailed(
                f"the {request.action} of {request.amount} failed in the host application: "
                f"{error} (request {request.id} is recorded as failed; it no longer counts "
                "against the limit)",
                final,
            )
        return final

    # ------------------------------------------------------------------ decisions

    def approve(
        self, request_id: str, *, actor: ActorLike, note: str | None = None
    ) -> AuthorityRequest:
        """Approve a pending request and run its action.

        The approver needs one of the rule's approver roles (and an approval limit covering
        the amount, if the rule sets one) and may not be the requester: else
        ``PermissionDenied``. Of two approvers at once, one wins; the other gets
        ``InvalidInput`` (no longer pending).
        """
        desk = _desk(self)
        who = desk._actor(actor)

        def decide_once() -> AuthorityRequest:
            with desk._work() as work:
                current = self._decidable(work, request_id, who, "approve")
                approved = attrs.evolve(
                    current,
                    status=RequestStatus.EXECUTING,
                    decided_by=str(who),
                    decided_at=work.now,
                    decision_note=note,
                    version=current.version + 1,
                )
                work.uow.authority.update(approved, expected_version=current.version)
                t = work.ticket(current.ticket_id)
                work.record([self._authority_event(work, t, APPROVED, who, approved, note=note)])
                return approved

        approved = retry_on_conflict(decide_once)
        try:
            return self._execute(approved, who)
        finally:
            self._notify_requester(approved, "approved", note)

    def reject(self, request_id: str, *, actor: ActorLike, reason: str) -> AuthorityRequest:
        """Reject a pending request (it stops counting against the limit); a reason is required."""
        desk = _desk(self)
        who = desk._actor(actor)
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("rejecting needs a reason the requester can read")

        def decide_once() -> AuthorityRequest:
            with desk._work() as work:
                current = self._decidable(work, request_id, who, "reject")
                rejected = attrs.evolve(
                    current,
                    status=RequestStatus.REJECTED,
                    decided_by=str(who),
                    decided_at=work.now,
                    decision_note=reason,
                    version=current.version + 1,
                )
                work.uow.authority.update(rejected, expected_version=current.version)
                t = work.ticket(current.ticket_id)
                work.record(
                    [self._authority_event(work, t, REJECTED, who, rejected, reason=reason)]
                )
                return rejected

        rejected = retry_on_conflict(decide_once)
        self._notify_requester(rejected, "rejected", reason)
        return rejected

    def _decidable(self, work: Work, request_id: str, who: Actor, verb: str) -> AuthorityRequest:
        current = work.uow.authority.get(request_id)
        rule = self.authority_policy.rule(current.action)
        problem = rule.approval_problem(who.roles, current.amount)
        if problem:
            raise PermissionDenied(f"{who} may not {verb} request {request_id}: {problem}")
        if str(who) == current.requested_by:
            raise PermissionDenied(f"{who} may not {verb} their own request {request_id}")
        if current.status is not RequestStatus.PENDING:
            raise InvalidInput(
                f"request {request_id} is {current.status.value}; only a pending request "
                f"can be {verb}d"
            )
        return current

    def _notify_requester(self, request: AuthorityRequest, verb: str, note: str | None) -> None:
        requester = _agent_id(request.requested_by)
        if requester is None:
            return
        desk = _desk(self)
        self._notify(
            f"authority.{verb}",
            subject=f"Your {request.action} of {request.amount} was {verb}",
            text=(
                f"{request.decided_by} {verb} your {request.action} of {request.amount}"
                + (f": {note}" if note else ".")
            ),
            ticket=desk.get_ticket(request.ticket_id),
            recipients=[requester],
        )

    def _notify(self, kind: str, **fields: Any) -> None:
        """Notify through the hooks; a failing plugin is logged and changes nothing stored."""
        try:
            _desk(self).notify(kind, **fields)
        except Exception:
            log.exception("notify hook failed for %s", kind)

    # ------------------------------------------------------------------ queries

    def get_authority_request(self, request_id: str) -> AuthorityRequest:
        """One request by id."""
        with _desk(self).storage.unit_of_work() as uow:
            return uow.authority.get(request_id)

    def authority_requests(
        self,
        *,
        status: str | Sequence[str] | None = None,
        ticket: TicketRef | None = None,
        actor: ActorLike = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[AuthorityRequest]:
        """Requests by id: ``status="pending"`` is the approval queue."""
        desk = _desk(self)
        statuses = [status] if isinstance(status, str) else status
        if statuses is not None:
            known = {s.value for s in RequestStatus}
            bad = [s for s in statuses if s not in known]
            if bad:
                raise InvalidInput(f"unknown status {bad[0]!r} (statuses: {', '.join(known)})")
        with desk.storage.unit_of_work() as uow:
            ticket_id = None
            if ticket is not None:
                ticket_id = desk._load_ticket(Work(uow, desk.now()), ticket).id
            return uow.authority.list(
                status=statuses,
                ticket_id=ticket_id,
                requested_by=None if actor is None else str(desk._actor(actor)),
                limit=limit,
                after=after,
            )

    def authority_usage(
        self, action: str, *, actor: ActorLike, ticket: TicketRef
    ) -> AuthorityUsage:
        """How much of ``actor``'s limit for ``action`` is used (and left) for this ticket."""
        desk = _desk(self)
        who = desk._actor(actor)
        rule = self.authority_policy.rule(action)
        with desk.storage.unit_of_work() as uow:
            work = Work(uow, desk.now())
            t = desk._load_ticket(work, ticket)
            counted = uow.authority.counted(
                str(who),
                action,
                work.now - rule.window,
                customer_id=t.customer_id if rule.scope == "customer" else None,
                ticket_id=t.id if rule.scope == "ticket" else None,
            )
        used = window_total(
            (r for r in counted if r.amount.currency == rule.currency), rule.currency
        )
        has, limit = rule.limit_for(who.roles)
        remaining = None
        if has and limit is not None:
            left = limit - used
            remaining = left if left.amount > 0 else Money.zero(rule.currency)
        elif not has:
            remaining = Money.zero(rule.currency)
        return AuthorityUsage(action, used, limit, remaining, has, rule.window, rule.scope)
