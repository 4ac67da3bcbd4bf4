"""Keyset-pagination cursors over tickets ordered by (created_at, id)."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.tickets.model import Ticket

__all__ = ["decode_cursor", "encode_cursor", "ticket_sort_key"]


def ticket_sort_key(ticket: Ticket) -> tuple[int, str]:
    """The list order of tickets: creation time in microseconds since the epoch, then id."""
    return (_micros(ticket.created_at), ticket.id)


def _micros(value: datetime) -> int:
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def encode_cursor(ticket: Ticket) -> str:
    """The cursor that continues a list after ``ticket``."""
    micros, ident = ticket_sort_key(ticket)
    return f"{micros}.{ident}"


def decode_cursor(cursor: str) -> tuple[int, str]:
    """Parse a cursor made by :func:`encode_cursor`."""
    micros, sep, ident = str(cursor).partition(".")
    try:
        if not sep or not ident:
            raise ValueError
        return (int(micros), ident)
    except ValueError:
        raise InvalidInput(f"not a valid page cursor: {cursor!r}") from None
