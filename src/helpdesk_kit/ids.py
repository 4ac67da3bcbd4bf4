"""Identifiers that sort by creation time, and human ticket numbers."""

from __future__ import annotations

import os
import threading
import time

from helpdesk_kit.errors import InvalidInput

__all__ = ["format_ticket_number", "new_id", "parse_ticket_number"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: sorts like the numbers
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_id() -> str:
    """Return a new 26-character ULID: ids made later sort after ids made earlier.

    Within one process ids are strictly increasing even inside one millisecond;
    across processes they are ordered by millisecond.
    """
    global _last_ms, _last_random
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            rand = _last_random + 1
            if rand >= 1 << 80:  # overflow of the random part: borrow the next millisecond
                ms += 1
                rand = int.from_bytes(os.urandom(10), "big") >> 1
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 1  # leave room to increment
        _last_ms, _last_random = ms, rand
    return _encode(ms, 10) + _encode(rand, 16)


def format_ticket_number(number: int) -> str:
    """Return the human form of a ticket number: ``1042`` -> ``"#1042"``."""
    return f"#{number}"


def parse_ticket_number(text: str | int) -> int:
    """Parse ``"#1042"``, ``"1042"`` or ``1042`` into the number 1042."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text <= 0:
            raise InvalidInput(f"ticket number must be positive, got {text}")
        return text
    raw = str(text).strip().lstrip("#")
    if not raw.isdigit() or not raw.isascii():
        raise InvalidInput(f"not a ticket number: {text!r} (expected e.g. '#1042')")
    value = int(raw)
    if value <= 0:
        raise InvalidInput(f"ticket number must be positive, got {text!r}")
    return value
