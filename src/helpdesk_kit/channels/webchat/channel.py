"""The live-chat channel: visitor sessions, agents joining, and the ticket behind each chat.

Every chat is a ticket on the ``chat`` channel whose ``thread_key`` is the session id: the
visitor's messages go through :meth:`Helpdesk.receive <helpdesk_kit.desk.Helpdesk.receive>`
(so routing, SLA clocks and the audit trail work as for any channel), and agents answer
with :meth:`Helpdesk.reply <helpdesk_kit.desk.Helpdesk.reply>` — the channel pushes the
reply to the visitor's widget. When no agent is online the visitor gets the out-of-hours
promise and the ticket waits; answers then go out through ``offline_via`` (e-mail) if the
visitor left an address.

Live sessions are held in this process (a chat's connection lives in one process anyway);
everything durable — messages, the ticket, the customer — is in the desk's storage, so a
session can be resumed by id after a restart.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from helpdesk_kit.channels.base import Capability, send_through
from helpdesk_kit.channels.webchat.protocol import (
    ClientFrame,
    SessionStatus,
    message_frame,
    parse_client_frame,
)
from helpdesk_kit.clock import ensure_aware, to_utc
from helpdesk_kit.errors import AlreadyExists, ChannelError, InvalidInput, NotFound
from helpdesk_kit.ids import new_id
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    AgentStatus,
    AuthorKind,
    Customer,
    Identity,
    InboundMessage,
    Message,
    Ticket,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk

__all__ = [
    "DEFAULT_PROMISE",
    "AgentSink",
    "ChatChannel",
    "ChatSession",
    "Promise",
    "Sink",
]

log = logging.getLogger("helpdesk_kit.channels.webchat")

#: Delivers one frame to the visitor's widget (the transport's job).
Sink = Callable[[dict[str, Any]], None]
#: ``agent_sink(session_id, frame)``: tells the agents' workspace what a visitor did.
AgentSink = Callable[[str, dict[str, Any]], None]
#: ``promise(desk, ticket) -> text`` said when no agent is online.
Promise = Callable[["Helpdesk", Ticket], str]

#: What the visitor is told when no agent is online (``{ref}`` is the ticket number).
DEFAULT_PROMISE = (
    "All our agents are offline right now. We have saved your message as ticket {ref} "
    "and will answer as soon as we are back."
)
_VISITOR = re.compile(r"^[\x21-\x7e]{1,200}$")


def _ignore(frame: dict[str, Any]) -> None:
    return None


class ChatSession:
    """One visitor's chat: its frames in, frames out through ``sink``, and its ticket."""

    def __init__(
        self,
        channel: ChatChannel,
        desk: Helpdesk,
        session_id: str,
        visitor_id: str,
        sink: Sink,
        *,
        name: str = "",
        locale: str | None = None,
        ticket: Ticket | None = None,
    ) -> None:
        self.channel = channel
        self.desk = desk
        self.id = session_id
        self.visitor_id = visitor_id
        self.sink = sink
        self.name = name
        self.locale = locale
        self.ticket = ticket
        self.status = SessionStatus.NEW if ticket is None else SessionStatus.QUEUED
        if ticket is not None and desk.bot_holds(ticket):
            self.status = SessionStatus.BOT
        self.agents: dict[str, Agent] = {}
        self.last_activity = desk.now()
        self.connected = True

    def __repr__(self) -> str:
        ref = None if self.ticket is None else self.ticket.ref
        return f"ChatSession({self.id!r}, visitor={self.visitor_id!r}, {self.status}, {ref})"

    @property
    def identity(self) -> Identity:
        """The visitor's identity on the desk: ``chat:<visitor id>``."""
        return Identity(self.channel.name, self.visitor_id)

    def emit(self, frame: dict[str, Any]) -> None:
        """Send a frame to the visitor (a broken transport is logged, never raised)."""
        if not self.connected:
            return
        try:
            self.sink(frame)
        except Exception:
            log.exception("chat session %s: the transport failed to take a frame", self.id)

    def _tell_agents(self, frame: dict[str, Any]) -> None:
        self.channel.notify_agents(self.id, frame)

    def _ref(self) -> str | None:
        return None if self.ticket is None else self.ticket.ref

    def status_frame(self, **extra: Any) -> dict[str, Any]:
        """The ``status`` frame for the session as it is now."""
        return {"type": "status", "status": self.status.value, "ticket": self._ref(), **extra}

    # ------------------------------------------------------------------ visitor side

    def handle(self, data: Mapping[str, Any] | str | bytes) -> None:
        """Take one frame from the visitor's widget; problems go back as ``error`` frames."""
        try:
            frame = parse_client_frame(data)
        except InvalidInput as exc:
            self.emit({"type": "error", "code": "bad_frame", "message": str(exc)})
            return
        if self.status is SessionStatus.ENDED and frame.type not in ("transcript", "ping"):
            self.emit({"type": "error", "code": "ended", "message": "this chat has ended"})
            return
        self.last_activity = self.desk.now()
        if frame.type == "message":
            self._message(frame)
        elif frame.type == "typing":
            self._tell_agents({"type": "typing", "typing": frame.typing, "name": self.name})
        elif frame.type == "contact":
            self._contact(frame)
        elif frame.type == "transcript":
            self.emit({"type": "transcript", "messages": self.transcript()})
        elif frame.type == "end":
            self.channel.end(self.desk, self.id, by="visitor")
        else:
            self.emit({"type": "pong"})

    def _message(self, frame: ClientFrame) -> None:
        external = None if frame.id is None else f"{self.id}:{frame.id}"
        inbound = InboundMessage(
            channel=self.channel.name,
            sender=self.identity,
            text=frame.text,
            sender_name=self.name,
            external_id=external,
            thread_key=self.id,
            locale=self.locale,
        )
        try:
            result = self.desk.receive(inbound)
        except Exception as exc:
            log.exception("chat session %s: message not taken in", self.id)
            self.emit(
                {
                    "type": "error",
                    "code": "not_saved",
                    "id": frame.id,
                    "message": f"the message could not be saved, please send it again ({exc})",
                }
            )
            return
        assert result.ticket is not None
        assert result.message is not None
        self.ticket = result.ticket
        self.emit(
            {"type": "ack", "id": frame.id, "message": result.message.id, "ticket": self._ref()}
        )
        if result.duplicate:
            return
        self._tell_agents({**message_frame(result.message, self.name), "ticket": self._ref()})
        if result.created or self.status in (
            SessionStatus.NEW,
            SessionStatus.ENDED,
            SessionStatus.BOT,
        ):
            self._after_new_ticket(result.ticket, result.customer)

    def _after_new_ticket(self, ticket: Ticket, customer: Customer | None) -> None:
        # The desk's bot (if any) has answered already; while it holds the chat, agents wait.
        handed_off = self.status is SessionStatus.BOT
        if not self.agents and self.desk.bot_holds(ticket):
            if not handed_off:
                self.status = SessionStatus.BOT
                self.emit(self.status_frame())
            return
        if self.agents:
            self.status = SessionStatus.ACTIVE
            agent = next(iter(self.agents.values()))
            if ticket.assignee_id != agent.id:
                self.ticket = self.desk.assign(ticket, agent, actor=agent)
            self.emit(self.status_frame())
            return
        if self.channel.agents_available(self.desk, ticket):
            self.status = SessionStatus.QUEUED
            self.emit(self.status_frame())
            self._tell_agents({"type": "waiting", "ticket": ticket.ref, "name": self.name})
            return
        self.status = SessionStatus.OFFLINE
        reachable = customer is not None and customer.email is not None
        self.emit(self.status_frame(ask_contact=not reachable))
        text = "" if handed_off else self.channel.promise_text(self.desk, ticket)
        if text:  # (after a hand-off the bot has told the visitor already)
            self.desk.reply(ticket, text, author=Actor.bot(self.channel.name))

    def _contact(self, frame: ClientFrame) -> None:
        if frame.name:
            self.name = frame.name
        wanted: list[Identity] = []
        try:
            if frame.email:
                wanted.append(Identity("email", frame.email))
            if frame.phone:
                wanted.append(Identity("phone", frame.phone))
        except InvalidInput as exc:
            self.emit({"type": "error", "code": "bad_contact", "message": str(exc)})
            return
        customer = self.desk.find_customer(self.identity.kind, self.identity.value)
        if customer is None:
            try:
                customer = self.desk.add_customer(self.name, identities=[self.identity])
            except AlreadyExists:
                customer = self.desk.find_customer(self.identity.kind, self.identity.value)
            assert customer is not None
        taken: list[tuple[Identity, Customer]] = []
        for ident in wanted:
            owner = self.desk.find_customer(ident.kind, ident.value)
            if owner is not None and owner.id != customer.id:
                taken.append((ident, owner))
        free = [i for i in wanted if i not in customer.identities and i not in dict(taken)]
        changes: dict[str, Any] = {}
        if free:
            changes["identities"] = customer.identities + tuple(free)
        if frame.name and not customer.name:
            changes["name"] = frame.name
        if changes:
            try:
                customer = self.desk.update_customer(customer, **changes)
            except AlreadyExists as exc:
                self.emit({"type": "error", "code": "bad_contact", "message": str(exc)})
                return
        if taken and self.ticket is not None:
            lines = [
                f"The visitor says {ident.kind} {ident.value} is theirs; it belongs to customer "
                f"{owner.display_name} ({owner.id}). Merge the customers if it is the same person."
                for ident, owner in taken
            ]
            self.desk.add_note(self.ticket, "\n".join(lines), author=Actor.system())
        self.emit(self.status_frame(ask_contact=False))

    def transcript(self) -> list[dict[str, Any]]:
        """The conversation so far as ``message`` frames (internal notes left out)."""
        if self.ticket is None:
            return []
        names = self.channel.author_names(self.desk, self.visitor_name())
        return [
            message_frame(m, names(m)) for m in self.desk.messages(self.ticket, include_notes=False)
        ]

    def visitor_name(self) -> str:
        """The name the visitor gave, or ``""``."""
        return self.name


