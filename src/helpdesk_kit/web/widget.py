"""The chat widget: the script tag, its frame, the WebSocket and the HTTP fallback.

The host site adds one tag::

    <script src="https://desk.example.com/static/widget.js" data-lang="zh" async></script>

``widget.js`` puts a small launcher in the bottom-right corner; opening it shows the chat in
a frame served by this app (full screen below 600 px wide). The frame talks to the desk over
a WebSocket (``/widget/ws``) and falls back to POST + long polling (``/widget/api/*``) when
WebSockets are blocked. Frames are those of :mod:`helpdesk_kit.channels.webchat.protocol`,
plus ``rate`` (visitor → desk: the CSAT answer) and ``survey`` (desk → visitor: the question,
asked when the chat ends, when the desk's surveys are configured).

Visitor identity: anonymous (a random id in a signed cookie) or signed by the host site
(``data-visitor``, ``data-expires``, ``data-signature``; see
:func:`helpdesk_kit.web.visitors.sign_visitor`). The frame hands its script a signed visitor
token; every widget call carries it (header ``X-Visitor-Token`` or ``?vt=``), which also
protects the widget's endpoints from cross-site requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from helpdesk_kit.channels.webchat import ChatChannel, ChatSession
from helpdesk_kit.channels.webchat.protocol import SessionStatus, message_frame
from helpdesk_kit.errors import HelpdeskError, InvalidInput, NotFound
from helpdesk_kit.tickets.model import (
    Actor,
    AgentStatus,
    AttachmentMeta,
    Identity,
    InboundMessage,
    Ticket,
)
from helpdesk_kit.web.security import sign, unsign
from helpdesk_kit.web.texts import WIDGET_TEXTS
from helpdesk_kit.web.uploads import safe_filename
from helpdesk_kit.web.visitors import new_anonymous_id, verify_visitor

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.web.context import WebContext

__all__ = [
    "VISITOR_COOKIE",
    "Mailbox",
    "embeddable",
    "out_of_hours_promise",
    "routes",
    "visitor_of",
]

log = logging.getLogger("helpdesk_kit.web.widget")

VISITOR_COOKIE = "hk_visitor"
_TOKEN_LIFE = 24 * 3600
_POLL_SECONDS = 20.0

_OFFLINE = {
    "zh": "我们的客服暂时不在线。您的留言已保存为工单 {ref}，我们会尽快回复。",
    "en": "All our agents are offline right now. We saved your message as ticket {ref} "
    "and will answer as soon as we are back.",
}


def out_of_hours_promise(desk: Helpdesk, ticket: Ticket) -> str:
    """What a visitor is told when no agent is online: the SLA promise when there is one."""
    lang = "zh" if (ticket.language or "zh").lower().startswith("zh") else "en"
    text = _OFFLINE[lang].format(ref=ticket.ref)
    try:
        promise = desk.sla_promise(ticket, lang)
    except HelpdeskError:
        promise = None
    return f"{text} {promise}" if promise else text


def embeddable(path: str) -> bool:
    """Whether the page at ``path`` may be framed by other sites (the widget's frame)."""
    return path.startswith("/widget/frame")


class Mailbox:
    """Frames for one visitor, numbered; filled from any thread, read on the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, keep: int = 500) -> None:
        self.loop = loop
        self.keep = keep
        self.seq = 0
        self.frames: list[tuple[int, dict[str, Any]]] = []
        self._event = asyncio.Event()
        self.on_frame: list[Any] = []
        self.sink: Any = None  # the session sink feeding this mailbox

    def put(self, frame: dict[str, Any]) -> None:
        """Add a frame (thread-safe)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._put(frame)
        else:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
                self.loop.call_soon_threadsafe(self._put, frame)

    def _put(self, frame: dict[str, Any]) -> None:
        self.seq += 1
        self.frames.append((self.seq, frame))
        if len(self.frames) > self.keep:
            del self.frames[: len(self.frames) - self.keep]
        event, self._event = self._event, asyncio.Event()
        event.set()
        for callback in self.on_frame:
            callback(frame)

    async def wait(self, after: int, timeout: float) -> list[tuple[int, dict[str, Any]]]:
        """Frames numbered above ``after``, waiting up to ``timeout`` seconds for one."""
        deadline = self.loop.time() + timeout
        while True:
            found = [(s, f) for s, f in self.frames if s > after]
            if found:
                return found
            left = deadline - self.loop.time()
            if left <= 0:
                return []
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), left)


