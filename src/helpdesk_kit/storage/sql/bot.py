"""The SQL implementation of :class:`~helpdesk_kit.storage.bot.BotRepository`.

``metrics`` is one set-based query over the KPI facts (``kpi_tickets``: which tickets are
bot conversations, and their outcome by the one containment definition shared with the
``bot_containment`` KPI) and the event log (each conversation's intent, relabel and
hand-off reason); the counts are aggregated per intent and outcome in the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import (
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk_kit.bot.dialogue import Conversation, Stage
from helpdesk_kit.bot.intents import OUT_OF_SCOPE
from helpdesk_kit.bot.learning import Relabel
from helpdesk_kit.bot.metrics import AGENT_REPLIED, BotMetrics, build_metrics, check_window, ms_of
from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.storage.sql import rows as R
from helpdesk_kit.storage.sql.analytics import bot_outcome
from helpdesk_kit.storage.sql.tables import events, tickets
from helpdesk_kit.storage.sql.tables_analytics import kpi_tickets
from helpdesk_kit.storage.sql.tables_bot import bot_conversations, bot_relabels
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.containment import Outcome, window_ms
from helpdesk_kit.tickets.model import Ticket

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlBot"]


def _relabel_row(r: Relabel) -> dict[str, Any]:
    R.check_length(r.intent, "name", "intent")
    R.check_length(r.previous, "name", "previous intent")
    return {
        "id": r.id,
        "ticket_id": r.ticket_id,
        "message_id": r.message_id,
        "text": r.text,
        "intent": r.intent,
        "previous": r.previous,
        "agent_id": r.agent_id,
        "at": r.at,
    }


def _relabel_from_row(row: Mapping[Any, Any]) -> Relabel:
    return Relabel(
        id=row["id"],
        ticket_id=row["ticket_id"],
        message_id=row["message_id"],
        text=row["text"],
        intent=row["intent"],
        previous=row["previous"],
        agent_id=row["agent_id"],
        at=row["at"],
    )


class SqlBot:
    """Bot conversations, relabels and the bot's queries, in SQL."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    # -- conversations ---------------------------------------------------------------------

    def get(self, ticket_id: str) -> Conversation | None:
        """The ticket's conversation, or None."""
        c = bot_conversations.c
        row = (
            self._uow.execute(select(c.state, c.version).where(c.ticket_id == ticket_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return Conversation.from_dict(row["state"], version=row["version"])

    def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        """Store it if the stored version is ``expected_version`` (insert when 0)."""
        tid = conversation.ticket_id
        c = bot_conversations.c
        version = expected_version + 1
        values = {
            "stage": conversation.stage.value,
            "state": conversation.to_dict(),
            "version": version,
            "updated_at": conversation.updated_at or conversation.started_at,
        }
        if values["updated_at"] is None:
            raise InvalidInput("a bot conversation needs updated_at before it is stored")
        if expected_version == 0:
            exists_ticket = self._uow.execute(
                select(tickets.c.id).where(tickets.c.id == tid)
            ).first()
            if exists_ticket is None:
                raise NotFound("ticket", tid)
            make = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
            stmt = (
                make(bot_conversations)
                .values(ticket_id=tid, **values)
                .on_conflict_do_nothing()
                .returning(c.ticket_id)
            )
            if self._uow.execute(stmt, what="bot conversation").first() is None:
                found = self._uow.execute(
                    select(c.version).where(c.ticket_id == tid)
                ).scalar_one_or_none()
                raise ConcurrencyConflict("bot conversation", tid, 0, found)
        else:
            result = self._uow.execute(
                update(bot_conversations)
                .where(c.ticket_id == tid, c.version == expected_version)
                .values(**values),
                what="bot conversation",
            )
            if result.rowcount == 0:
                found = self._uow.execute(
                    select(c.version).where(c.ticket_id == tid)
                ).scalar_one_or_none()
                raise ConcurrencyConflict("bot conversation", tid, expected_version, found or 0)
        return attrs.evolve(conversation, version=version)

    def queue_ahead(self, ticket: Ticket, *, statuses: Sequence[str]) -> int:
        """Unassigned, active tickets of the group ahead of ``ticket`` not held by the bot."""
        t = tickets.c
        b = bot_conversations.c
        created = to_utc(ticket.created_at)
        group = t.group_id.is_(None) if ticket.group_id is None else t.group_id == ticket.group_id
        q = (
            select(func.count())
            .select_from(tickets.outerjoin(bot_conversations, b.ticket_id == t.id))
            .where(
                t.merged_into.is_(None),
                t.assignee_id.is_(None),
                t.status.in_(list(statuses)),
                group,
                or_(t.created_at < created, and_(t.created_at == created, t.id < ticket.id)),
                or_(b.ticket_id.is_(None), b.stage == Stage.HANDED_OFF.value),
            )
        )
        return int(self._uow.execute(q).scalar_one())

    def resolved_before(
        self, before: datetime, *, statuses: Sequence[str], limit: int = 500
    ) -> list[str]:
        """Tickets whose conversation ended (and stayed quiet) by ``before``, oldest first."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        b = bot_conversations.c
        q = (
            select(b.ticket_id)
            .join(tickets, tickets.c.id == b.ticket_id)
            .where(
                b.stage == Stage.ENDED.value,
                b.updated_at <= to_utc(before),
                tickets.c.status.in_(list(statuses)),
            )
            .order_by(b.updated_at, b.ticket_id)
            .limit(limit)
        )
        return [str(r[0]) for r in self._uow.execute(q).all()]

    # -- relabels --------------------------------------------------------------------------

    def add_relabel(self, relabel: Relabel) -> Relabel:
        """Store a relabel; ``AlreadyExists`` if its id is taken."""
        known = select(tickets.c.id).where(tickets.c.id == relabel.ticket_id)
        if self._uow.execute(known).first() is None:
            raise NotFound("ticket", relabel.ticket_id)
        make = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
        stmt = (
            make(bot_relabels)
            .values(_relabel_row(relabel))
            .on_conflict_do_nothing()
            .returning(bot_relabels.c.id)
        )
        if self._uow.execute(stmt, what="relabel").first() is None:
            raise AlreadyExists("relabel", relabel.id, relabel.id)
        return relabel

    def relabels(self, *, limit: int = 1000, after: str | None = None) -> list[Relabel]:
        """Relabels by ``(at, id)``."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        r = bot_relabels.c
        q = select(bot_relabels).order_by(r.at, r.id).limit(limit)
        if after is not None:
            last: Any = self._uow.execute(select(r.at, r.id).where(r.id == after)).first()
            if last is None:
                raise NotFound("relabel", after)
            q = q.where(or_(r.at > last[0], and_(r.at == last[0], r.id > last[1])))
        return [_relabel_from_row(row) for row in self._uow.execute(q).mappings()]

    # -- metrics ---------------------------------------------------------------------------

    def metrics(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        window: timedelta,
    ) -> BotMetrics:
        """The metrics, as set-based SQL over the KPI facts and the event log.

        The conversations and their outcomes are the ``bot_containment`` KPI's
        (:func:`~helpdesk_kit.storage.sql.analytics.bot_outcome` over ``kpi_tickets``, brought
        up to date first); one grouped pass over their bot events gives the ``seq`` of each
        one's first intent, latest relabel and first hand-off, whose values are read through
        the ``(ticket_id, seq)`` index.
        """
        check_window(window)
        uow = self._uow
        uow.analytics.refresh()
        k = kpi_tickets.c
        conds = [k.bot == 1, k.spam == 0, k.merged == 0]
        if since is not None:
            conds.append(k.created_ms >= ms_of(since))
        if until is not None:
            conds.append(k.created_ms < ms_of(until))
        conv = (
            select(
                k.ticket_id,
                k.customer_id,
                k.category,
                k.handoff,
                k.agent_replies,
                k.bot_resolved,
            )
            .where(*conds)
            .subquery("conv")
        )
        e = events.c

        def first(kind: str, fn: Any) -> Any:
            return fn(case((e.kind == kind, e.seq), else_=None))

        seqs = (
            select(
                e.ticket_id.label("ticket_id"),
                first(ev.BOT_INTENT, func.min).label("intent_seq"),
                first(ev.BOT_RELABELLED, func.max).label("label_seq"),
                first(ev.HANDOFF, func.min).label("handoff_seq"),
            )
            .where(
                e.kind.in_([ev.BOT_INTENT, ev.BOT_RELABELLED, ev.HANDOFF]),
                e.ticket_id.in_(select(conv.c.ticket_id)),
            )
            .group_by(e.ticket_id)
            .subquery("seqs")
        )
        c = seqs.c
        intent_ev, label_ev, handoff_ev = events.alias(), events.alias(), events.alias()
        predicted = intent_ev.c.data["intent"].as_string()
        label = label_ev.c.data["intent"].as_string()
        outcome = bot_outcome(conv.c, window_ms(window))
        handed = outcome == literal(Outcome.HANDED_OFF.value)
        reason = case(
            (c.handoff_seq.is_(None), literal(AGENT_REPLIED)),
            else_=func.coalesce(handoff_ev.c.data["reason"].as_string(), "unknown"),
        )
        reviewed = label.is_not(None)
        correct = and_(reviewed, label == func.coalesce(predicted, OUT_OF_SCOPE))
        joined = (
            conv.outerjoin(seqs, c.ticket_id == conv.c.ticket_id)
            .outerjoin(
                intent_ev,
                and_(intent_ev.c.ticket_id == c.ticket_id, intent_ev.c.seq == c.intent_seq),
            )
            .outerjoin(
                label_ev,
                and_(label_ev.c.ticket_id == c.ticket_id, label_ev.c.seq == c.label_seq),
            )
            .outerjoin(
                handoff_ev,
                and_(handoff_ev.c.ticket_id == c.ticket_id, handoff_ev.c.seq == c.handoff_seq),
            )
        )
        rows_q = (
            select(
                func.coalesce(label, predicted).label("intent"),
                outcome.label("outcome"),
                case((reviewed, 1), else_=0).label("reviewed"),
                case((correct, 1), else_=0).label("correct"),
                case((handed, reason), else_=None).label("reason"),
            )
            .select_from(joined)
            .subquery("rows")
        )
        r = rows_q.c
        # One aggregate by (intent, outcome, reason); the small result is folded in Python.
        grouped = select(
            r.intent,
            r.outcome,
            r.reason,
            func.count(),
            func.sum(r.reviewed),
            func.sum(r.correct),
        ).group_by(r.intent, r.outcome, r.reason)
        if uow.dialect == "postgresql":
            # The planner's cost estimate makes PostgreSQL JIT-compile this query, which takes
            # longer than running it.
            uow.execute(text("SET LOCAL jit = off"))
        found: Any = uow.execute(grouped).all()
        per_intent: dict[str | None, list[int]] = {}
        reasons: dict[str, int] = {}
        slot = {
            Outcome.CONTAINED.value: 1,
            Outcome.HANDED_OFF.value: 2,
            Outcome.ABANDONED.value: 5,
            Outcome.CAME_BACK.value: 6,
        }
        for intent_name, what, why, n, n_reviewed, n_correct in found:
            totals = per_intent.setdefault(intent_name, [0] * 7)
            totals[0] += int(n)
            totals[slot[what]] += int(n)
            totals[3] += int(n_reviewed or 0)
            totals[4] += int(n_correct or 0)
            if why is not None:
                reasons[str(why)] = reasons.get(str(why), 0) + int(n)
        rows = [(key, *v) for key, v in per_intent.items()]
        return build_metrics(since, until, window, rows, reasons)
