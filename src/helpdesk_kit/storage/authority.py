"""The storage port for authority requests (refunds, coupons, ... and their approvals)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from helpdesk_kit.authority.request import AuthorityRequest

__all__ = ["AuthorityRepository"]


class AuthorityRepository(Protocol):
    """Authority requests, with optimistic versioning like tickets."""

    def add(self, request: AuthorityRequest) -> AuthorityRequest:
        """Store a new request; ``AlreadyExists`` if its id is taken."""
        ...

    def get(self, request_id: str) -> AuthorityRequest:
        """The request; ``NotFound`` if there is none."""
        ...

    def update(self, request: AuthorityRequest, *, expected_version: int) -> AuthorityRequest:
        """Store ``request`` if the stored version is ``expected_version``.

        ``ConcurrencyConflict`` otherwise (two approvers at once: one wins).
        ``request.version`` must be ``expected_version + 1``.
        """
        ...

    def counted(
        self,
        requested_by: str,
        action: str,
        since: datetime,
        *,
        customer_id: str | None = None,
        ticket_id: str | None = None,
    ) -> list[AuthorityRequest]:
        """The actor's pending, executing and executed requests for ``action`` at or after
        ``since`` (for one customer and/or one ticket when given): what counts against a limit.
        """
        ...

    def lock(self, requested_by: str, action: str) -> None:
        """Hold (actor, action) until the unit of work ends, so limit checks take turns.

        Two requests of one actor checked at once could both see room under the limit. A
        backend with concurrent writers locks a row for the pair (``SELECT ... FOR UPDATE``);
        one that serializes units of work does nothing.
        """
        ...

    def list(
        self,
        *,
        status: Sequence[str] | None = None,
        ticket_id: str | None = None,
        requested_by: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[AuthorityRequest]:
        """Requests matching every given criterion, ordered by id, from the one after ``after``."""
        ...