def visitor_of(ctx: WebContext, conn: HTTPConnection) -> str | None:
    """The visitor id a request's visitor token names (None: missing, forged or expired)."""
    token = conn.headers.get("x-visitor-token") or conn.query_params.get("vt")
    data = unsign(ctx.settings.secret_key, "visitor", token)
    if data is None or not isinstance(data.get("v"), str):
        return None
    visitor: str = data["v"]
    return visitor


def _need_visitor(ctx: WebContext, conn: HTTPConnection) -> str:
    visitor = visitor_of(ctx, conn)
    if visitor is None:
        raise HTTPException(401, "the visitor token is missing, forged or expired; reload")
    return visitor


def _agents_online(desk: Helpdesk) -> bool:
    return any(a.status is AgentStatus.ONLINE and a.max_concurrent > 0 for a in desk.agents())


class _Widget:
    """The widget's live state: the chat channel and the visitors' mailboxes."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        chat = ctx.chat
        assert isinstance(chat, ChatChannel)
        self.chat: ChatChannel = chat
        self.polled: dict[str, Mailbox] = {}  # session id -> mailbox (HTTP fallback)

    # -------------------------------------------------------------- sessions
    def connect(
        self, mailbox: Mailbox, visitor: str, session_id: str | None, name: str, lang: str
    ) -> ChatSession:
        """Open or resume a session whose frames go to ``mailbox``."""
        holder: dict[str, ChatSession] = {}

        def sink(frame: dict[str, Any]) -> None:
            mailbox.put(frame)
            if frame.get("type") == "ended" and frame.get("by") != "visitor":
                session = holder.get("s")
                if session is not None:
                    mailbox.loop.call_soon_threadsafe(self._survey_later, session, mailbox)

        mailbox.sink = sink
        session = self.chat.connect(
            self.ctx.desk,
            visitor,
            sink,
            session_id=session_id or None,
            name=name,
            locale=lang,
        )
        holder["s"] = session
        return session

    def _survey_later(self, session: ChatSession, mailbox: Mailbox) -> None:
        async def ask() -> None:
            frame = await self.ctx.run(self.survey, session)
            if frame is not None:
                mailbox.put(frame)

        asyncio.get_running_loop().create_task(ask())

    def session_of(self, visitor: str, session_id: str) -> ChatSession:
        """A live session of this visitor (404 otherwise)."""
        try:
            session = self.chat.session(session_id)
        except NotFound:
            raise HTTPException(404, "no such chat session; connect again") from None
        if session.visitor_id != visitor:
            raise HTTPException(404, "no such chat session; connect again")
        return session

    # -------------------------------------------------------------- frames
    def handle(self, session: ChatSession, data: dict[str, Any]) -> None:
        """One frame from the visitor (runs in a worker thread)."""
        kind = data.get("type")
        if kind == "rate":
            self.rate(session, data)
        elif kind == "end":
            frame = self.survey(session)
            if frame is not None:
                session.emit(frame)
            try:
                self.chat.end(self.ctx.desk, session.id, by="visitor")
            except NotFound:
                session.emit({"type": "ended", "by": "visitor"})
        else:
            session.handle(data)

    def survey(self, session: ChatSession) -> dict[str, Any] | None:
        """The CSAT question for a chat that ends (None: surveys off, or nothing to rate)."""
        desk = self.ctx.desk
        if session.ticket is None or desk._survey_settings is None:
            return None
        try:
            survey = desk.send_survey(session.ticket, actor=Actor.system())
            if survey is None:
                pending = [s for s in desk.surveys(session.ticket) if s.rated_at is None]
                survey = pending[-1] if pending else None
            if survey is None:
                return None
            return {
                "type": "survey",
                "token": desk.survey_token(survey),
                "kind": str(survey.kind.value),
            }
        except HelpdeskError:
            log.exception("chat session %s: no survey", session.id)
            return None

    def rate(self, session: ChatSession, data: dict[str, Any]) -> None:
        """The visitor's CSAT answer."""
        token = data.get("token")
        score = data.get("score")
        comment = data.get("comment")
        if not isinstance(token, str) or not isinstance(score, int) or isinstance(score, bool):
            session.emit({"type": "error", "code": "bad_rating", "message": "a score 1-5"})
            return
        try:
            self.ctx.desk.rate_survey(
                token,
                score,
                comment=comment[:2000] if isinstance(comment, str) and comment.strip() else None,
            )
        except HelpdeskError as exc:
            session.emit({"type": "error", "code": "bad_rating", "message": str(exc)})
            return
        frame = {"type": "rated", "score": score}
        if session.connected:
            session.emit(frame)
        else:  # the chat has ended: answer through the mailbox directly
            session.sink(frame)

    def rate_direct(self, data: dict[str, Any]) -> dict[str, Any]:
        """A CSAT answer sent over HTTP (the chat may have ended): the token authorizes it."""
        answers: list[dict[str, Any]] = []

        class _Answer:
            connected = False

            @staticmethod
            def sink(frame: dict[str, Any]) -> None:
                answers.append(frame)

            emit = sink

        self.rate(_Answer(), data)  # type: ignore[arg-type]
        return answers[0] if answers else {"type": "rated"}

    def upload(self, session: ChatSession, filename: str, data: bytes, root: str) -> None:
        """A file from the visitor: checked, kept, and added to the chat as a message."""
        store = self.ctx.uploads
        stored = store.save(filename, data)
        attachment = AttachmentMeta(
            filename=stored.filename,
            content_type=stored.content_type,
            size=stored.size,
            url=f"{root}/widget/files/{stored.id}",
        )
        inbound = InboundMessage(
            channel=self.chat.name,
            sender=Identity(self.chat.name, session.visitor_id),
            text=f"📎 {stored.filename}",
            sender_name=session.name,
            attachments=(attachment,),
            external_id=f"{session.id}:upload:{stored.id}",
            thread_key=session.id,
            locale=session.locale,
        )
        result = self.ctx.desk.receive(inbound)
        assert result.message is not None
        session.ticket = result.ticket
        frame = message_frame(result.message, session.name)
        session.emit(frame)
        ref = None if result.ticket is None else result.ticket.ref
        self.chat.notify_agents(session.id, {**frame, "ticket": ref})
        if session.status is SessionStatus.NEW:
            session.status = SessionStatus.QUEUED
            session.emit(session.status_frame())


