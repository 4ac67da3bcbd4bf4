"""The WeChat Official Account API: access tokens and customer-service messages.

Later replies (after the 5-second passive window) go through the customer-service message
API (``POST /cgi-bin/message/custom/send``), allowed for 48 hours after the user's last
message. Every call needs an access token; tokens live about two hours, and fetching a new
one invalidates the old one after a grace period, so they are cached (in memory by default,
or in a shared :class:`TokenCache` when several processes call the API) and refreshed a few
minutes before they expire, or at once when WeChat says a token is invalid. The HTTP call
goes through an :class:`HttpTransport`, so tests use a fake.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs

from helpdesk_kit.clock import Clock, SystemClock, to_utc
from helpdesk_kit.errors import ChannelError, ConfigurationError, InvalidInput

__all__ = [
    "API_BASE",
    "HttpResponse",
    "HttpTransport",
    "MemoryTokenCache",
    "TokenCache",
    "UrllibTransport",
    "WeChatApi",
]

API_BASE = "https://api.weixin.qq.com"
#: errcodes meaning "this access token is no good": refresh it and try again once.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
_HINTS = {
    40001: "invalid credential: check the AppSecret, or another server refreshed the token",
    40013: "invalid AppID",
    40125: "invalid AppSecret",
    40164: "this server's IP address is not on the account's IP allow-list",
    45015: "the user has not written for 48 hours (or unfollowed): WeChat allows no reply now",
    45047: "too many replies since the user's last message",
    48001: "the account is not authorised for this API",
    -1: "WeChat is busy; try again later",
}


@attrs.frozen
class HttpResponse:
    """What an HTTP call answered."""

    status: int
    body: bytes


class HttpTransport(Protocol):
    """Makes one HTTP request; a fake in tests, urllib by default."""

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> HttpResponse:
        """Send the request and return the response (raise ``ChannelError`` on network failure)."""
        ...


class UrllibTransport:
    """HTTPS through the standard library's ``urllib``."""

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> HttpResponse:
        """Send the request; network failures become ``ChannelError``."""
        full = url + ("?" + urllib.parse.urlencode(dict(params)) if params else "")
        req = urllib.request.Request(full, data=body, method=method, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return HttpResponse(resp.status, resp.read())
        except urllib.error.HTTPError as exc:
            return HttpResponse(exc.code, exc.read())
        except (urllib.error.URLError, OSError) as exc:
            raise ChannelError(f"cannot reach {urllib.parse.urlsplit(url).netloc}: {exc}") from exc


class TokenCache(Protocol):
    """Where access tokens are kept between calls (shared by processes, if you like)."""

    def get(self, app_id: str) -> tuple[str, datetime] | None:
        """The cached token of ``app_id`` and when it expires, or None."""
        ...

    def set(self, app_id: str, token: str, expires_at: datetime) -> None:
        """Keep a token until ``expires_at``."""
        ...


class MemoryTokenCache:
    """Tokens in this process's memory."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, app_id: str) -> tuple[str, datetime] | None:
        """The cached token, or None."""
        with self._lock:
            return self._tokens.get(app_id)

    def set(self, app_id: str, token: str, expires_at: datetime) -> None:
        """Keep a token."""
        with self._lock:
            self._tokens[app_id] = (token, expires_at)


class WeChatApi:
    """A client of the Official Account API for one account (AppID and AppSecret).

    ``refresh_margin`` is how long before expiry a token is renewed; ``stable=True`` uses
    the ``stable_token`` endpoint (tokens that do not invalidate each other).
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        transport: HttpTransport | None = None,
        clock: Clock | None = None,
        cache: TokenCache | None = None,
        base_url: str = API_BASE,
        refresh_margin: timedelta = timedelta(minutes=5),
        stable: bool = False,
        timeout: float = 10.0,
    ) -> None:
        if not app_id or not app_secret:
            raise ConfigurationError("a WeChat account needs its AppID and AppSecret")
        self.app_id = app_id
        self._secret = app_secret
        self.transport: HttpTransport = transport or UrllibTransport()
        self.clock: Clock = clock or SystemClock()
        self.cache: TokenCache = cache or MemoryTokenCache()
        self.base_url = base_url.rstrip("/")
        self.refresh_margin = refresh_margin
        self.stable = stable
        self.timeout = timeout
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WeChatApi({self.app_id!r})"

    # ------------------------------------------------------------------ tokens

    def access_token(self, *, refresh: bool = False) -> str:
        """A valid access token: cached until ``refresh_margin`` before it expires."""
        with self._lock:
            now = to_utc(self.clock.now())
            if not refresh:
                cached = self.cache.get(self.app_id)
                if cached is not None and cached[1] - self.refresh_margin > now:
                    return cached[0]
            token, lifetime = self._fetch_token(force=refresh)
            self.cache.set(self.app_id, token, now + timedelta(seconds=lifetime))
            return token

    def _fetch_token(self, *, force: bool) -> tuple[str, int]:
        if self.stable:
            body = {
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self._secret,
                "force_refresh": force,
            }
            data = self._json(
                self.transport.request(
                    "POST",
                    f"{self.base_url}/cgi-bin/stable_token",
                    body=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                    timeout=self.timeout,
                ),
                "stable_token",
            )
        else:
            data = self._json(
                self.transport.request(
                    "GET",
                    f"{self.base_url}/cgi-bin/token",
                    params={
                        "grant_type": "client_credential",
                        "appid": self.app_id,
                        "secret": self._secret,
                    },
                    timeout=self.timeout,
                ),
                "token",
            )
        self._check(data, "token")
        token = data.get("access_token")
        lifetime = data.get("expires_in", 7200)
        if not isinstance(token, str) or not token or not isinstance(lifetime, int):
            raise ChannelError(f"WeChat's token answer has no access_token: {data!r}")
        return token, lifetime

    # ------------------------------------------------------------------ calls

    @staticmethod
    def _json(resp: HttpResponse, what: str) -> dict[str, Any]:
        if resp.status != 200:
            raise ChannelError(f"WeChat {what} call failed with HTTP {resp.status}")
        try:
            data = json.loads(resp.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ChannelError(f"WeChat {what} call answered something that is not JSON") from exc
        if not isinstance(data, dict):
            raise ChannelError(f"WeChat {what} call answered {data!r}")
        return data

    @staticmethod
    def _check(data: Mapping[str, Any], what: str) -> None:
        code = data.get("errcode", 0)
        if code in (0, None):
            return
        hint = _HINTS.get(code) if isinstance(code, int) else None
        message = f"WeChat {what} call failed: errcode {code} ({data.get('errmsg', '')})"
        raise ChannelError(message + (f"; {hint}" if hint else ""))

    def call(self, path: str, payload: Mapping[str, Any], *, what: str = "API") -> dict[str, Any]:
        """POST JSON to ``path`` with the access token; refresh it once if WeChat refuses it."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        for attempt in (1, 2):
            token = self.access_token(refresh=attempt == 2)
            data = self._json(
                self.transport.request(
                    "POST",
                    f"{self.base_url}{path}",
                    params={"access_token": token},
                    body=body,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    timeout=self.timeout,
                ),
                what,
            )
            if data.get("errcode") in TOKEN_ERRORS and attempt == 1:
                continue
            self._check(data, what)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    def send_text(self, openid: str, text: str) -> dict[str, Any]:
        """Send a customer-service text message to the user ``openid``."""
        if not openid:
            raise InvalidInput("a customer-service message needs the user's openid")
        if not text.strip():
            raise InvalidInput("a customer-service message needs text")
        return self.call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
            what="customer-service message",
        )

    def send_image(self, openid: str, media_id: str) -> dict[str, Any]:
        """Send an image (already uploaded as media ``media_id``) to the user."""
        return self.call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}},
            what="customer-service message",
        )

    def typing(self, openid: str, typing: bool = True) -> dict[str, Any]:
        """Show (or stop showing) "typing..." to the user."""
        return self.call(
            "/cgi-bin/message/custom/typing",
            {"touser": openid, "command": "Typing" if typing else "CancelTyping"},
            what="typing",
        )
