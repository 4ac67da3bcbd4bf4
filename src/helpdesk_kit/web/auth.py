"""Who is signed in: an adapter to the host application, and a simple built-in one.

A host application passes its own :class:`AuthAdapter` (reading its session, its users and
their roles); ``helpdesk-kit serve`` uses :class:`SimpleAuth`, with users given in code and a
signed session cookie. Roles used by the pages: ``agent``, ``manager``, ``admin``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from helpdesk_kit.web.security import check_csrf, sign, unsign

if TYPE_CHECKING:
    from helpdesk_kit.web.context import WebContext

__all__ = [
    "SESSION_COOKIE",
    "AuthAdapter",
    "SimpleAuth",
    "SimpleUser",
    "WebUser",
    "hash_password",
    "require_user",
    "verify_password",
]

SESSION_COOKIE = "hk_session"
_ITERATIONS = 200_000


def _roles(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class WebUser:
    """A signed-in person: an agent (``agent_id``), a manager or an admin."""

    id: str
    name: str
    roles: frozenset[str] = attrs.field(converter=_roles, default=frozenset())
    agent_id: str | None = None


@runtime_checkable
class AuthAdapter(Protocol):
    """How the web app learns who made a request (the host application's login)."""

    def user(self, request: HTTPConnection) -> WebUser | None:
        """The signed-in user, or None."""
        ...

    def login_url(self, request: HTTPConnection) -> str:
        """Where to send someone who must sign in (may carry a ``next`` parameter)."""
        ...


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted PBKDF2-SHA256 hash of ``password`` to keep in configuration."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` hash."""
    try:
        scheme, rounds, salt, digest = hashed.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


@attrs.frozen
class SimpleUser:
    """A user of :class:`SimpleAuth`: password hash, roles and the desk agent they are."""

    password_hash: str
    roles: frozenset[str] = attrs.field(converter=_roles, default=frozenset({"agent"}))
    agent_id: str | None = None
    name: str = ""


class SimpleAuth:
    """Users given in code, a login form and an HMAC-signed session cookie (stdlib only)."""

    def __init__(self, users: Mapping[str, SimpleUser], secret: str | None = None) -> None:
        self.users = dict(users)
        self.secret = secret
        self.max_age = 12 * 3600

    def _secret(self, conn: HTTPConnection) -> str:
        if self.secret is not None:
            return self.secret
        secret: str = conn.app.state.web.settings.secret_key
        return secret

    def user(self, request: HTTPConnection) -> WebUser | None:
        """The user named by a valid session cookie."""
        data = unsign(self._secret(request), "session", request.cookies.get(SESSION_COOKIE))
        if data is None:
            return None
        login = data.get("u")
        if not isinstance(login, str):
            return None
        found = self.users.get(login)
        if found is None or data.get("h") != found.password_hash[-12:]:
            return None  # unknown now, or the password changed since
        return WebUser(login, found.name or login, found.roles, found.agent_id)

    def login_url(self, request: HTTPConnection) -> str:
        """The built-in login page, coming back to the current page."""
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return f"{request.scope.get('root_path', '')}/login?next={quote(target, safe='')}"

    def authenticate(self, login: str, password: str) -> bool:
        """Whether the login and password match a user."""
        found = self.users.get(login)
        if found is None:
            verify_password(password, hash_password("x", salt=b"0" * 16))  # same time either way
            return False
        return verify_password(password, found.password_hash)

    def session_cookie(self, conn: HTTPConnection, login: str) -> str:
        """The signed session cookie value for ``login``."""
        found = self.users[login]
        payload = {
            "u": login,
            "h": found.password_hash[-12:],
            "exp": int(time.time()) + self.max_age,
        }
        return sign(self._secret(conn), "session", payload)

    def routes(self, ctx: WebContext) -> list[BaseRoute]:
        """``/login`` (form and post) and ``/logout``."""

        async def login_page(request: Request) -> Response:
            if request.method == "POST":
                ctx.limiter.check(request, "login")
                await check_csrf(request)
                form = await request.form()
                login = str(form.get("login", ""))[:200]
                password = str(form.get("password", ""))[:1000]
                target = _local_target(str(form.get("next", "") or "/desk"))
                if self.authenticate(login, password):
                    response = RedirectResponse(target, status_code=303)
                    response.set_cookie(
                        SESSION_COOKIE,
                        self.session_cookie(request, login),
                        max_age=self.max_age,
                        httponly=True,
                        samesite="lax",
                        secure=ctx.settings.secure_cookies,
                    )
                    return response
                return ctx.render(
                    request, "login.html", status=401, next=target, error=True, login=login
                )
            target = _local_target(request.query_params.get("next", "/desk"))
            return ctx.render(request, "login.html", next=target, error=False, login="")

        async def logout(request: Request) -> Response:
            await check_csrf(request)
            response = RedirectResponse("/login", status_code=303)
            response.delete_cookie(SESSION_COOKIE)
            return response

        return [
            Route("/login", login_page, methods=["GET", "POST"], name="login"),
            Route("/logout", logout, methods=["POST"], name="logout"),
        ]


def _local_target(target: str) -> str:
    """Only paths on this site (no ``//host`` or ``scheme:``): no open redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/desk"
    return target


def _wants_json(request: HTTPConnection) -> bool:
    accept = request.headers.get("accept", "")
    return (
        request.scope["type"] == "websocket"
        or "/api/" in request.url.path
        or ("application/json" in accept and "text/html" not in accept)
    )


def require_user(ctx: WebContext, request: HTTPConnection, *roles: str) -> WebUser:
    """The signed-in user having one of ``roles`` (any role when none are given).

    Nobody signed in: a redirect to the login page (303) for pages, 401 for the API.
    Signed in without the role: 403.
    """
    user = ctx.auth.user(request)
    if user is None:
        if _wants_json(request):
            raise HTTPException(401, "sign in first")
        raise HTTPException(303, "sign in first", headers={"Location": ctx.auth.login_url(request)})
    if roles and not (user.roles & set(roles)):
        raise HTTPException(403, f"this page needs one of the roles: {', '.join(roles)}")
    return user