class ChatChannel:
    """The ``chat`` channel: live sessions of the site's chat widget.

    ``promise`` — a text (``{ref}`` is filled in) or ``fn(desk, ticket) -> str`` (e.g. the
    SLA feature's out-of-hours promise) — is said when no agent is online;
    ``available(desk, ticket) -> bool`` overrides "is an agent of the ticket's group online"
    (use a business calendar, a queue length, ...). ``offline_via`` names the channel
    answers go out through when the visitor is no longer connected (default ``"email"``).
    ``agent_sink(session_id, frame)`` tells the agents' workspace about visitors' messages,
    typing, waiting chats and ends. ``idle_timeout`` is how long a silent session lives
    (see :meth:`end_idle`).
    """

    capabilities = frozenset({Capability.REALTIME, Capability.TYPING, Capability.ATTACHMENTS})

    def __init__(
        self,
        *,
        promise: str | Promise | None = DEFAULT_PROMISE,
        available: Callable[[Helpdesk, Ticket], bool] | None = None,
        offline_via: str | None = "email",
        agent_sink: AgentSink | None = None,
        idle_timeout: timedelta = timedelta(minutes=30),
        name: str = "chat",
    ) -> None:
        self.name = name
        self.promise = promise
        self.available = available
        self.offline_via = offline_via
        self.agent_sink = agent_sink
        self.idle_timeout = idle_timeout
        self._sessions: dict[str, ChatSession] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"ChatChannel({len(self._sessions)} live sessions)"

    # ------------------------------------------------------------------ sessions

    def connect(
        self,
        desk: Helpdesk,
        visitor_id: str,
        sink: Sink,
        *,
        session_id: str | None = None,
        name: str = "",
        locale: str | None = None,
    ) -> ChatSession:
        """Open (or resume) a visitor's session and send it the ``welcome`` frame.

        ``visitor_id`` identifies the browser (a signed cookie: the transport must make sure
        it is genuine). Resuming with ``session_id`` works for the same visitor, also after
        a restart of this process (the ticket is found by the session id); a session id of
        another visitor is refused with ``InvalidInput``.
        """
        if not isinstance(visitor_id, str) or not _VISITOR.match(visitor_id):
            raise InvalidInput("a visitor id is 1 to 200 printable ASCII characters without spaces")
        with self._lock:
            live = self._sessions.get(session_id) if session_id else None
            if live is not None:
                if live.visitor_id != visitor_id:
                    raise InvalidInput(f"chat session {session_id!r} belongs to another visitor")
                live.sink = sink
                live.connected = True
                live.last_activity = desk.now()
                session = live
            else:
                ticket = self._resumable(desk, session_id, visitor_id) if session_id else None
                sid = session_id if ticket is not None else new_id()
                assert sid is not None
                session = ChatSession(
                    self, desk, sid, visitor_id, sink, name=name, locale=locale, ticket=ticket
                )
                self._sessions[sid] = session
        session.emit(
            {
                "type": "welcome",
                "session": session.id,
                "status": session.status.value,
                "ticket": session._ref(),
            }
        )
        if session.ticket is not None:
            session.emit({"type": "transcript", "messages": session.transcript()})
        return session

    def _resumable(self, desk: Helpdesk, session_id: str | None, visitor_id: str) -> Ticket | None:
        if not session_id:
            return None
        with desk.storage.unit_of_work() as uow:
            ticket = uow.tickets.find_by_thread(self.name, session_id)
            if ticket is None:
                return None
            owner = uow.customers.find_by_identity(self.name, visitor_id)
        if owner is None or owner.id != ticket.customer_id:
            raise InvalidInput(f"chat session {session_id!r} belongs to another visitor")
        return ticket

    def session(self, session_id: str) -> ChatSession:
        """A live session by id."""
        with self._lock:
            found = self._sessions.get(session_id)
        if found is None:
            raise NotFound("chat session", session_id)
        return found

    def sessions(self, *, status: SessionStatus | str | None = None) -> list[ChatSession]:
        """Live sessions (of one status), oldest first: the agents' chat queue."""
        with self._lock:
            found = list(self._sessions.values())
        if status is not None:
            found = [s for s in found if s.status == SessionStatus(status)]
        return sorted(found, key=lambda s: s.id)

    def disconnect(self, session_id: str) -> None:
        """The visitor's connection dropped: keep the session for a resume, stop sending."""
        with self._lock:
            found = self._sessions.get(session_id)
            if found is not None:
                found.connected = False

    def end(self, desk: Helpdesk, session_id: str, *, by: str = "agent") -> None:
        """End a session (by ``visitor``, ``agent`` or ``system``); the ticket stays as it is."""
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            raise NotFound("chat session", session_id)
        session.status = SessionStatus.ENDED
        frame = {"type": "ended", "by": by}
        session.emit(frame)
        session.connected = False
        self.notify_agents(session_id, frame)
        if session.ticket is not None:
            desk.add_note(session.ticket, f"Chat ended by the {by}.", author=Actor.system())

    def end_idle(self, desk: Helpdesk, now: datetime | None = None) -> list[str]:
        """End sessions silent for longer than ``idle_timeout``; return their ids.

        Run it on a timer, or install it as a sweeper:
        ``desk.add_sweeper("chat.idle", chat.end_idle)``.
        """
        at = desk.now() if now is None else to_utc(ensure_aware(now, "now"))
        idle = [s.id for s in self.sessions() if at - s.last_activity > self.idle_timeout]
        for sid in idle:
            try:
                self.end(desk, sid, by="system")
            except NotFound:
                continue  # ended meanwhile
        return idle

    # ------------------------------------------------------------------ agent side

    def join(self, desk: Helpdesk, session_id: str, agent: Agent) -> ChatSession:
        """An agent takes the chat: the ticket is assigned to them and the visitor told."""
        session = self.session(session_id)
        session.agents[agent.id] = agent
        if session.ticket is not None and session.ticket.assignee_id != agent.id:
            session.ticket = desk.assign(session.ticket, agent, actor=agent)
        if session.status is not SessionStatus.NEW:
            session.status = SessionStatus.ACTIVE
        session.emit({"type": "agent_joined", "name": agent.name})
        session.emit(session.status_frame())
        return session

    def leave(self, desk: Helpdesk, session_id: str, agent: Agent) -> None:
        """An agent leaves the chat (the ticket keeps its assignee)."""
        session = self.session(session_id)
        if session.agents.pop(agent.id, None) is not None:
            session.emit({"type": "agent_left", "name": agent.name})
            if not session.agents and session.status is SessionStatus.ACTIVE:
                session.status = SessionStatus.QUEUED
                session.emit(session.status_frame())

    def typing(self, session_id: str, agent: Agent, typing: bool = True) -> None:
        """Show the visitor that an agent is (not) typing."""
        self.session(session_id).emit({"type": "typing", "name": agent.name, "typing": typing})

    def say(self, desk: Helpdesk, session_id: str, agent: Agent, text: str) -> Message:
        """An agent's answer in the chat: a normal reply on the chat's ticket."""
        session = self.session(session_id)
        if session.ticket is None:
            raise InvalidInput("the visitor has not written yet; there is no ticket to answer")
        if agent.id not in session.agents:
            self.join(desk, session_id, agent)
        return desk.reply(session.ticket, text, author=agent)

    def notify_agents(self, session_id: str, frame: dict[str, Any]) -> None:
        """Pass a frame to the agents' workspace (``agent_sink``), if there is one."""
        if self.agent_sink is None:
            return
        try:
            self.agent_sink(session_id, frame)
        except Exception:
            log.exception("chat session %s: the agent workspace failed to take a frame", session_id)

    # ------------------------------------------------------------------ desk side

    def agents_available(self, desk: Helpdesk, ticket: Ticket) -> bool:
        """Whether someone can answer now (``available``, else an online agent of the group)."""
        if self.available is not None:
            return bool(self.available(desk, ticket))
        agents = desk.agents(group=ticket.group_id)
        return any(a.status is AgentStatus.ONLINE and a.max_concurrent > 0 for a in agents)

    def promise_text(self, desk: Helpdesk, ticket: Ticket) -> str:
        """The out-of-hours promise for ``ticket``."""
        if self.promise is None:
            return ""
        if callable(self.promise):
            return self.promise(desk, ticket)
        return self.promise.format(ref=ticket.ref, number=ticket.number)

    def author_names(self, desk: Helpdesk, visitor: str) -> Callable[[Message], str]:
        """A function naming a message's author for the visitor (agents by name)."""
        cache: dict[str, str] = {}

        def name(m: Message) -> str:
            if m.author_kind is AuthorKind.CUSTOMER:
                return visitor
            if m.author_kind is AuthorKind.AGENT and m.author_id:
                if m.author_id not in cache:
                    try:
                        cache[m.author_id] = desk.get_agent(m.author_id).name
                    except NotFound:
                        cache[m.author_id] = ""
                return cache[m.author_id]
            return ""

        return name

    def send(self, desk: Helpdesk, ticket: Ticket, message: Message, customer: Customer) -> Any:
        """Push a reply to the visitor's widget, or relay it through ``offline_via``."""
        with self._lock:
            session = self._sessions.get(ticket.thread_key or "")
        if session is not None and session.connected:
            if session.ticket is None or session.ticket.id != ticket.id:
                session.ticket = ticket
            names = self.author_names(desk, session.visitor_name())
            session.emit(message_frame(message, names(message)))
            return None
        if customer.email is None or self.offline_via is None:
            raise ChannelError(
                f"the visitor of chat {ticket.ref} is not connected and left no e-mail address"
            )
        return send_through(
            desk,
            self.offline_via,
            ticket,
            message,
            customer,
            why=f"the visitor of chat {ticket.ref} is not connected",
        )
