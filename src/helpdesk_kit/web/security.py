"""CSRF tokens, the Content Security Policy, rate limits and signed values.

CSRF: every browser gets a random ``hk_csrf`` cookie; the token a page embeds is an HMAC of
it with the app's secret. A form sends it as the hidden field ``csrf_token``; ``fetch`` sends
it in the ``X-CSRF-Token`` header; a WebSocket (which cannot send headers) in the
``csrf`` query parameter, and its ``Origin`` must be the app's own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "RateLimiter",
    "SecurityMiddleware",
    "check_csrf",
    "check_ws_origin",
    "client_ip",
    "csrf_token",
    "sign",
    "unsign",
]

CSRF_COOKIE = "hk_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, data: str) -> str:
    key = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return _b64(hmac.new(key, data.encode(), hashlib.sha256).digest())


def sign(secret: str, purpose: str, payload: Mapping[str, Any]) -> str:
    """``payload`` as URL-safe text with an HMAC-SHA256 signature for ``purpose``."""
    body = _b64(json.dumps(dict(payload), separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def unsign(secret: str, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The payload ``sign`` made, or None when the value is forged, damaged or expired.

    A payload with ``exp`` (Unix seconds) is refused after that time.
    """
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    exp = data.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp < time.time()):
        return None
    return data


def _secret_of(conn: HTTPConnection) -> str:
    ctx = conn.app.state.web
    secret: str = ctx.settings.secret_key
    return secret


def _seed(conn: HTTPConnection) -> str:
    seed = conn.scope.get("state", {}).get("csrf_seed")
    if isinstance(seed, str):
        return seed
    return conn.cookies.get(CSRF_COOKIE, "")


def csrf_token(request: HTTPConnection) -> str:
    """The CSRF token for this browser, to embed in forms and pages."""
    return _mac(_secret_of(request), "csrf", _seed(request))


def _valid(conn: HTTPConnection, token: str | None) -> bool:
    seed = conn.cookies.get(CSRF_COOKIE, "")
    if not seed or not token:
        return False
    return hmac.compare_digest(token, _mac(_secret_of(conn), "csrf", seed))


async def check_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request without the browser's CSRF token."""
    if request.method in _SAFE:
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    if not _valid(request, token):
        raise HTTPException(403, "CSRF token missing or wrong; reload the page and try again")


def check_ws_origin(conn: HTTPConnection) -> bool:
    """Whether a WebSocket comes from the app's own pages (same origin, right CSRF token)."""
    origin = conn.headers.get("origin")
    if origin is not None:
        host = conn.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            return False
    return _valid(conn, conn.query_params.get("csrf"))


def client_ip(conn: HTTPConnection) -> str:
    """The client's address (``X-Forwarded-For`` only when the settings trust it)."""
    if conn.app.state.web.settings.trust_forwarded:
        forwarded = conn.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return conn.client.host if conn.client else "unknown"


class RateLimiter:
    """Token buckets per (client, route): ``burst`` at once, refilled at ``rate`` a second."""

    def __init__(
        self, burst: int, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.rate = rate
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, route: str, cost: float = 1.0) -> float:
        """0 when the call may go ahead, else the seconds to wait before trying again."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get((client, route), (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= cost:
                self._buckets[(client, route)] = (tokens - cost, now)
                if len(self._buckets) > 100_000:
                    self._prune(now)
                return 0.0
            self._buckets[(client, route)] = (tokens, now)
            return (cost - tokens) / self.rate if self.rate > 0 else 3600.0

    def _prune(self, now: float) -> None:
        full = self.burst / self.rate if self.rate > 0 else 0
        for key, (_tokens, at) in list(self._buckets.items()):
            if now - at > full:
                del self._buckets[key]

    def check(self, conn: HTTPConnection, route: str) -> None:
        """Raise HTTP 429 (with Retry-After) when ``conn``'s client is over the limit."""
        wait = self.allow(client_ip(conn), route)
        if wait:
            raise HTTPException(
                429, "too many requests; slow down", headers={"Retry-After": str(int(wait) + 1)}
            )


def content_security_policy(frame_ancestors: str = "'self'") -> str:
    """The CSP of every page: scripts and styles only from the app itself, no inline script."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {frame_ancestors}"
    )


class SecurityMiddleware:
    """Sets the CSRF cookie, the CSP and the other protective headers on every response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secure_cookies: bool = False,
        embeddable: Callable[[str], bool] = lambda path: False,
        frame_ancestors: tuple[str, ...] = ("*",),
    ) -> None:
        self.app = app
        self.secure_cookies = secure_cookies
        self.embeddable = embeddable
        self.frame_ancestors = " ".join(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        fresh = None
        if not conn.cookies.get(CSRF_COOKIE):
            fresh = secrets.token_urlsafe(24)
            scope.setdefault("state", {})["csrf_seed"] = fresh
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        embed = self.embeddable(path)
        csp = content_security_policy(self.frame_ancestors if embed else "'self'")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not embed:
                    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
                if fresh is not None:
                    same_site = "None" if embed and self.secure_cookies else "Lax"
                    cookie = f"{CSRF_COOKIE}={fresh}; Path=/; HttpOnly; SameSite={same_site}"
                    if self.secure_cookies:
                        cookie += "; Secure"
                    headers.append("Set-Cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_headers)
