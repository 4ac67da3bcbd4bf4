"""The agent workspace: inbox views, the ticket page, replies, notes, macros, live updates.

Pages (role ``agent`` or ``admin``):

* ``/desk`` → ``/desk/inbox/mine``; ``/desk/inbox/{view}`` with ``view`` one of
  :data:`~helpdesk_kit.web.inbox.VIEWS` (``?after=`` is the next page's cursor,
  ``?group=`` picks one of the agent's groups);
* ``/desk/tickets/{number}``: the conversation across channels (notes included), the
  customer's history and orders (the ``customer_context`` hook), macros, knowledge-base
  suggestions with "insert into reply", internal notes, transitions and SLA timers;
* ``POST /desk/tickets/{number}/reply|note|transition|macro|take``: the commands (forms,
  CSRF-checked, answered with a redirect back to the page);
* ``/desk/tickets/{number}/parts``: the changing parts of the page as HTML fragments
  (``desk.js`` swaps them in when the ticket changes) and
  ``/desk/tickets/{number}/macros/{name}``: a macro's reply rendered for the composer;
* ``/desk/live?csrf=..&ticket=..``: the WebSocket that pushes the ticket's and the inbox's
  events and the list of people who have the ticket open (two agents on one ticket see a
  warning).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import attrs
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from helpdesk_kit.errors import HelpdeskError, InvalidInput, NotFound, PermissionDenied
from helpdesk_kit.sla.timers import SlaTimer
from helpdesk_kit.tickets.model import Agent, AgentStatus, AuthorKind, Customer, Message, Ticket
from helpdesk_kit.web.auth import WebUser, require_user
from helpdesk_kit.web.inbox import (
    AT_RISK_COUNT_CAP,
    VIEWS,
    InboxPage,
    count_view,
    inbox_page,
    pick_group,
)
from helpdesk_kit.web.security import check_csrf, check_ws_origin, sign, unsign

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.web.context import WebContext

__all__ = ["DESK_TEXTS", "Presence", "routes", "ticket_parts"]

#: Roles that may use the workspace.
AGENT_ROLES = ("agent", "admin")
PAGE_SIZE = 25
#: How long the numbers beside the view names are reused (counting scans an index; the
#: unassigned and at-risk numbers are shared by every agent, a group's by its members).
COUNTS_TTL = 10.0

DESK_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "desk.title": "Workspace",
        "desk.view.mine": "Mine",
        "desk.view.group": "My group",
        "desk.view.unassigned": "Unassigned",
        "desk.view.at_risk": "SLA at risk",
        "desk.col.ticket": "Ticket",
        "desk.col.subject": "Subject",
        "desk.col.customer": "Customer",
        "desk.col.channel": "Channel",
        "desk.col.status": "Status",
        "desk.col.priority": "Priority",
        "desk.col.due": "SLA due",
        "desk.col.updated": "Updated",
        "desk.empty": "Nothing here. Well done.",
        "desk.next": "Next page",
        "desk.first": "First page",
        "desk.live": "New activity: the list is refreshed.",
        "desk.no_agent": "Your sign-in is not linked to a desk agent: you can read but not answer.",
        "desk.conversation": "Conversation",
        "desk.note": "Internal note",
        "desk.note.placeholder": "Only agents see notes",
        "desk.note.add": "Add note",
        "desk.reply": "Reply",
        "desk.reply.placeholder": "Write to the customer",
        "desk.reply.send": "Send",
        "desk.reply.and": "and then",
        "desk.reply.nothing": "(nothing)",
        "desk.macros": "Macros",
        "desk.macro.insert": "Insert",
        "desk.macro.apply": "Apply",
        "desk.suggestions": "Knowledge base",
        "desk.suggestion.insert": "Insert into reply",
        "desk.suggestion.none": "No article matches this ticket.",
        "desk.transitions": "Actions",
        "desk.take": "Assign to me",
        "desk.sla": "SLA timers",
        "desk.sla.none": "No SLA timer runs on this ticket.",
        "desk.customer": "Customer",
        "desk.history": "Earlier tickets",
        "desk.history.none": "No other tickets.",
        "desk.context": "Orders and account",
        "desk.context.none": "The shop told us nothing about this customer.",
        "desk.presence": "Also working on this ticket: {names}. Agree who answers.",
        "desk.assignee": "Assignee",
        "desk.group": "Group",
        "desk.unassigned": "nobody",
        "desk.author.customer": "Customer",
        "desk.author.bot": "Bot",
        "desk.author.system": "System",
        "desk.note.badge": "note",
        "desk.attachment": "Attachment",
        "desk.done": "Done.",
        "desk.error": "Not done: {error}",
        "desk.sla.active": "running",
        "desk.sla.paused": "paused",
        "desk.sla.met": "met",
        "desk.sla.breached": "breached",
        "desk.sla.stopped": "stopped",
        "desk.metric.first_response": "First response",
        "desk.metric.next_response": "Next response",
        "desk.metric.periodic_update": "Periodic update",
        "desk.metric.resolution": "Resolution",
        "desk.overdue": "overdue",
        "desk.typing": "The customer is typing…",
        "desk.status": "My status",
        "desk.status.set": "Set",
        "desk.status.online": "online",
        "desk.status.away": "away",
        "desk.status.offline": "offline",
    },
    "zh": {
        "desk.title": "工作台",
        "desk.view.mine": "我的工单",
        "desk.view.group": "我的组",
        "desk.view.unassigned": "未分配",
        "desk.view.at_risk": "SLA 即将超时",
        "desk.col.ticket": "工单",
        "desk.col.subject": "主题",
        "desk.col.customer": "客户",
        "desk.col.channel": "渠道",
        "desk.col.status": "状态",
        "desk.col.priority": "优先级",
        "desk.col.due": "SLA 截止",
        "desk.col.updated": "更新时间",
        "desk.empty": "这里没有工单。",
        "desk.next": "下一页",
        "desk.first": "第一页",
        "desk.live": "有新动态，列表已刷新。",
        "desk.no_agent": "您的账号未关联客服坐席：只能查看，不能回复。",
        "desk.conversation": "对话",
        "desk.note": "内部备注",
        "desk.note.placeholder": "只有客服能看到备注",
        "desk.note.add": "添加备注",
        "desk.reply": "回复",
        "desk.reply.placeholder": "回复客户",
        "desk.reply.send": "发送",
        "desk.reply.and": "然后",
        "desk.reply.nothing": "（不变）",
        "desk.macros": "快捷回复",
        "desk.macro.insert": "插入",
        "desk.macro.apply": "执行",
        "desk.suggestions": "知识库",
        "desk.suggestion.insert": "插入回复",
        "desk.suggestion.none": "没有匹配此工单的文章。",
        "desk.transitions": "操作",
        "desk.take": "分配给我",
        "desk.sla": "SLA 计时",
        "desk.sla.none": "此工单没有 SLA 计时。",
        "desk.customer": "客户",
        "desk.history": "历史工单",
        "desk.history.none": "没有其他工单。",
        "desk.context": "订单与账户",
        "desk.context.none": "商城没有此客户的信息。",
        "desk.presence": "{names} 也在处理此工单，请商量由谁回复。",
        "desk.assignee": "处理人",
        "desk.group": "组",
        "desk.unassigned": "无",
        "desk.author.customer": "客户",
        "desk.author.bot": "机器人",
        "desk.author.system": "系统",
        "desk.note.badge": "备注",
        "desk.attachment": "附件",
        "desk.done": "已完成。",
        "desk.error": "未完成：{error}",
        "desk.sla.active": "计时中",
        "desk.sla.paused": "暂停",
        "desk.sla.met": "达标",
        "desk.sla.breached": "超时",
        "desk.sla.stopped": "停止",
        "desk.metric.first_response": "首次回复",
        "desk.metric.next_response": "后续回复",
        "desk.metric.periodic_update": "定期更新",
        "desk.metric.resolution": "解决",
        "desk.overdue": "已超时",
        "desk.typing": "客户正在输入…",
        "desk.status": "我的状态",
        "desk.status.set": "设置",
        "desk.status.online": "在线",
        "desk.status.away": "离开",
        "desk.status.offline": "离线",
    },
}

_STYLE_ATTR = re.compile(r'\sstyle="[^"]*"')


# ------------------------------------------------------------------ presence


@attrs.frozen
class Viewer:
    """Someone with a ticket open in the workspace."""

    user_id: str
    name: str


class Presence:
    """Who has which ticket open (one process), announced on the ticket's hub topic."""

    def __init__(self) -> None:
        self._open: dict[str, dict[int, Viewer]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def join(self, ticket_id: str, viewer: Viewer) -> int:
        """Record that ``viewer`` opened the ticket; the key to :meth:`leave` with."""
        key = next(self._ids)
        with self._lock:
            self._open.setdefault(ticket_id, {})[key] = viewer
        return key

    def leave(self, ticket_id: str, key: int) -> None:
        """Forget one open page."""
        with self._lock:
            viewers = self._open.get(ticket_id)
            if viewers is not None:
                viewers.pop(key, None)
                if not viewers:
                    del self._open[ticket_id]

    def viewers(self, ticket_id: str) -> list[Viewer]:
        """The distinct people who have the ticket open, by name."""
        with self._lock:
            found = {v.user_id: v for v in self._open.get(ticket_id, {}).values()}
        return sorted(found.values(), key=lambda v: (v.name, v.user_id))

    def payload(self, ticket_id: str) -> dict[str, Any]:
        """The hub payload announcing the ticket's viewers."""
        return {
            "kind": "presence",
            "ticket": ticket_id,
            "viewers": [{"id": v.user_id, "name": v.name} for v in self.viewers(ticket_id)],
        }


# ------------------------------------------------------------------ helpers


def _zone(desk: Helpdesk) -> ZoneInfo:
    try:
        return ZoneInfo(desk.settings.timezone)
    except (KeyError, ValueError):  # pragma: no cover - settings validate the zone
        return ZoneInfo("UTC")


def local_time(desk: Helpdesk) -> Callable[[datetime | None], str]:
    """A formatter of instants in the desk's time zone (``11-26 10:30``)."""
    zone = _zone(desk)
    today = desk.now().astimezone(zone).date()

    def fmt(value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(zone)
        if local.date() == today:
            return local.strftime("%H:%M")
        if local.year == today.year:
            return local.strftime("%m-%d %H:%M")
        return local.strftime("%Y-%m-%d %H:%M")

    return fmt


def duration_text(delta: timedelta | None) -> str:
    """``1h 05m`` / ``-12m`` / ``3d 4h``: a remaining time, short."""
    if delta is None:
        return ""
    sign = "-" if delta < timedelta(0) else ""
    secs = int(abs(delta).total_seconds())
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m"


def strip_inline_styles(svg: str) -> str:
    """An SVG without ``style=`` attributes (the CSP forbids inline styles)."""
    return _STYLE_ATTR.sub("", svg)


def _agent_of(desk: Helpdesk, user: WebUser) -> Agent | None:
    if user.agent_id is None:
        return None
    try:
        return desk.get_agent(user.agent_id)
    except NotFound:
        return None


def _ticket(desk: Helpdesk, number: int) -> Ticket:
    try:
        return desk.get_ticket(number)
    except (NotFound, InvalidInput):
        raise HTTPException(404, f"no ticket #{number}") from None


@attrs.frozen
class TimerView:
    """One SLA timer as the ticket page shows it."""

    metric: str
    status: str
    due_at: datetime | None
    remaining: str
    overdue: bool


def _timer_views(desk: Helpdesk, timers: Sequence[SlaTimer], now: datetime) -> list[TimerView]:
    out = []
    for t in timers:
        if t.target is None:
            continue
        remaining = None
        if not t.finished and t.due_at is not None:
            remaining = t.due_at - now
        out.append(
            TimerView(
                metric=t.metric,
                status=str(t.status),
                due_at=t.due_at,
                remaining=duration_text(remaining),
                overdue=remaining is not None and remaining <= timedelta(0),
            )
        )
    return out


def _context_sections(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The host's customer facts as simple sections: tables for lists of mappings."""
    sections: list[dict[str, Any]] = []
    facts: list[tuple[str, str]] = []
    for key, value in context.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            items = list(value)[:20]
            if items and all(isinstance(i, Mapping) for i in items):
                columns = list(dict.fromkeys(k for i in items for k in i))[:6]
                rows = [[_plain_text(i.get(c)) for c in columns] for i in items]
                sections.append({"title": str(key), "facts": [], "columns": columns, "rows": rows})
                continue
            facts.append((str(key), ", ".join(_plain_text(i) for i in items)))
        elif isinstance(value, Mapping):
            for k, v in list(value.items())[:20]:
                facts.append((f"{key}.{k}", _plain_text(v)))
        else:
            facts.append((str(key), _plain_text(value)))
    if facts:
        sections.insert(0, {"title": "", "facts": facts, "columns": [], "rows": []})
    return sections


def _plain_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return str(value)[:500]


def _author_names(
    desk: Helpdesk, messages: Sequence[Message], customer: Customer
) -> dict[str, str]:
    names = {customer.id: customer.name}  # empty: the page says "Customer"
    for m in messages:
        if m.author_kind is AuthorKind.AGENT and m.author_id and m.author_id not in names:
            try:
                names[m.author_id] = desk.get_agent(m.author_id).name
            except NotFound:
                names[m.author_id] = m.author_id
    return names


def ticket_parts(desk: Helpdesk, number: int, agent: Agent | None) -> dict[str, Any]:
    """Everything the ticket page shows (blocking: run it in a worker thread)."""
    ticket = _ticket(desk, number)
    now = desk.now()
    customer = desk.get_customer(ticket.customer_id)
    messages = desk.messages(ticket)
    try:
        timers = desk.sla_timers(ticket)
    except InvalidInput:  # SLA is not configured on this desk
        timers = []
    actor = agent
    transitions = desk.available_transitions(ticket, actor=actor) if agent else []
    assignee = None
    if ticket.assignee_id:
        try:
            assignee = desk.get_agent(ticket.assignee_id)
        except NotFound:
            assignee = None
    group = None
    if ticket.group_id:
        group = next((g for g in desk.groups() if g.id == ticket.group_id), None)
    return {
        "ticket": ticket,
        "customer": customer,
        "messages": messages,
        "names": _author_names(desk, messages, customer),
        "timers": _timer_views(desk, timers, now),
        "transitions": transitions,
        "assignee": assignee,
        "group": group,
    }


def _side(desk: Helpdesk, ticket: Ticket, customer: Customer) -> dict[str, Any]:
    history = [t for t in desk.customer_history(customer, limit=20) if t.id != ticket.id]
    context = desk.customer_context(customer)
    try:
        suggestions = desk.suggest_articles(ticket, limit=5)
    except HelpdeskError:
        suggestions = []
    macros = list(desk.macros())
    return {
        "history": history,
        "context": _context_sections(context),
        "suggestions": suggestions,
        "macros": macros,
    }


def _back(request: Request, number: int, **params: str) -> RedirectResponse:
    root = request.scope.get("root_path", "")
    query = f"?{urlencode(params)}" if params else ""
    return RedirectResponse(f"{root}/desk/tickets/{number}{query}", status_code=303)


def _flash(secret: str, message: str) -> str:
    """A refusal's message for the page to show, signed so a link cannot put words there."""
    return sign(secret, "desk-flash", {"m": message[:300], "exp": int(time.time()) + 300})


def _unflash(secret: str, value: str | None) -> str | None:
    data = unsign(secret, "desk-flash", value)
    message = None if data is None else data.get("m")
    return message if isinstance(message, str) else None


def _frame(text: str | None) -> dict[str, Any]:
    """A JSON object sent by the page (anything else: an empty frame)."""
    if not text or len(text) > 4096:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def _form(request: Request) -> dict[str, str]:
    await check_csrf(request)
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# ------------------------------------------------------------------ routes


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The workspace's pages, commands and live socket."""
    ctx.i18n.add(DESK_TEXTS)
    presence = Presence()
    desk = ctx.desk

    def user_and_agent(request: Request) -> tuple[WebUser, Agent | None]:
        user = require_user(ctx, request, *AGENT_ROLES)
        return user, _agent_of(desk, user)

    async def home(request: Request) -> Response:
        require_user(ctx, request, *AGENT_ROLES)
        root = request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/desk/inbox/mine", status_code=303)

    # view counts are shared: "unassigned" and "at risk" by everyone, "group" by its members
    counts_cache: dict[tuple[str, str | None], tuple[float, int]] = {}
    counts_lock = threading.Lock()

    def cached_counts(agent: Agent | None, group: str | None) -> dict[str, int]:
        now = time.monotonic()
        group = pick_group(desk, agent, group)
        counts: dict[str, int] = {}
        for view in VIEWS:
            owner = {"mine": None if agent is None else agent.id, "group": group}.get(view)
            key = (view, owner)
            with counts_lock:
                hit = counts_cache.get(key)
            if hit is not None and now - hit[0] < COUNTS_TTL:
                counts[view] = hit[1]
                continue
            counts[view] = count_view(desk, view, agent=agent, group_id=group)
            with counts_lock:
                if len(counts_cache) > 10_000:
                    counts_cache.clear()
                counts_cache[key] = (now, counts[view])
        return counts

    def inbox_data(
        view: str, agent: Agent | None, group: str | None, after: str | None, part: bool
    ) -> tuple[InboxPage, dict[str, int], list[Any]]:
        page = inbox_page(desk, view, agent=agent, group_id=group, after=after, limit=PAGE_SIZE)
        if part:  # a live refresh of the rows only
            return page, {}, []
        counts = cached_counts(agent, page.group_id or group)
        groups = desk.groups()
        mine = [g for g in groups if agent is not None and g.id in agent.groups]
        return page, counts, mine

    async def inbox(request: Request) -> Response:
        _user, agent = await ctx.run(user_and_agent, request)
        view = request.path_params["view"]
        if view not in VIEWS:
            raise HTTPException(404, f"no inbox view {view!r}")
        if view == "mine" and agent is None:
            view = "unassigned"
        after = request.query_params.get("after") or None
        group = request.query_params.get("group") or None
        part = bool(request.query_params.get("part"))
        try:
            page, counts, groups = await ctx.run(inbox_data, view, agent, group, after, part)
        except (InvalidInput, NotFound) as exc:
            raise HTTPException(400, str(exc)) from None
        template = "desk/_rows.html" if part else "desk/inbox.html"
        return ctx.render(
            request,
            template,
            view=view,
            views=VIEWS,
            page=page,
            counts=counts,
            groups=groups,
            group=page.group_id,
            agent=agent,
            when=local_time(desk),
            after=after,
            cap=AT_RISK_COUNT_CAP,
            statuses=[s.value for s in AgentStatus],
        )

    async def ticket_page(request: Request) -> Response:
        user, agent = await ctx.run(user_and_agent, request)
        number = request.path_params["number"]
        parts = await ctx.run(ticket_parts, desk, number, agent)
        side = await ctx.run(_side, desk, parts["ticket"], parts["customer"])
        return ctx.render(
            request,
            "desk/ticket.html",
            agent=agent,
            when=local_time(desk),
            viewers=presence.viewers(parts["ticket"].id),
            me=user,
            notice=request.query_params.get("done"),
            error=_unflash(ctx.settings.secret_key, request.query_params.get("error")),
            **parts,
            **side,
        )

    async def parts(request: Request) -> Response:
        _user, agent = await ctx.run(user_and_agent, request)
        number = request.path_params["number"]
        data = await ctx.run(ticket_parts, desk, number, agent)
        out = {}
        for name in ("conversation", "header", "timers", "transitions"):
            response = ctx.render(
                request, f"desk/_{name}.html", agent=agent, when=local_time(desk), **data
            )
            out[name] = bytes(response.body).decode()
        return JSONResponse(out)

    async def command(
        request: Request, fn: Callable[[Agent, Ticket, dict[str, str]], Any]
    ) -> Response:
        _user, agent = await ctx.run(user_and_agent, request)
        number = request.path_params["number"]
        form = await _form(request)
        if agent is None:
            raise HTTPException(403, "your sign-in is not linked to a desk agent")
        ticket = await ctx.run(_ticket, desk, number)
        try:
            await ctx.run(fn, agent, ticket, form)
        except (InvalidInput, PermissionDenied, HelpdeskError) as exc:
            return _back(request, number, error=_flash(ctx.settings.secret_key, str(exc)))
        return _back(request, number, done="1")

    def do_reply(agent: Agent, ticket: Ticket, form: dict[str, str]) -> None:
        text = form.get("text", "")
        transition = form.get("transition") or None
        desk.reply(ticket, text, author=agent, transition=transition)

    def do_note(agent: Agent, ticket: Ticket, form: dict[str, str]) -> None:
        desk.add_note(ticket, form.get("text", ""), author=agent)

    def do_transition(agent: Agent, ticket: Ticket, form: dict[str, str]) -> None:
        desk.transition(ticket, form.get("name", ""), actor=agent)

    def do_macro(agent: Agent, ticket: Ticket, form: dict[str, str]) -> None:
        desk.apply_macro(ticket, form.get("name", ""), agent=agent)

    def do_take(agent: Agent, ticket: Ticket, form: dict[str, str]) -> None:
        desk.assign(ticket, agent, actor=agent)

    async def reply(request: Request) -> Response:
        return await command(request, do_reply)

    async def note(request: Request) -> Response:
        return await command(request, do_note)

    async def transition(request: Request) -> Response:
        return await command(request, do_transition)

    async def macro(request: Request) -> Response:
        return await command(request, do_macro)

    async def take(request: Request) -> Response:
        return await command(request, do_take)

    async def status(request: Request) -> Response:
        _user, agent = await ctx.run(user_and_agent, request)
        form = await _form(request)
        if agent is None:
            raise HTTPException(403, "your sign-in is not linked to a desk agent")
        wanted = form.get("status", "")
        if wanted not in {s.value for s in AgentStatus}:
            raise HTTPException(400, f"unknown status {wanted!r}")
        await ctx.run(desk.set_agent_status, agent, wanted)
        target = form.get("next", "")
        root = request.scope.get("root_path", "")
        if not target.startswith(f"{root}/desk/") or "//" in target or "\\" in target:
            target = f"{root}/desk/inbox/mine"
        return RedirectResponse(target, status_code=303)

    async def macro_preview(request: Request) -> Response:
        _user, agent = await ctx.run(user_and_agent, request)
        number = request.path_params["number"]
        name = request.path_params["name"]
        ticket = await ctx.run(_ticket, desk, number)
        try:
            macro_obj = await ctx.run(desk.get_macro, name)
            if macro_obj.template is None:
                return JSONResponse({"text": ""})
            shortcode = macro_obj.shortcode or macro_obj.name
            rendered = await ctx.run(desk.expand_shortcode, shortcode, ticket, agent)
        except (InvalidInput, NotFound) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"text": rendered.text})

    def chat_typing(session_id: str, agent: Agent, typing: bool) -> None:
        """Tell the chat's visitor that the agent is (not) typing (a gone session: nothing)."""
        chat = ctx.chat
        if chat is None:
            return
        with contextlib.suppress(HelpdeskError):  # the visitor left: nobody to tell
            chat.typing(session_id, agent, typing)

    async def live(ws: WebSocket) -> None:
        user = ctx.auth.user(ws)
        if user is None or not (user.roles & set(AGENT_ROLES)) or not check_ws_origin(ws):
            await ws.close(code=1008)
            return
        ticket_id = ws.query_params.get("ticket") or None
        topics = ["inbox"]
        session_id = None
        if ticket_id:
            try:
                ticket = await ctx.run(desk.get_ticket, ticket_id)
            except (NotFound, InvalidInput):
                await ws.close(code=1008)
                return
            topics = [f"ticket:{ticket.id}"]
            if ticket.channel == "chat" and ticket.thread_key:
                session_id = ticket.thread_key  # the chat session: the visitor's typing
                topics.append(f"chat:{session_id}")
        agent = await ctx.run(_agent_of, desk, user)
        await ws.accept()
        subs = [ctx.hub.subscribe(topic) for topic in topics]
        key = None
        if ticket_id:
            key = presence.join(ticket_id, Viewer(user.id, user.name))
            ctx.hub.publish(f"ticket:{ticket_id}", presence.payload(ticket_id))
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def pump(sub: Any) -> None:
            async for payload in sub:
                await queue.put(payload)

        async def receive() -> None:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    return
                frame = _frame(msg.get("text"))
                if frame.get("type") == "typing" and session_id and agent is not None:
                    await ctx.run(chat_typing, session_id, agent, bool(frame.get("typing")))

        tasks = [asyncio.create_task(pump(s)) for s in subs]
        reader = asyncio.create_task(receive())
        try:
            while True:
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if reader in done:
                    getter.cancel()
                    break
                await ws.send_json(getter.result())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for task in [*tasks, reader]:
                task.cancel()
            for sub in subs:
                sub.close()
            if ticket_id and key is not None:
                presence.leave(ticket_id, key)
                ctx.hub.publish(f"ticket:{ticket_id}", presence.payload(ticket_id))

    return [
        Route("/desk", home, name="desk"),
        Route("/desk/inbox/{view}", inbox, name="desk_inbox"),
        Route("/desk/tickets/{number:int}", ticket_page, name="desk_ticket"),
        Route("/desk/tickets/{number:int}/parts", parts, name="desk_ticket_parts"),
        Route("/desk/tickets/{number:int}/reply", reply, methods=["POST"], name="desk_reply"),
        Route("/desk/tickets/{number:int}/note", note, methods=["POST"], name="desk_note"),
        Route(
            "/desk/tickets/{number:int}/transition",
            transition,
            methods=["POST"],
            name="desk_transition",
        ),
        Route("/desk/tickets/{number:int}/macro", macro, methods=["POST"], name="desk_macro"),
        Route("/desk/tickets/{number:int}/take", take, methods=["POST"], name="desk_take"),
        Route("/desk/status", status, methods=["POST"], name="desk_status"),
        Route("/desk/tickets/{number:int}/macros/{name}", macro_preview, name="desk_macro_preview"),
        WebSocketRoute("/desk/live", live, name="desk_live"),
    ]
