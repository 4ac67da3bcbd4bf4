"""Signed form tokens: when a form was shown, carried in a hidden field, checked on submit.

The minimum fill time of a form needs the instant the form was rendered; a token signed with
a server secret carries it through the browser without a server-side session.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput

__all__ = ["form_token_time", "issue_form_token"]

_DEFAULT_MAX_AGE = timedelta(hours=24)


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(key) < 16:
        raise InvalidInput("a form secret must be at least 16 bytes long")
    return key


def _sign(key: bytes, form: str, millis: int) -> str:
    return hmac.new(key, f"{form}|{millis}".encode(), hashlib.sha256).hexdigest()[:32]


def issue_form_token(secret: str | bytes, form: str, now: datetime) -> str:
    """A token saying "form ``form`` was shown at ``now``", for a hidden field."""
    millis = int(ensure_aware(now, "now").timestamp() * 1000)
    return f"{millis}.{_sign(_key(secret), form, millis)}"


def form_token_time(
    token: str | None,
    secret: str | bytes,
    form: str,
    *,
    now: datetime,
    max_age: timedelta = _DEFAULT_MAX_AGE,
) -> datetime | None:
    """When the form was shown, or None if the token is missing, forged, for another form,
    from the future or older than ``max_age``."""
    key = _key(secret)
    if not token or not isinstance(token, str) or token.count(".") != 1:
        return None
    stamp, mac = token.split(".")
    if not stamp.isdigit() or len(stamp) > 16:
        return None
    millis = int(stamp)
    if not hmac.compare_digest(mac, _sign(key, form, millis)):
        return None
    shown = datetime.fromtimestamp(millis / 1000, UTC)
    age = ensure_aware(now, "now") - shown
    if age < timedelta(0) or age > max_age:
        return None
    return shown
