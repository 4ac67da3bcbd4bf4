"""Signed, expiring survey tokens: ``<survey id>.<expiry>.<signature>``.

The signature is HMAC-SHA256 over the survey id and the expiry (Unix seconds) with the
desk's secret, truncated to 128 bits and base64url-encoded; it is checked with
:func:`hmac.compare_digest`. A token names one survey and works until its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput, InvalidToken

__all__ = ["sign_token", "verify_token"]

_CONTEXT = b"helpdesk_kit.survey.v1\x00"
_SIG_BYTES = 16


def _signature(secret: bytes, survey_id: str, expires: int) -> str:
    mac = hmac.new(secret, _CONTEXT + f"{survey_id}.{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:_SIG_BYTES]).rstrip(b"=").decode("ascii")


def sign_token(secret: bytes, survey_id: str, expires_at: datetime) -> str:
    """Return the token that lets its holder answer survey ``survey_id`` until ``expires_at``."""
    if not survey_id or "." in survey_id:
        raise InvalidInput(f"not a survey id: {survey_id!r}")
    expires = int(ensure_aware(expires_at, "expires_at").timestamp())
    return f"{survey_id}.{expires}.{_signature(secret, survey_id, expires)}"


def verify_token(secret: bytes, token: str, now: datetime) -> str:
    """Return the survey id of a valid token; raise ``InvalidToken`` for a bad or old one."""
    ensure_aware(now, "now")
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 200:
        raise InvalidToken("malformed", "this survey link is malformed; use the link you received")
    survey_id, expires_text, signature = token.split(".")
    if not survey_id or not expires_text.isdigit():
        raise InvalidToken("malformed", "this survey link is malformed; use the link you received")
    expires = int(expires_text)
    expected = _signature(secret, survey_id, expires)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise InvalidToken("signature", "this survey link is not valid (its signature is wrong)")
    if now.timestamp() >= expires:
        when = datetime.fromtimestamp(expires, UTC).isoformat()
        raise InvalidToken("expired", f"this survey link expired at {when}")
    return survey_id
