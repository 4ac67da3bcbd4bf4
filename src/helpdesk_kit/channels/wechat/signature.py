"""The server-URL signature of a WeChat Official Account: who may call our endpoint.

WeChat signs every request to the server URL with the token set in the account's settings:
``signature = sha1("".join(sorted([token, timestamp, nonce])))`` in hex. The URL check (a
``GET`` with ``echostr``) must answer the ``echostr`` when the signature is right.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from helpdesk_kit.errors import InvalidInput

__all__ = ["check_signature", "sign", "verify_url"]


def sign(token: str, timestamp: str, nonce: str) -> str:
    """The signature WeChat sends for ``token``, ``timestamp`` and ``nonce``."""
    joined = "".join(sorted([token, str(timestamp), str(nonce)]))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def check_signature(
    token: str, signature: str | None, timestamp: str | None, nonce: str | None
) -> bool:
    """True when ``signature`` is WeChat's for these values (compared in constant time)."""
    if not token or not signature or timestamp is None or nonce is None:
        return False
    if (
        not isinstance(signature, str)
        or not isinstance(timestamp, str)
        or not isinstance(nonce, str)
    ):
        return False
    return hmac.compare_digest(sign(token, timestamp, nonce), signature.strip().lower())


def verify_url(token: str, params: Mapping[str, str]) -> str:
    """Answer WeChat's server-URL check: the ``echostr`` when signed, else ``InvalidInput``."""
    if not check_signature(
        token, params.get("signature"), params.get("timestamp"), params.get("nonce")
    ):
        raise InvalidInput("the WeChat signature does not match: check the account's token")
    echo = params.get("echostr")
    if not echo:
        raise InvalidInput("the WeChat URL check has no echostr")
    return echo
