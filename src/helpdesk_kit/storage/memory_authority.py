"""In-memory repository of authority requests (reference semantics)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk_kit.authority.request import COUNTED, AuthorityRequest
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemoryAuthority"]


class MemoryAuthority:
    """Authority requests by id."""

    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._u = undo
        self._rows: dict[str, AuthorityRequest] = data.extra.setdefault("authority_requests", {})

    def add(self, request: AuthorityRequest) -> AuthorityRequest:
        """Store a new request."""
        if request.id in self._rows:
            raise AlreadyExists("authority request", request.id, request.id)
        self._u.set(self._rows, request.id, request)
        return request

    def get(self, request_id: str) -> AuthorityRequest:
        """The request."""
        try:
            return self._rows[request_id]
        except KeyError:
            raise NotFound("authority request", request_id) from None

    def update(self, request: AuthorityRequest, *, expected_version: int) -> AuthorityRequest:
        """Replace it if the stored version is ``expected_version``."""
        current = self.get(request.id)
        if current.version != expected_version:
            raise ConcurrencyConflict(
                "authority request", request.id, expected_version, current.version
            )
        if request.version != expected_version + 1:
            raise InvalidInput(
                f"authority request {request.id}: new version must be {expected_version + 1}, "
                f"got {request.version}"
            )
        self._u.set(self._rows, request.id, request)
        return request

    def counted(
        self,
        requested_by: str,
        action: str,
        since: datetime,
        *,
        customer_id: str | None = None,
        ticket_id: str | None = None,
    ) -> list[AuthorityRequest]:
        """What counts against the actor's limit in the window."""
        return [
            r
            for _, r in sorted(self._rows.items())
            if r.requested_by == requested_by
            and r.action == action
            and r.requested_at >= since
            and r.status in COUNTED
            and (customer_id is None or r.customer_id == customer_id)
            and (ticket_id is None or r.ticket_id == ticket_id)
        ]

    def lock(self, requested_by: str, action: str) -> None:
        """Nothing to do: a memory unit of work holds the whole store."""

    def list(
        self,
        *,
        status: Sequence[str] | None = None,
        ticket_id: str | None = None,
        requested_by: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[AuthorityRequest]:
        """Matching requests by id."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        wanted = None if status is None else {str(s) for s in status}
        found = [
            r
            for rid, r in sorted(self._rows.items())
            if (after is None or rid > after)
            and (wanted is None or r.status.value in wanted)
            and (ticket_id is None or r.ticket_id == ticket_id)
            and (requested_by is None or r.requested_by == requested_by)
        ]
        return found[:limit]
