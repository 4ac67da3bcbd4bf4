"""Authority requests: one asked-for action (a refund of 150 CNY), from request to outcome."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from helpdesk_kit.authority.money import Money
from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.ids import new_id

__all__ = [
    "APPROVAL_REQUESTED",
    "APPROVED",
    "COUNTED",
    "EVENT_KINDS",
    "EXECUTED",
    "FAILED",
    "REJECTED",
    "REQUESTED",
    "AuthorityRequest",
    "RequestStatus",
    "plain_data",
    "window_total",
]

# The events recorded on the ticket (its audit trail).
REQUESTED = "authority.requested"  # data: request_id, action, amount, currency, decision, ...
APPROVAL_REQUESTED = "authority.approval_requested"  # data: request_id, recipients
APPROVED = "authority.approved"  # data: request_id, note
REJECTED = "authority.rejected"  # data: request_id, reason
EXECUTED = "authority.executed"  # data: request_id, result
FAILED = "authority.failed"  # data: request_id, error
EVENT_KINDS = (REQUESTED, APPROVAL_REQUESTED, APPROVED, REJECTED, EXECUTED, FAILED)


class RequestStatus(enum.StrEnum):
    """Where a request stands.

    ``pending``: waiting for an approver. ``executing``: allowed (or approved) and handed to
    the host application's action. ``executed`` / ``failed``: the action's outcome.
    ``rejected``: an approver said no.
    """

    PENDING = "pending"
    EXECUTING = "executing"
    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"


#: Requests whose amounts count against the limit in the window (not failed or rejected).
COUNTED = (RequestStatus.PENDING, RequestStatus.EXECUTING, RequestStatus.EXECUTED)


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


def plain_data(value: Any) -> Any:
    """A JSON-safe copy of host data: Decimal, datetime and other values become text."""
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _dict(value: Any) -> dict[str, Any]:
    # stored the same on every backend (JSON), so compared the same after a round trip
    plain: dict[str, Any] = plain_data(dict(value or {}))
    return plain


@attrs.frozen
class AuthorityRequest:
    """One request to do an action for an amount on a ticket, and what became of it.

    ``requested_by`` is the actor as text (``"agent:<id>"``). ``decision`` says how it was
    decided (see :class:`~helpdesk_kit.authority.policy.Decision`); ``limit`` and ``used``
    are the limit and the amount already counted in the window at that moment.
    """

    ticket_id: str
    customer_id: str
    action: str
    amount: Money
    requested_by: str
    requested_at: datetime = attrs.field(validator=_aware)
    status: RequestStatus = attrs.field(converter=RequestStatus)
    decision: str
    reason: str = ""
    params: dict[str, Any] = attrs.field(factory=dict, converter=_dict, hash=False)
    limit: Money | None = None
    used: Money | None = None
    decided_by: str | None = None
    decided_at: datetime | None = attrs.field(default=None, validator=_aware)
    decision_note: str | None = None
    executed_at: datetime | None = attrs.field(default=None, validator=_aware)
    result: dict[str, Any] = attrs.field(factory=dict, converter=_dict, hash=False)
    error: str | None = None
    version: int = 1
    id: str = attrs.field(factory=new_id)

    @property
    def needs_approval(self) -> bool:
        """True while it waits for an approver."""
        return self.status is RequestStatus.PENDING

    @property
    def counts(self) -> bool:
        """True when its amount counts against the limit (pending, executing or executed)."""
        return self.status in COUNTED


def window_total(requests: Iterable[AuthorityRequest], currency: str) -> Money:
    """The sum of the counted requests' amounts (all in ``currency``)."""
    total = Money.zero(currency)
    for r in requests:
        if r.counts:
            total = total + r.amount
    return total
