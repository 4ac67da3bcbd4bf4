"""What every page module needs: the desk, the login adapter, templates, the hub, texts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import attrs
import jinja2
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.web.auth import AuthAdapter
from helpdesk_kit.web.hub import Hub
from helpdesk_kit.web.i18n import LANG_COOKIE, Translations, pick_language
from helpdesk_kit.web.security import RateLimiter, csrf_token
from helpdesk_kit.web.settings import WebSettings

__all__ = ["WebContext"]

T = TypeVar("T")


@attrs.define
class WebContext:
    """The app's shared parts, handed to each page module's ``routes(ctx)``."""

    desk: Helpdesk
    auth: AuthAdapter
    templates: jinja2.Environment
    hub: Hub
    i18n: Translations
    settings: WebSettings
    limiter: RateLimiter
    chat: Any = None  # the desk's ChatChannel (set by create_app)
    uploads: Any = None  # the UploadStore (set by create_app)
    _limit: anyio.CapacityLimiter | None = None

    def language(self, request: HTTPConnection) -> str:
        """The language of this request (``zh`` or ``en``)."""
        return pick_language(request, self.settings.default_language)

    def translator(self, lang: str) -> Callable[..., str]:
        """``t(key, **values)`` in ``lang``, for templates and code."""
        return functools.partial(self.i18n.get, lang)

    def render(
        self, request: HTTPConnection, template: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        """Render a template with ``user``, ``csrf_token``, ``lang`` and ``t`` filled in."""
        lang = self.language(request)
        page = self.templates.get_template(template).render(
            request=request,
            user=self.auth.user(request),
            csrf_token=csrf_token(request),
            lang=lang,
            t=self.translator(lang),
            root=request.scope.get("root_path", ""),
            **values,
        )
        response = HTMLResponse(page, status_code=status)
        if request.query_params.get("lang") == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a (blocking) desk call in a worker thread, ``desk_threads`` at a time.

        With ``desk_threads=0`` the call runs on the event loop itself (for an in-memory
        desk, whose calls never wait on I/O: it saves the hop between threads).
        """
        if self.settings.desk_threads == 0:
            return fn(*args, **kwargs)
        if self._limit is None:
            self._limit = anyio.CapacityLimiter(self.settings.desk_threads)
        return await anyio.to_thread.run_sync(
            functools.partial(fn, *args, **kwargs), limiter=self._limit
        )
