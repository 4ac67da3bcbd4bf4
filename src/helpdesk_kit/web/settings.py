"""Settings of the web app: secrets, cookie rules, limits."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import attrs

__all__ = ["DEFAULT_UPLOAD_TYPES", "WebSettings"]

#: Upload types accepted by default (checked by the file's first bytes, not its name).
DEFAULT_UPLOAD_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)


def _secret() -> str:
    return secrets.token_urlsafe(32)


@attrs.frozen
class WebSettings:
    """How the web app behaves.

    ``secret_key`` signs session and CSRF cookies (a random one per process by default: set
    it to keep logins across restarts). ``widget_secret`` is shared with the host site to sign
    visitor ids (``sign_visitor``); None accepts anonymous visitors only. ``secure_cookies``
    adds ``Secure`` to cookies (on behind HTTPS). ``frame_ancestors`` are the sites allowed to
    embed the chat widget's frame (CSP ``frame-ancestors``).
    """

    secret_key: str = attrs.field(factory=_secret)
    widget_secret: str | None = None
    secure_cookies: bool = False
    session_max_age: timedelta = timedelta(hours=12)
    default_language: str = "zh"
    frame_ancestors: tuple[str, ...] = ("*",)
    upload_dir: Path | None = None
    upload_max_bytes: int = 5 * 1024 * 1024
    upload_types: frozenset[str] = DEFAULT_UPLOAD_TYPES
    #: Public endpoints: tokens per client IP and route, refilled at ``rate_per_second``.
    rate_burst: int = 30
    rate_per_second: float = 2.0
    #: Desk commands at once in worker threads (0: run them on the event loop, for a desk
    #: in memory whose calls never wait on I/O).
    desk_threads: int = 4
    #: Trust ``X-Forwarded-For`` for the client address (only behind your own proxy).
    trust_forwarded: bool = False
    help_title: str = ""
    contact_email: str | None = None
    contact_phone: str | None = None