def _frame_page(ctx: WebContext, state: _Widget) -> Any:
    async def frame(request: Request) -> Response:
        ctx.limiter.check(request, "widget.frame")
        lang = ctx.language(request)
        secret = ctx.settings.secret_key
        claimed = request.query_params.get("visitor")
        anonymous = False
        if claimed:
            ok = verify_visitor(
                ctx.settings.widget_secret,
                claimed,
                request.query_params.get("expires", ""),
                request.query_params.get("signature", ""),
            )
            if not ok:
                return ctx.render(request, "widget/refused.html", status=403)
            visitor = f"site:{claimed}"
            life = min(
                _TOKEN_LIFE, max(60, int(request.query_params["expires"]) - int(time.time()))
            )
        else:
            cookie = unsign(secret, "visitor-cookie", request.cookies.get(VISITOR_COOKIE))
            found = None if cookie is None else cookie.get("v")
            visitor = found if isinstance(found, str) else new_anonymous_id()
            anonymous = True
            life = _TOKEN_LIFE
        token = sign(secret, "visitor", {"v": visitor, "exp": int(time.time()) + life})
        online = await ctx.run(_agents_online, ctx.desk)
        texts = ctx.i18n.table(lang, "widget.")
        response = ctx.render(
            request,
            "widget/frame.html",
            visitor_token=token,
            online=online,
            texts_json=json.dumps(texts, ensure_ascii=False),
            max_upload=ctx.settings.upload_max_bytes,
            name=request.query_params.get("name", "")[:200],
        )
        if anonymous:
            secure = ctx.settings.secure_cookies
            response.set_cookie(
                VISITOR_COOKIE,
                sign(secret, "visitor-cookie", {"v": visitor}),
                max_age=365 * 86400,
                httponly=True,
                samesite="none" if secure else "lax",
                secure=secure,
            )
        return response

    return frame


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The widget's routes: frame, WebSocket, fallback API, uploads, a demo host page."""
    ctx.i18n.add(WIDGET_TEXTS)
    state = _Widget(ctx)

    async def socket(ws: WebSocket) -> None:
        origin = ws.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != ws.headers.get("host", ""):
            await ws.close(code=4403)
            return
        visitor = visitor_of(ctx, ws)
        if visitor is None:
            await ws.close(code=4401)
            return
        if ctx.limiter.allow(visitor, "widget.connect"):
            await ws.close(code=4429)
            return
        await ws.accept()
        mailbox = Mailbox(asyncio.get_running_loop())
        lang = ctx.language(ws)
        try:
            session = await ctx.run(
                state.connect,
                mailbox,
                visitor,
                ws.query_params.get("session"),
                ws.query_params.get("name", "")[:200],
                lang,
            )
        except InvalidInput as exc:
            await ws.send_json({"type": "error", "code": "refused", "message": str(exc)})
            await ws.close(code=4400)
            return

        async def pump() -> None:
            sent = 0
            while True:
                for seq, frame in await mailbox.wait(sent, 3600):
                    sent = seq
                    await ws.send_text(json.dumps(frame, ensure_ascii=False))

        sender = asyncio.get_running_loop().create_task(pump())
        try:
            while True:
                text = await ws.receive_text()
                if len(text) > 20_000:
                    mailbox.put({"type": "error", "code": "too_big", "message": "frame too big"})
                    continue
                if ctx.limiter.allow(visitor, "widget.frame"):
                    mailbox.put({"type": "error", "code": "slow_down", "message": "slow down"})
                    continue
                try:
                    data = json.loads(text)
                except ValueError:
                    data = text  # the session answers with a bad_frame error
                if isinstance(data, dict) and data.get("type") == "ping":
                    mailbox.put({"type": "pong"})
                    continue
                await ctx.run(
                    state.handle, session, data if isinstance(data, dict) else {"x": data}
                )
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            if session.sink is mailbox.sink:  # not resumed elsewhere meanwhile
                state.chat.disconnect(session.id)

    async def api_connect(request: Request) -> Response:
        ctx.limiter.check(request, "widget.connect")
        visitor = _need_visitor(ctx, request)
        body = await _json(request)
        wanted = body.get("session")
        old = state.polled.get(wanted) if isinstance(wanted, str) else None
        mailbox = old or Mailbox(asyncio.get_running_loop())
        name = body.get("name")
        try:
            session = await ctx.run(
                state.connect,
                mailbox,
                visitor,
                wanted if isinstance(wanted, str) else None,
                name[:200] if isinstance(name, str) else "",
                ctx.language(request),
            )
        except InvalidInput as exc:
            raise HTTPException(403, str(exc)) from None
        state.polled[session.id] = mailbox
        return JSONResponse({"session": session.id})

    async def api_send(request: Request) -> Response:
        ctx.limiter.check(request, "widget.send")
        visitor = _need_visitor(ctx, request)
        body = await _json(request)
        frame = body.get("frame")
        if isinstance(frame, dict) and frame.get("type") == "rate":
            return JSONResponse(await ctx.run(state.rate_direct, frame))
        session = state.session_of(visitor, str(body.get("session", "")))
        await ctx.run(state.handle, session, frame if isinstance(frame, dict) else {"x": frame})
        return JSONResponse({"ok": True})

    async def api_poll(request: Request) -> Response:
        ctx.limiter.check(request, "widget.poll")
        visitor = _need_visitor(ctx, request)
        session_id = request.query_params.get("session", "")
        mailbox = state.polled.get(session_id)
        if mailbox is None:
            raise HTTPException(404, "no such chat session; connect again")
        with contextlib.suppress(NotFound):
            if state.chat.session(session_id).visitor_id != visitor:
                raise HTTPException(404, "no such chat session; connect again")
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            after = 0
        found = await mailbox.wait(after, _POLL_SECONDS)
        last = found[-1][0] if found else after
        return JSONResponse({"frames": [f for _s, f in found], "last": last})

    async def api_upload(request: Request) -> Response:
        ctx.limiter.check(request, "widget.upload")
        visitor = _need_visitor(ctx, request)
        length = int(request.headers.get("content-length") or 0)
        if length > ctx.settings.upload_max_bytes + 64 * 1024:
            raise HTTPException(413, "the file is too big")
        form = await request.form(max_files=1, max_fields=4)
        session = state.session_of(visitor, str(form.get("session", "")))
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(400, "no file")
        data = await upload.read(ctx.settings.upload_max_bytes + 1)
        name = safe_filename(upload.filename or "file")
        root = request.scope.get("root_path", "")
        try:
            await ctx.run(state.upload, session, name, data, root)
        except InvalidInput as exc:
            raise HTTPException(400, str(exc)) from None
        return JSONResponse({"ok": True})

    async def files(request: Request) -> Response:
        try:
            stored = ctx.uploads.get(request.path_params["upload_id"])
        except NotFound:
            raise HTTPException(404, "no such file") from None
        return FileResponse(
            stored.path,
            media_type=stored.content_type,
            filename=stored.filename,
            content_disposition_type="attachment",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, max-age=3600",
            },
        )

    async def demo(request: Request) -> Response:
        return ctx.render(request, "widget/demo.html")

    return [
        Route("/widget/frame", _frame_page(ctx, state), name="widget_frame"),
        WebSocketRoute("/widget/ws", socket, name="widget_ws"),
        Route("/widget/api/connect", api_connect, methods=["POST"]),
        Route("/widget/api/send", api_send, methods=["POST"]),
        Route("/widget/api/poll", api_poll),
        Route("/widget/api/upload", api_upload, methods=["POST"]),
        Route("/widget/files/{upload_id}", files, name="widget_file"),
        Route("/widget/demo", demo, name="widget_demo"),
    ]


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body
