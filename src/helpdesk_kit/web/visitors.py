"""Visitor identity for the widget: an anonymous cookie id, or an id the host site signs.

The host site signs its customer's id with the shared ``widget_secret``::

    sig = sign_visitor(secret, "cust-42", expires_at)

and puts ``data-visitor="cust-42" data-expires="<unix>" data-signature="<sig>"`` on the
widget's script tag. The signature is HMAC-SHA256 over ``"<visitor>|<expires>"``; a forged,
altered or expired signature is refused, so a visitor cannot pretend to be another customer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import datetime

from helpdesk_kit.clock import ensure_aware

__all__ = ["new_anonymous_id", "sign_visitor", "verify_visitor"]

_VISITOR = re.compile(r"^[\x21-\x7e]{1,150}$")


def sign_visitor(secret: str, visitor_id: str, expires: datetime | int) -> str:
    """The host site's signature for ``visitor_id`` valid until ``expires``."""
    exp = expires if isinstance(expires, int) else int(ensure_aware(expires, "expires").timestamp())
    message = f"{visitor_id}|{exp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_visitor(
    secret: str | None, visitor_id: str, expires: str, signature: str, now: float | None = None
) -> bool:
    """Whether the host site signed ``visitor_id`` (and the signature has not expired)."""
    if not secret or not _VISITOR.match(visitor_id or "") or "|" in visitor_id:
        return False
    try:
        exp = int(expires)
    except (TypeError, ValueError):
        return False
    if exp < (time.time() if now is None else now):
        return False
    wanted = sign_visitor(secret, visitor_id, exp)
    return hmac.compare_digest(wanted, (signature or "").lower())


def new_anonymous_id() -> str:
    """A fresh anonymous visitor id (kept in a signed cookie)."""
    return "anon-" + secrets.token_urlsafe(16)
