"""KPI analytics in SQL: derived facts kept current from the event log, metrics as set-based SQL.

Two stages, both plain SQLAlchemy Core that runs on SQLite and PostgreSQL:

1. **Facts.** ``kpi_tickets`` (one row per ticket), ``kpi_replies`` (one row per agent
   response), ``kpi_ratings`` (one per answered survey) and ``kpi_bot_topics`` (bot
   containment's resolutions and ``bot.intent`` contacts) are derived from ``tickets``,
   ``events`` and ``surveys`` by ``INSERT ... SELECT`` with ``GROUP BY`` and a window
   function, for the tickets listed in ``kpi_dirty`` (the desk lists every ticket a command
   touched, in the same transaction) or for all of them.
2. **Metrics.** A query's period becomes epoch-millisecond bounds and the zone's offsets
   inside it; the rows of a period (tickets created in it, tickets solved in it, responses
   sent in it, surveys answered in it) are copied once per unit of work into temporary
   tables with their local day, hour and weekday, and every metric groups those with
   ``GROUP BY`` (grain ``period`` groups by nothing: no sort). Percentiles are exact order
   statistics: on PostgreSQL each group's values are sorted once into an array
   (``array_agg(v ORDER BY v)``) read at the two ranks around each percentile; on SQLite the
   values are copied in sorted order into a temporary table whose row ids are then ranks
   (much faster than SQLite's window functions). PostgreSQL runs them without JIT.
   Metrics the caller will ask with the same query (``expect``) that read the same rows
   share one statement (:mod:`helpdesk_kit.storage.sql.kpi_passes`).

The numbers equal the plain-Python reference (:mod:`helpdesk_kit.analytics.reference`);
the tests compare them on generated histories.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    CursorResult,
    Executable,
    FromClause,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    delete,
    exists,
    extract,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
)

from helpdesk_kit.analytics.hotwords import sample_every
from helpdesk_kit.analytics.metrics import metric
from helpdesk_kit.analytics.periods import DAY_MS, HOUR_MS, Frame
from helpdesk_kit.analytics.query import KpiContext, KpiQuery, order_facts
from helpdesk_kit.analytics.reference import SNAPSHOT, check_query
from helpdesk_kit.analytics.rows import GroupKey, MetricRow, Raw, assemble
from helpdesk_kit.analytics.sla import SlaTimerRecord
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.analytics import HotWordText
from helpdesk_kit.storage.sql.kpi_passes import PASS_METRICS, PassSpec, pass_spec
from helpdesk_kit.storage.sql.tables import (
    agents,
    customer_identities,
    customers,
    events,
    messages,
    tickets,
)
from helpdesk_kit.storage.sql.tables_analytics import (
    TAG_SEPARATOR,
    kpi_bot_topics,
    kpi_dirty,
    kpi_ratings,
    kpi_replies,
    kpi_tickets,
)
from helpdesk_kit.storage.sql.tables_feedback import surveys
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.containment import Outcome, window_ms
from helpdesk_kit.tickets.model import Customer, Identity

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SQLITE_REPORT_CACHE_KIB", "SqlAnalytics", "bot_outcome", "epoch_ms"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SPAM = "mark_spam"
#: key of the advisory lock that serializes refreshes on PostgreSQL
_LOCK_KEY = 0x6B70_6966  # "kpif"
Groups = tuple[dict[GroupKey, Raw], tuple[str, ...]]
#: SQLite page cache (KiB) for the database and for temporary tables while a report runs
SQLITE_REPORT_CACHE_KIB = 256 * 1024


def _int(v: int) -> ColumnElement[Any]:
    """An integer constant written into the SQL (only ever our own computed integers)."""
    return literal_column(str(int(v)), BigInteger)


#: The key of the one bucket of grain ``period``: selected as ``0`` and never grouped by
#: (a ``GROUP BY`` over a constant sorts every row for nothing); a query grouped by nothing
#: else keeps its group only when it has rows (``HAVING count(*) > 0``), as a grouped one.
_ONE_BUCKET: ColumnElement[Any] = literal_column("0", BigInteger)


def _grouping(keys: Sequence[Any]) -> list[Any]:
    """The keys a query must group by (all but the one bucket of grain ``period``)."""
    return [k for k in keys if k is not _ONE_BUCKET]


def _div(x: ColumnElement[Any], n: int) -> ColumnElement[Any]:
    """Integer division of a non-negative integer expression (truncation = floor)."""
    return x.self_group().op("/", return_type=BigInteger)(_int(n)).self_group()


def epoch_ms(col: Any, dialect: str) -> ColumnElement[Any]:
    """Epoch milliseconds (floored) of a ``UTCDateTime`` column on ``dialect``."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", col) * 1000), BigInteger)
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds plus the milliseconds
    # (the seconds from the text without its fraction: strftime rounds .9995 s up)
    seconds = cast(func.strftime("%s", func.substr(col, 1, 19)), BigInteger)
    return seconds * 1000 + cast(func.substr(col, 21, 3), BigInteger)


def _is_bot(actor: ColumnElement[Any]) -> ColumnElement[bool]:
    return or_(actor == "bot", actor.like("bot:%"))


def _resolution(e: Any) -> ColumnElement[bool]:
    """A resolution event (``bot.ended``, or a transition the bot made)."""
    return or_(e.kind == ev.BOT_ENDED, and_(e.kind == ev.TRANSITIONED, _is_bot(e.actor)))


def bot_outcome(k: Any, window: int) -> ColumnElement[Any]:
    """The outcome of the bot conversations in rows ``k`` (a ``kpi_tickets``-like row source
    with ``ticket_id``, ``customer_id``, ``handoff``, ``agent_replies`` and
    ``bot_resolved``), as :func:`helpdesk_kit.tickets.containment.classify` defines it.

    "Came back" is an ``EXISTS`` over the conversation's resolutions in ``kpi_bot_topics``
    (its primary key) and the customer's contacts on the resolution's topic: their non-spam
    tickets created with the topic as category (the ``(customer_id, created_ms)`` index of
    ``kpi_tickets``) and their ``bot.intent`` contacts (``kpi_bot_topics``'s
    ``(customer_id, topic, at_ms)`` index).
    """
    r, i, u = kpi_bot_topics.alias("res"), kpi_bot_topics.alias("ci"), kpi_tickets.alias("cu")
    end = r.c.at_ms + _int(window)
    by_category = (
        exists()
        .where(
            u.c.customer_id == k.customer_id,
            u.c.spam == 0,
            u.c.category == r.c.topic,
            u.c.created_ms > r.c.at_ms,
            u.c.created_ms <= end,
        )
        .correlate_except(u)
    )
    by_intent = (
        exists()
        .where(
            i.c.customer_id == k.customer_id,
            i.c.topic == r.c.topic,
            i.c.contact == 1,
            i.c.at_ms > r.c.at_ms,
            i.c.at_ms <= end,
        )
        .correlate_except(i)
    )
    came_back = (
        exists()
        .where(r.c.ticket_id == k.ticket_id, r.c.contact == 0, or_(by_category, by_intent))
        .correlate_except(r)
    )
    return case(
        (or_(k.handoff == 1, k.agent_replies > 0), literal(Outcome.HANDED_OFF.value)),
        (k.bot_resolved == 0, literal(Outcome.ABANDONED.value)),
        (came_back, literal(Outcome.CAME_BACK.value)),
        else_=literal(Outcome.CONTAINED.value),
    )


def _in(col: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    present = [v for v in values if v is not None]
    conds: list[ColumnElement[bool]] = []
    if present:
        conds.append(col.in_(present))
    if len(present) != len(values):
        conds.append(col.is_(None))
    return or_(*conds)


def _total(expr: ColumnElement[Any] | None) -> ColumnElement[Any]:
    """A group's sum of ``expr``, or its row count when ``expr`` is None (a pass's sums)."""
    return func.count() if expr is None else func.sum(expr)


def _duration_names(percentiles: Sequence[int]) -> list[str]:
    """The raw aggregates of a duration: n, sum and the order statistics per percentile."""
    return ["n", "sum"] + [f"{s}_{p}" for p in percentiles for s in ("lo", "hi")]


def _dt(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


class SqlAnalytics:
    """:class:`~helpdesk_kit.storage.analytics.AnalyticsRepository` on SQLite or PostgreSQL."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self._bases: dict[tuple[Any, ...], Table] = {}
        self._orders: tuple[int, Table] | None = None
        # Temporary tables get the same names in every report (so SQLAlchemy's statement
        # cache hits); a unit nested in another on the same connection gets its own.
        self._tag = "n" if getattr(uow, "_outer", None) is not None else ""
        self._counts: dict[str, int] = {}
        self._made: list[Table] = []
        self._jit_off_in: object = None
        self._sqlite_settings: tuple[int, int, int] | None = None
        # shared passes: metrics the caller will ask per query, results computed with others
        self._expected: dict[KpiQuery, list[str]] = {}
        self._passes: dict[tuple[Any, ...], dict[str, dict[GroupKey, Raw]]] = {}

    @property
    def _pg(self) -> bool:
        return self._uow.dialect == "postgresql"

    def _tune(self) -> None:
        """Settings for the report's queries, for the rest of this unit of work.

        PostgreSQL: no JIT compilation for the rest of the transaction (a month's KPI
        queries over a large history have plan costs above ``jit_above_cost``, and
        compiling each one takes longer than running it: tens to hundreds of ms each).
        SQLite: page caches of :data:`SQLITE_REPORT_CACHE_KIB` for the database and for the
        temporary tables (the default 2 MiB makes every pass over a month's rows re-read
        them from the file), and no ``secure_delete`` for the temporary tables (builds
        such as Debian's turn it on by default, and then dropping a sorted copy of a
        month's rows first overwrites its pages with zeros: 40-100 ms each); ``release``
        puts the connection's settings back.
        """
        if not self._pg:
            if self._sqlite_settings is None:
                run = self._uow.connection.exec_driver_sql
                self._sqlite_settings = (
                    int(run("PRAGMA main.cache_size").scalar_one()),
                    int(run("PRAGMA temp.cache_size").scalar_one()),
                    int(run("PRAGMA temp.secure_delete").scalar_one()),
                )
                self._set_sqlite(-SQLITE_REPORT_CACHE_KIB, -SQLITE_REPORT_CACHE_KIB, 0)
            return
        tx = self._uow.connection.get_transaction()
        if tx is None or tx is not self._jit_off_in:
            self._uow.execute(text("SET LOCAL jit = off"))
            self._jit_off_in = self._uow.connection.get_transaction()

    # ------------------------------------------------------------------ facts

    def mark_dirty(self, ticket_ids: Collection[str]) -> None:
        """List the tickets in ``kpi_dirty`` (sorted, so concurrent writers never deadlock)."""
        if not ticket_ids:
            return
        self._uow.run_many(
            "INSERT INTO kpi_dirty (ticket_id) VALUES (?) ON CONFLICT DO NOTHING",
            [(t,) for t in sorted(set(ticket_ids))],
            what="KPI refresh mark",
        )

    def _exec(self, statement: Executable) -> CursorResult[Any]:
        """Run a statement of a computation: built afresh over temporary tables, it is kept
        out of SQLAlchemy's statement cache (where a report's ~50 statements pushed out
        other entries and kept ~20,000 objects alive into the garbage collector's oldest
        generation)."""
        return self._uow.execute(statement, cached=False)

    def _temp(self, stem: str, columns: Sequence[tuple[str, Any]]) -> Table:
        """A new temporary table (dropped by ``release`` or at the end of the unit)."""
        n = self._counts.get(stem, 0)
        self._counts[stem] = n + 1
        name = f"kpi_tmp{self._tag}_{stem}_{n}"
        table = Table(
            name,
            MetaData(),
            *(Column(n, t) for n, t in columns),
            prefixes=["TEMPORARY"],
        )
        table.create(self._uow.connection)
        self._made.append(table)
        return table

    def _drop(self, table: Table) -> None:
        table.drop(self._uow.connection)
        self._made.remove(table)

    def release(self) -> None:
        """Drop the temporary tables this unit of work made (the cached period rows)."""
        for table in list(self._made):
            self._drop(table)
        self._bases.clear()
        self._passes.clear()
        self._expected.clear()
        self._orders = None
        if self._sqlite_settings is not None:
            self._set_sqlite(*self._sqlite_settings)
            self._sqlite_settings = None

    def _set_sqlite(self, main_cache: int, temp_cache: int, temp_secure_delete: int) -> None:
        """SQLite: this connection's page cache sizes and the temporary tables' secure_delete."""
        run = self._uow.connection.exec_driver_sql
        run(f"PRAGMA main.cache_size = {int(main_cache)}")
        run(f"PRAGMA temp.cache_size = {int(temp_cache)}")
        # 2 is FAST, which the PRAGMA takes by name only
        secure = "FAST" if temp_secure_delete == 2 else str(int(temp_secure_delete))
        run(f"PRAGMA temp.secure_delete = {secure}")

    def refresh(self, *, full: bool = False) -> int:
        """Derive the facts of the listed tickets (of every ticket when ``full``)."""
        uow = self._uow
        if self._pg:
            uow.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
        self._bases.clear()
        self._passes.clear()
        if full:
            uow.execute(delete(kpi_dirty))
            self._rederive(None)
            return int(uow.execute(select(func.count()).select_from(kpi_tickets)).scalar_one())
        self._adopt_unknown_tickets()
        batch = self._temp("batch", [("ticket_id", String(64))])
        try:
            if self._pg:
                moved = delete(kpi_dirty).returning(kpi_dirty.c.ticket_id).cte("moved")
                uow.execute(insert(batch).from_select(["ticket_id"], select(moved.c.ticket_id)))
            else:
                uow.execute(insert(batch).from_select(["ticket_id"], select(kpi_dirty.c.ticket_id)))
                uow.execute(delete(kpi_dirty))
            count = int(uow.execute(select(func.count()).select_from(batch)).scalar_one())
            if count:
                self._rederive(batch)
            return count
        finally:
            self._drop(batch)

    def _rederive(self, batch: Table | None) -> None:
        """Replace the fact rows of ``batch``'s tickets (of every ticket when None) with rows
        derived afresh; each fact table after the ones it joins, deleted in reverse."""
        derived: list[tuple[Table, Callable[[Table | None], Select[Any]]]] = [
            (kpi_tickets, self._facts),
            (kpi_replies, self._replies),
            (kpi_ratings, self._ratings),
            (kpi_bot_topics, self._bot_topics),
        ]
        for table, _ in reversed(derived):
            gone = delete(table)
            if batch is not None:
                gone = gone.where(table.c.ticket_id.in_(select(batch.c.ticket_id)))
            self._uow.execute(gone)
        for table, make in derived:
            self._uow.execute(insert(table).from_select([c.name for c in table.c], make(batch)))

    def _adopt_unknown_tickets(self) -> None:
        """List tickets stored without the desk (an import) above the highest known number.

        Two index lookups when nothing is new. (Imported tickets numbered below the desk's
        highest need ``refresh(full=True)``.)
        """
        uow = self._uow
        known = uow.execute(select(func.max(kpi_tickets.c.number))).scalar()
        highest = uow.execute(select(func.max(tickets.c.number))).scalar()
        if highest is None or (known is not None and highest <= known):
            return
        missing = select(tickets.c.id).where(
            tickets.c.number > (known or 0),
            ~exists().where(kpi_tickets.c.ticket_id == tickets.c.id),
            ~exists().where(kpi_dirty.c.ticket_id == tickets.c.id),
        )
        uow.execute(insert(kpi_dirty).from_select(["ticket_id"], missing))

    def _tags_text(self) -> ColumnElement[Any]:
        sep = TAG_SEPARATOR
        if self._pg:
            each = func.jsonb_array_elements_text(tickets.c.tags).table_valued("value")
            joined = select(func.string_agg(each.c.value, literal(sep))).scalar_subquery()
        else:
            each = func.json_each(tickets.c.tags).table_valued("value")
            joined = select(func.group_concat(each.c.value, literal(sep))).scalar_subquery()
        return func.coalesce(literal(sep) + joined + literal(sep), literal(sep))

    def _facts(self, batch: Table | None) -> Select[Any]:
        """One ``kpi_tickets`` row per ticket (of ``batch`` or all)."""
        d = self._uow.dialect
        e = events.c
        agent = and_(e.kind == ev.REPLY_SENT, e.actor.like("agent:%"))
        bot = and_(e.kind == ev.REPLY_SENT, or_(e.actor == "bot", e.actor.like("bot:%")))
        cust = and_(e.kind == ev.MESSAGE_RECEIVED, e.actor.like("customer:%"))
        spam = and_(e.kind == ev.TRANSITIONED, e.data["transition"].as_string() == _SPAM)

        def count(cond: ColumnElement[bool]) -> Any:
            return func.sum(case((cond, 1), else_=0))

        conversation = or_(e.kind.in_([ev.BOT_STARTED, ev.HANDOFF]), bot)
        agg = select(
            e.ticket_id,
            count(agent).label("agent_replies"),
            count(bot).label("bot_replies"),
            count(cust).label("customer_messages"),
            func.max(case((e.kind == ev.HANDOFF, 1), else_=0)).label("handoff"),
            func.max(case((spam, 1), else_=0)).label("spam"),
            func.min(case((agent, e.seq))).label("first_seq"),
            func.max(case((conversation, 1), else_=0)).label("bot"),
            func.max(case((_resolution(e), e.seq))).label("resolution_seq"),
            func.max(case((cust, e.seq))).label("customer_seq"),
        ).group_by(e.ticket_id)
        if batch is not None:
            agg = agg.where(e.ticket_id.in_(select(batch.c.ticket_id)))
        a = agg.subquery("agg")
        fr = events.alias("fr")
        t = tickets.c
        q = select(
            t.id,
            t.number,
            t.customer_id,
            t.channel,
            t.group_id,
            t.assignee_id,
            t.category,
            t.priority,
            t.status,
            epoch_ms(t.created_at, d),
            epoch_ms(t.first_response_at, d),
            func.substr(fr.c.actor, 7),
            epoch_ms(t.solved_at, d),
            epoch_ms(t.closed_at, d),
            t.reopen_count,
            func.coalesce(a.c.agent_replies, 0),
            func.coalesce(a.c.bot_replies, 0),
            func.coalesce(a.c.customer_messages, 0),
            func.coalesce(a.c.handoff, 0),
            func.coalesce(a.c.spam, 0),
            case((t.merged_into.is_(None), 0), else_=1),
            self._tags_text(),
            t.version,
            func.coalesce(a.c.bot, 0),
            case(
                (a.c.resolution_seq > func.coalesce(a.c.customer_seq, 0), 1),
                else_=0,
            ),
        ).select_from(
            tickets.outerjoin(a, a.c.ticket_id == t.id).outerjoin(
                fr, and_(fr.c.ticket_id == t.id, fr.c.seq == a.c.first_seq)
            )
        )
        if batch is not None:
            q = q.where(t.id.in_(select(batch.c.ticket_id)))
        return q

    def _replies(self, batch: Table | None) -> Select[Any]:
        """One ``kpi_replies`` row per response (see :mod:`helpdesk_kit.analytics.facts`)."""
        e = events.c
        agent = and_(e.kind == ev.REPLY_SENT, e.actor.like("agent:%"))
        cust = and_(e.kind == ev.MESSAGE_RECEIVED, e.actor.like("customer:%"))
        rel = select(
            e.ticket_id,
            e.seq,
            e.actor,
            epoch_ms(events.c.at, self._uow.dialect).label("at_ms"),
            case((agent, 1), else_=0).label("is_a"),
        ).where(or_(agent, cust))
        if batch is not None:
            rel = rel.where(e.ticket_id.in_(select(batch.c.ticket_id)))
        r = rel.subquery("rel")
        w = select(
            r,
            func.sum(r.c.is_a)
            .over(partition_by=r.c.ticket_id, order_by=r.c.seq, rows=(None, 0))
            .label("k"),
        ).cte("w")
        cmin = (
            select(w.c.ticket_id, w.c.k.label("seg"), func.min(w.c.at_ms).label("m"))
            .where(w.c.is_a == 0)
            .group_by(w.c.ticket_id, w.c.k)
            .subquery("cmin")
        )
        k = kpi_tickets.c
        return (
            select(
                w.c.ticket_id,
                w.c.seq,
                func.substr(w.c.actor, 7),
                w.c.at_ms,
                case((w.c.k == 1, k.created_ms), else_=cmin.c.m),
                case((w.c.k == 1, 1), else_=0),
                k.customer_id,
                k.channel,
                k.group_id,
                k.category,
                k.priority,
                case((and_(k.spam == 0, k.merged == 0), 1), else_=0),
            )
            .select_from(
                w.join(kpi_tickets, k.ticket_id == w.c.ticket_id).outerjoin(
                    cmin, and_(cmin.c.ticket_id == w.c.ticket_id, cmin.c.seg == w.c.k - 1)
                )
            )
            .where(w.c.is_a == 1, or_(w.c.k == 1, cmin.c.m.is_not(None)))
        )

    def _ratings(self, batch: Table | None) -> Select[Any]:
        """One ``kpi_ratings`` row per answered survey, with its ticket's dimensions."""
        s, k = surveys.c, kpi_tickets.c
        q = (
            select(
                s.id,
                s.ticket_id,
                epoch_ms(s.rated_at, self._uow.dialect),
                s.score,
                s.nps,
                s.agent_id,
                k.customer_id,
                k.channel,
                k.group_id,
                k.category,
                k.priority,
            )
            .select_from(surveys.join(kpi_tickets, k.ticket_id == s.ticket_id))
            .where(s.rated_at.is_not(None))
        )
        if batch is not None:
            q = q.where(s.ticket_id.in_(select(batch.c.ticket_id)))
        return q

    def _bot_topics(self, batch: Table | None) -> Select[Any]:
        """One ``kpi_bot_topics`` row per resolution with a topic and per ``bot.intent``
        contact on a non-spam ticket (:mod:`helpdesk_kit.tickets.containment`)."""
        e, k = events.c, kpi_tickets.c
        intent = e.data["intent"].as_string()
        contact = e.kind == ev.BOT_INTENT
        topic = case(
            (contact, intent),
            (e.kind == ev.BOT_ENDED, func.coalesce(intent, k.category)),
            else_=k.category,
        )
        q = (
            select(
                e.ticket_id,
                e.seq,
                k.customer_id,
                case((contact, 1), else_=0),
                topic,
                epoch_ms(e.at, self._uow.dialect),
            )
            .select_from(events.join(kpi_tickets, k.ticket_id == e.ticket_id))
            .where(
                or_(_resolution(e), and_(contact, k.spam == 0)),
                topic.is_not(None),
            )
        )
        if batch is not None:
            q = q.where(e.ticket_id.in_(select(batch.c.ticket_id)))
        return q

    # ------------------------------------------------------------------ time arithmetic

    @staticmethod
    def _local(ms: ColumnElement[Any], fr: Frame) -> ColumnElement[Any]:
        segs = fr.segments
        if len(segs) == 1:
            return ms + _int(segs[0][1])
        offset = case(
            *[(ms < _int(start), _int(prev[1])) for prev, (start, _) in itertools.pairwise(segs)],
            else_=_int(segs[-1][1]),
        )
        return ms + offset

    @staticmethod
    def _bucket(day: ColumnElement[Any], grain: str, fr: Frame) -> ColumnElement[Any]:
        if grain == "day":
            return day
        if grain == "week":
            return day - (day + _int(3)) % _int(7)
        if grain == "month":
            starts = fr.month_starts
            return case(
                *[(day < _int(nxt[0]), _int(cur[1])) for cur, nxt in itertools.pairwise(starts)],
                else_=_int(starts[-1][1]),
            )
        # one bucket: a constant that is never grouped by (see _ONE_BUCKET)
        return _ONE_BUCKET

    # ------------------------------------------------------------------ period rows

    def _base(self, kind: str, query: KpiQuery) -> Table:
        """The period's rows of ``kind`` with local day/hour/weekday, filtered (cached).

        The customer's tier is joined in only when the query groups or filters by it (the
        join costs more than the rest of the copy).
        """
        fr = query.frame
        tier = "tier" in query.by or "tier" in query.filters
        key = self._base_key(kind, query)
        found = self._made_base(kind, query)
        if found is not None:
            return found
        src = self._source(kind, fr, tier).subquery("src")
        local = self._local(src.c.t, fr)
        day = _div(local, DAY_MS)
        hour = _div(local, HOUR_MS) % _int(24)
        weekday = (day + _int(3)) % _int(7)
        conds = []
        columns = {
            "channel": src.c.channel,
            "group": src.c.grp,
            "category": src.c.category,
            "priority": src.c.priority,
            "tier": src.c.tier,
            "hour": hour,
            "weekday": weekday,
        }
        for dim, values in query.filters.items():
            if dim != "agent":
                conds.append(_in(columns[dim], values))
        names = [c.name for c in src.c]
        table = self._temp(
            kind,
            [
                *((n, _TYPES.get(n, String(255))) for n in names),
                ("d", BigInteger),
                ("h", Integer),
                ("wd", Integer),
            ],
        )
        sel = select(*src.c, day, hour, weekday).where(*conds)
        self._exec(insert(table).from_select([*names, "d", "h", "wd"], sel))
        self._bases[(*key, tier)] = table
        return table

    @staticmethod
    def _base_key(kind: str, query: KpiQuery) -> tuple[Any, ...]:
        """What a copy of the period's rows depends on (besides whether it has the tier)."""
        return (kind, query.frame, tuple(sorted((k, v) for k, v in query.filters.items())))

    def _made_base(self, kind: str, query: KpiQuery) -> Table | None:
        """The copy of the period's rows of ``kind`` for ``query``, if already made."""
        key = self._base_key(kind, query)
        found = self._bases.get((*key, True))
        if found is None and "tier" not in query.by and "tier" not in query.filters:
            found = self._bases.get((*key, False))
        return found

    def _source(self, kind: str, fr: Frame, tier: bool) -> Select[Any]:
        """The period's rows of ``kind``; the customer's tier only when ``tier`` (a join)."""
        k = kpi_tickets.c
        lo, hi = fr.start_ms, fr.end_ms
        dims = [
            k.channel,
            k.group_id.label("grp"),
            k.category,
            k.priority,
            customers.c.tier if tier else null().label("tier"),
        ]

        def with_tier(source: Any) -> Any:
            if not tier:
                return source
            return source.outerjoin(customers, customers.c.id == k.customer_id)

        joined = with_tier(kpi_tickets)
        scope = and_(k.spam == 0, k.merged == 0)
        if kind in ("created", "solved"):
            t = k.created_ms if kind == "created" else k.solved_ms
            return (
                select(
                    t.label("t"),
                    k.ticket_id,
                    k.customer_id,
                    k.number,
                    *dims,
                    k.assignee_id.label("assignee"),
                    k.first_responder,
                    k.created_ms,
                    k.first_response_ms,
                    k.solved_ms,
                    k.reopen_count,
                    k.agent_replies,
                    k.bot_replies,
                    k.handoff,
                    k.tags,
                    k.bot,
                    k.bot_resolved,
                )
                .select_from(joined)
                .where(t >= lo, t < hi, scope)
            )
        if kind == "replies":
            r = kpi_replies.c
            source: Any = kpi_replies
            if tier:
                source = source.outerjoin(customers, customers.c.id == r.customer_id)
            return (
                select(
                    r.at_ms.label("t"),
                    r.ticket_id,
                    r.channel,
                    r.group_id.label("grp"),
                    r.category,
                    r.priority,
                    customers.c.tier if tier else null().label("tier"),
                    r.agent_id.label("agent"),
                    (r.at_ms - r.wait_start_ms).label("wait"),
                    r.first,
                )
                .select_from(source)
                .where(r.at_ms >= lo, r.at_ms < hi, r.counted == 1)
            )
        # ratings: every answered survey, whatever became of its ticket
        g = kpi_ratings.c
        source = kpi_ratings
        if tier:
            source = source.outerjoin(customers, customers.c.id == g.customer_id)
        return (
            select(
                g.rated_ms.label("t"),
                g.ticket_id,
                g.channel,
                g.group_id.label("grp"),
                g.category,
                g.priority,
                customers.c.tier if tier else null().label("tier"),
                g.agent_id.label("agent"),
                g.score,
                g.nps,
            )
            .select_from(source)
            .where(g.rated_ms >= lo, g.rated_ms < hi)
        )

    # ------------------------------------------------------------------ grouping

    def _keys(
        self, base: FromClause, q: KpiQuery, fr: Frame, agent: ColumnElement[Any] | None
    ) -> list[ColumnElement[Any]]:
        out = [self._bucket(base.c.d, q.grain, fr)]
        for dim in q.by:
            out.append(self._dim(base, dim, agent))
        return out

    @staticmethod
    def _dim(base: FromClause, dim: str, agent: ColumnElement[Any] | None) -> ColumnElement[Any]:
        if dim == "agent":
            return agent if agent is not None else null()
        column = {"group": "grp", "hour": "h", "weekday": "wd"}.get(dim, dim)
        return base.c[column]

    @staticmethod
    def _agent_filter(q: KpiQuery, agent: ColumnElement[Any] | None) -> list[ColumnElement[bool]]:
        wanted = q.filters.get("agent")
        if wanted is None:
            return []
        if agent is None:
            return [true()] if None in wanted else [literal(False)]
        return [_in(agent, wanted)]

    def _grouped(
        self,
        keys: Sequence[ColumnElement[Any]],
        aggs: dict[str, Any],
        source: FromClause,
        where: Sequence[ColumnElement[bool]],
    ) -> dict[GroupKey, Raw]:
        labeled = [k.label(f"k{i}") for i, k in enumerate(keys)]
        stmt = (
            select(*labeled, *(a.label(n) for n, a in aggs.items()))
            .select_from(source)
            .where(*where)
        )
        grouping = _grouping(keys)
        stmt = stmt.group_by(*grouping) if grouping else stmt.having(func.count() > 0)
        out: dict[GroupKey, Raw] = {}
        for row in self._exec(stmt):
            key = tuple(_norm(v) for v in row[: len(keys)])
            out[key] = {n: _num(v) for n, v in zip(aggs, row[len(keys) :], strict=True)}
        return out

    def _durations(
        self,
        keys: Sequence[ColumnElement[Any]],
        value: ColumnElement[Any],
        source: FromClause,
        where: Sequence[ColumnElement[bool]],
        percentiles: Sequence[int],
        extra: Mapping[str, ColumnElement[Any] | None] | None = None,
    ) -> dict[GroupKey, Raw]:
        """n, sum and the order statistics around each percentile, per group.

        With ``extra`` (a shared pass), every row of ``source`` is kept, ``value`` may be
        NULL (not counted: ``n`` is the values' count) and each group also gets the sum of
        each ``extra`` expression (None: the group's row count).
        """
        labeled = [k.label(f"k{i}") for i, k in enumerate(keys)]
        more = dict(extra or {})
        conds = list(where) if extra is not None else [*where, value.is_not(None)]
        src = (
            select(
                *labeled,
                value.label("v"),
                *(e.label(n) for n, e in more.items() if e is not None),
            )
            .select_from(source)
            .where(*conds)
        )
        const = [k is _ONE_BUCKET for k in keys]
        if self._pg:
            return self._durations_array(
                src.subquery("vals"), const, percentiles, more, extra is not None
            )
        return self._durations_sorted(src, const, percentiles, more, extra is not None)

    @staticmethod
    def _extra_aggs(
        table: FromClause, extra: Mapping[str, ColumnElement[Any] | None]
    ) -> list[ColumnElement[Any]]:
        return [_total(None if e is None else table.c[n]).label(n) for n, e in extra.items()]

    def _durations_array(
        self,
        vals: Any,
        const: Sequence[bool],
        percentiles: Sequence[int],
        extra: Mapping[str, ColumnElement[Any] | None],
        with_nulls: bool,
    ) -> dict[GroupKey, Raw]:
        """PostgreSQL: each group's values sorted once into an array, read at the ranks."""
        from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

        nk = len(const)
        kc = [_ONE_BUCKET if c else vals.c[f"k{i}"] for i, c in enumerate(const)]
        grouping = [k for k, c in zip(kc, const, strict=True) if not c]
        ordered: Any = func.array_agg(
            aggregate_order_by(vals.c.v, vals.c.v), type_=ARRAY(BigInteger)
        )
        if with_nulls:
            ordered = ordered.filter(vals.c.v.is_not(None))
        agg = select(
            *(k.label(f"k{i}") for i, k in enumerate(kc)),
            (func.count(vals.c.v) if with_nulls else func.count()).label("n"),
            func.sum(vals.c.v).label("sum"),
            ordered.label("vs"),
            *self._extra_aggs(vals, extra),
        )
        agg = agg.group_by(*grouping) if grouping else agg.having(func.count() > 0)
        a = agg.subquery("sorted_values")
        cols: list[Any] = [*(a.c[f"k{i}"] for i in range(nk)), a.c.n, a.c.sum]
        for p in percentiles:
            rank = _div((a.c.n - 1) * _int(p), 100)
            # arrays count from 1; past the end is NULL (no higher order statistic)
            cols.append(a.c.vs[rank + _int(1)].label(f"lo_{p}"))
            cols.append(a.c.vs[rank + _int(2)].label(f"hi_{p}"))
        cols += [a.c[n] for n in extra]
        return self._collect(select(*cols), nk, percentiles, extra)

    def _durations_sorted(
        self,
        src: Select[Any],
        const: Sequence[bool],
        percentiles: Sequence[int],
        extra: Mapping[str, ColumnElement[Any] | None],
        with_nulls: bool,
    ) -> dict[GroupKey, Raw]:
        # Rows inserted by INSERT ... SELECT ... ORDER BY get row ids 1, 2, 3, ... in that
        # order, so within a group the k-th smallest value has row id (first row id + k).
        # NULL values (a shared pass keeps them) sort first: the first value's row id is
        # the group's first row id plus its count of NULLs.
        nk = len(const)
        types = [_key_type(c) for c in src.selected_columns][:nk]
        columns = [n for n, e in extra.items() if e is not None]
        table = self._temp(
            "sorted",
            [
                *((f"k{i}", t) for i, t in enumerate(types)),
                ("v", BigInteger),
                *((n, BigInteger) for n in columns),
            ],
        )
        try:
            # the one bucket of grain ``period`` is the same in every row: not a sort key
            ordered = src.order_by(
                *[literal_column(f"k{i}") for i in range(nk) if not const[i]],
                literal_column("v"),
            )
            self._exec(
                insert(table).from_select([*(f"k{i}" for i in range(nk)), "v", *columns], ordered)
            )
            kc = [_ONE_BUCKET if c else table.c[f"k{i}"] for i, c in enumerate(const)]
            rowid = literal_column(f"{table.name}.rowid", BigInteger)
            first: ColumnElement[Any] = func.min(rowid)
            if with_nulls:
                first = first + func.count() - func.count(table.c.v)
            g_sel = select(
                *(k.label(f"k{i}") for i, k in enumerate(kc)),
                first.label("r0"),
                (func.count(table.c.v) if with_nulls else func.count()).label("n"),
                func.sum(table.c.v).label("sum"),
                *self._extra_aggs(table, extra),
            )
            grouping = _grouping(kc)
            g_sel = g_sel.group_by(*grouping) if grouping else g_sel.having(func.count() > 0)
            g = g_sel.subquery("g")
            cols: list[Any] = [*(g.c[f"k{i}"] for i in range(nk)), g.c.n, g.c.sum]
            joined: Any = g
            for p in percentiles:
                rank = _div((g.c.n - 1) * _int(p), 100)
                lo, hi = table.alias(f"lo{p}"), table.alias(f"hi{p}")
                lo_id = literal_column(f"lo{p}.rowid", BigInteger)
                hi_id = literal_column(f"hi{p}.rowid", BigInteger)
                joined = joined.outerjoin(lo, lo_id == g.c.r0 + rank).outerjoin(
                    hi, and_(hi_id == g.c.r0 + rank + 1, rank + 1 < g.c.n)
                )
                cols += [lo.c.v.label(f"lo_{p}"), hi.c.v.label(f"hi_{p}")]
            cols += [g.c[n] for n in extra]
            return self._collect(select(*cols).select_from(joined), nk, percentiles, extra)
        finally:
            self._drop(table)

    def _collect(
        self, stmt: Select[Any], nk: int, percentiles: Sequence[int], extra: Iterable[str] = ()
    ) -> dict[GroupKey, Raw]:
        names = [*_duration_names(percentiles), *extra]
        out: dict[GroupKey, Raw] = {}
        for row in self._exec(stmt):
            key = tuple(_norm(v) for v in row[:nk])
            out[key] = {n: _num(v) for n, v in zip(names, row[nk:], strict=True)}
        return out

    # ------------------------------------------------------------------ metrics

    def compute(
        self,
        name: str,
        query: KpiQuery,
        context: KpiContext,
        *,
        sla_records: Sequence[SlaTimerRecord] | None = None,
        sla_table: Any = None,
    ) -> list[MetricRow]:
        """The rows of metric ``name``, computed in SQL."""
        check_query(name, query)
        metric(name)
        self._tune()
        q = query.evolve(grain="period") if name in SNAPSHOT else query
        fr = q.frame
        method = getattr(self, f"_m_{name}")
        groups, extra = method(q, fr, context, sla_table)
        return assemble(
            name,
            groups,
            by=q.by,
            grain=q.grain,
            period=q.period,
            percentiles=q.percentiles,
            extra_keys=extra,
        )

    def expect(self, requests: Iterable[tuple[str, KpiQuery]]) -> None:
        """Note metrics the caller will ask: those sharing a query and rows share a pass."""
        for name, query in requests:
            names = self._expected.setdefault(query, [])
            if name not in names:
                names.append(name)

    def _pass(self, name: str, q: KpiQuery, fr: Frame) -> dict[GroupKey, Raw]:
        """Metric ``name``'s groups, computed in one statement with the expected metrics
        that read the same rows with the same query (and the same agent column, where the
        query groups or filters by agent)."""
        kind, agent_column, _ = PASS_METRICS[name]
        by_agent = "agent" in q.by or "agent" in q.filters
        done = self._passes.setdefault((q, kind, agent_column if by_agent else None), {})
        if name not in done:
            b = self._base(kind, q)
            names = [name] + [
                n
                for n in self._expected.get(q, ())
                if n != name
                and n not in done
                and n in PASS_METRICS
                and PASS_METRICS[n][0] == kind
                and (not by_agent or PASS_METRICS[n][1] == agent_column)
            ]
            specs = {n: pass_spec(n, b) for n in names}
            # one duration per pass (its values are what the pass sorts)
            durations = [n for n in names if specs[n].value is not None]
            for n in durations[1:]:
                del specs[n]
            agent = b.c[agent_column]
            done.update(
                self._run_pass(
                    specs,
                    self._keys(b, q, fr, agent),
                    b,
                    self._agent_filter(q, agent),
                    q.percentiles,
                )
            )
        return done[name]

    def _run_pass(
        self,
        specs: Mapping[str, PassSpec],
        keys: Sequence[ColumnElement[Any]],
        source: FromClause,
        where: Sequence[ColumnElement[bool]],
        percentiles: Sequence[int],
    ) -> dict[str, dict[GroupKey, Raw]]:
        """Each spec's groups from one statement over ``source``."""
        if len(specs) == 1:
            # alone: the metric's rows in the WHERE clause, its aggregates as they are
            ((name, spec),) = specs.items()
            conds = [*where] if spec.where is None else [*where, spec.where]
            if spec.value is not None:
                return {name: self._durations(keys, spec.value, source, conds, percentiles)}
            aggs = {a: _total(e) for a, e in spec.sums.items()}
            return {name: self._grouped(keys, aggs, source, conds)}
        # together: each aggregate over its metric's rows (a CASE), every row scanned once
        names: dict[str, tuple[str, str]] = {}
        extra: dict[str, ColumnElement[Any] | None] = {}
        value: ColumnElement[Any] | None = None
        for name, spec in specs.items():
            if spec.value is not None:
                value = spec.value if spec.where is None else case((spec.where, spec.value))
            for agg, expr in spec.sums.items():
                label = f"x{len(extra)}"
                names[label] = (name, agg)
                if spec.where is None:
                    extra[label] = expr
                elif expr is None:
                    extra[label] = case((spec.where, 1), else_=0)
                else:
                    extra[label] = case((spec.where, expr))
        if value is not None:
            raw = self._durations(keys, value, source, where, percentiles, extra)
        else:
            raw = self._grouped(keys, {n: _total(e) for n, e in extra.items()}, source, where)
        out: dict[str, dict[GroupKey, Raw]] = {name: {} for name in specs}
        stats = _duration_names(percentiles)
        for key, values in raw.items():
            per: dict[str, Raw] = {}
            for label, (name, agg) in names.items():
                per.setdefault(name, {})[agg] = values[label]
            for name, spec in specs.items():
                mine = {s: values[s] for s in stats} if spec.value is not None else per[name]
                if mine[spec.count]:
                    out[name][key] = mine
        return out

    def _m_volume(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("volume", q, fr), ()

    def _m_first_response(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("first_response", q, fr), ()

    def _m_next_response(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("next_response", q, fr), ()

    def _m_resolution(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("resolution", q, fr), ()

    def _rate(
        self, b: Table, q: KpiQuery, fr: Frame, agent: Any, where: list[Any], hit: Any
    ) -> dict[GroupKey, Raw]:
        aggs = {"n": func.count(), "hits": func.sum(case((hit, 1), else_=0))}
        return self._grouped(
            self._keys(b, q, fr, agent), aggs, b, [*where, *self._agent_filter(q, agent)]
        )

    def _m_one_touch_rate(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("one_touch_rate", q, fr), ()

    def _m_reopen_rate(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("reopen_rate", q, fr), ()

    def _m_bot_containment(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        b = self._base("created", q)
        outcome = bot_outcome(b.c, window_ms(q.bot_return_window))
        hit = outcome == literal(Outcome.CONTAINED.value)
        return self._rate(b, q, fr, None, [b.c.bot == 1], hit), ()

    def _has_tag(self, col: Any, tag: str) -> ColumnElement[bool]:
        needle = literal(TAG_SEPARATOR + tag + TAG_SEPARATOR)
        if self._pg:
            return func.strpos(col, needle) > 0
        return func.instr(col, needle) > 0

    def _order_table(self, ctx: KpiContext, q: KpiQuery) -> Table:
        if ctx.orders is None:
            raise InvalidInput("this metric needs the host's orders (the customer_orders hook)")
        marker = id(ctx.orders)
        if self._orders is not None and self._orders[0] == marker:
            return self._orders[1]
        table = self._temp(
            "orders",
            [
                ("customer_id", String(64)),
                ("ticket_id", String(64)),
                ("created_ms", BigInteger),
                ("units", BigInteger),
                ("currency", String(16)),
            ],
        )
        self._fill(table, order_facts(ctx.orders, frozenset(q.excluded_order_statuses)))
        conn = self._uow.connection
        if self._pg:
            # conversion looks orders up by equality only; hash indexes build without
            # sorting the ids in the database's collation (38 ms against 70 ms here)
            Index(f"{table.name}_c", table.c.customer_id, postgresql_using="hash").create(conn)
            Index(f"{table.name}_t", table.c.ticket_id, postgresql_using="hash").create(conn)
        else:
            Index(f"{table.name}_c", table.c.customer_id, table.c.created_ms).create(conn)
            Index(f"{table.name}_t", table.c.ticket_id).create(conn)
        self._orders = (marker, table)
        return table

    def _m_conversion_rate(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        b = self._base("created", q)
        o = self._order_table(ctx, q)
        window = q.conversion_window // timedelta(milliseconds=1)
        hit = or_(
            exists().where(o.c.ticket_id == b.c.ticket_id),
            exists().where(
                o.c.customer_id == b.c.customer_id,
                o.c.created_ms >= b.c.created_ms,
                o.c.created_ms < b.c.created_ms + _int(window),
            ),
        )
        return self._rate(
            b, q, fr, b.c.assignee, [self._has_tag(b.c.tags, q.pre_sale_tag)], hit
        ), ()

    def _served(self, q: KpiQuery, fr: Frame) -> Any:
        """Served customers per group key (a temporary table, kept for repeat and CLV)."""
        b = self._base("created", q)
        key = ("served", b.name, q.grain, q.by, tuple(q.filters.get("agent", ()) or ()))
        found = self._bases.get(key)
        keys = self._keys(b, q, fr, b.c.assignee)
        if found is None:
            found = self._temp(
                "served",
                [
                    *((f"k{i}", _key_type(k)) for i, k in enumerate(keys)),
                    ("customer_id", String(64)),
                ],
            )
            # GROUP BY rather than DISTINCT: SQLite sorts instead of filling a b-tree
            labeled = [k.label(f"k{i}") for i, k in enumerate(keys)]
            sel = (
                select(*labeled, b.c.customer_id)
                .where(*self._agent_filter(q, b.c.assignee))
                .group_by(*_grouping(keys), b.c.customer_id)
            )
            names = [*(f"k{i}" for i in range(len(keys))), "customer_id"]
            self._exec(insert(found).from_select(names, sel))
            if not self._pg:
                # SQLite joins it to the orders by nested loops (without the index they go
                # quadratic); PostgreSQL hashes both sides and never reads an index here
                Index(f"{found.name}_c", found.c.customer_id).create(self._uow.connection)
            self._bases[key] = found
        return found, len(keys)

    @staticmethod
    def _served_keys(served: Table, nk: int, q: KpiQuery) -> list[ColumnElement[Any]]:
        """The group keys of a served-customers table (grain ``period``: the one bucket, a
        constant never grouped or sorted by)."""
        keys: list[ColumnElement[Any]] = [served.c[f"k{i}"] for i in range(nk)]
        if q.grain == "period":
            keys[0] = _ONE_BUCKET
        return keys

    def _m_repeat_rate(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        o = self._order_table(ctx, q)
        served, nk = self._served(q, fr)
        counts = (
            select(o.c.customer_id, func.count().label("c"))
            .group_by(o.c.customer_id)
            .subquery("oc")
        )
        keys = self._served_keys(served, nk, q)
        aggs = {"n": func.count(), "hits": func.sum(case((counts.c.c >= 2, 1), else_=0))}
        source = served.outerjoin(counts, counts.c.customer_id == served.c.customer_id)
        return self._grouped(keys, aggs, source, []), ()

    def _m_clv(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        o = self._order_table(ctx, q)
        served, nk = self._served(q, fr)
        totals = (
            select(o.c.customer_id, o.c.currency, func.sum(o.c.units).label("total"))
            .group_by(o.c.customer_id, o.c.currency)
            .subquery("totals")
        )
        keys = [*self._served_keys(served, nk, q), totals.c.currency]
        source = served.join(totals, totals.c.customer_id == served.c.customer_id)
        with self._without_merge_joins():
            found = self._durations(keys, totals.c.total, source, [], q.percentiles)
        return found, ("currency",)

    @contextlib.contextmanager
    def _without_merge_joins(self) -> Iterator[None]:
        """PostgreSQL: no merge joins for the statements inside (the setting given back after).

        The temporary tables have no statistics, so the planner guesses a few thousand rows
        on each side of CLV's join and merge-joins them: it sorts tens of thousands of ids on
        each side (a locale's text sort, spilling to disk) where a hash join takes a third of
        the time. ``ANALYZE`` of the temporary tables costs more than it saves.
        """
        if not self._pg:
            yield
            return
        run = self._uow.execute
        before = run(select(func.current_setting("enable_mergejoin"))).scalar_one()
        run(select(func.set_config("enable_mergejoin", "off", True)))
        try:
            yield
        finally:
            run(select(func.set_config("enable_mergejoin", before, True)))

    def _m_csat(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("csat", q, fr), ()

    def _m_nps(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        return self._pass("nps", q, fr), ()

    def _snapshot(self, q: KpiQuery, ctx: KpiContext) -> Any:
        """Counted open tickets now, with the non-time filters (a subquery)."""
        k = kpi_tickets.c
        sq = (
            select(
                k.ticket_id,
                k.created_ms,
                k.channel,
                k.group_id.label("grp"),
                k.assignee_id.label("assignee"),
                k.category,
                k.priority,
                customers.c.tier,
                _int(0).label("d"),
            )
            .select_from(kpi_tickets.outerjoin(customers, customers.c.id == k.customer_id))
            .where(k.spam == 0, k.merged == 0, k.status.in_(list(ctx.open_statuses) or [""]))
            .subquery("open_now")
        )
        cols = {
            "channel": sq.c.channel,
            "group": sq.c.grp,
            "category": sq.c.category,
            "priority": sq.c.priority,
            "tier": sq.c.tier,
        }
        conds = [_in(cols[d], v) for d, v in q.filters.items() if d in cols]
        return sq, conds

    def _m_backlog(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        sq, conds = self._snapshot(q, ctx)
        agent = sq.c.assignee
        keys = self._keys(sq, q, fr, agent)
        value = _int(ctx.now_ms) - sq.c.created_ms
        return self._durations(
            keys, value, sq, [*conds, *self._agent_filter(q, agent)], q.percentiles
        ), ()

    def _m_utilisation(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        sq, conds = self._snapshot(q, ctx)
        per_agent: list[Any] = list(
            self._exec(
                select(sq.c.assignee, func.count())
                .where(*conds, sq.c.assignee.is_not(None))
                .group_by(sq.c.assignee)
            )
        )
        counts: dict[str, int] = {row[0]: int(row[1]) for row in per_agent}
        wanted = q.filters.get("agent")
        out: dict[GroupKey, Raw] = {}
        found: list[Any] = list(self._uow.execute(select(agents.c.id, agents.c.max_concurrent)))
        for agent_id, capacity in found:
            if wanted is not None and agent_id not in wanted:
                continue
            key: GroupKey = (0, agent_id) if q.by else (0,)
            raw = out.setdefault(key, {"open": 0, "capacity": 0})
            raw["open"] += counts.get(agent_id, 0)
            raw["capacity"] += int(capacity)
        return out, ()

    def _m_agent_activity(self, q: KpiQuery, fr: Frame, ctx: KpiContext, _s: Any) -> Groups:
        handled = self._pass("agent_activity", q, fr)
        r = self._base("replies", q)
        slot = r.c.d * _int(24) + r.c.h
        # ids are ASCII: compared byte by byte they are as distinct as in any collation, and
        # PostgreSQL's "C" sorts them several times faster than a locale's (e.g. C.UTF-8)
        ticket: ColumnElement[Any] = r.c.ticket_id.collate("C") if self._pg else r.c.ticket_id
        responses = self._grouped(
            self._keys(r, q, fr, r.c.agent),
            {
                "responses": func.count(),
                "touched": func.count(ticket.distinct()),
                "active_hours": func.count(slot.distinct()),
            },
            r,
            self._agent_filter(q, r.c.agent),
        )
        out: dict[GroupKey, Raw] = {}
        for key in set(handled) | set(responses):
            out[key] = {
                "handled": handled.get(key, {}).get("handled", 0),
                **responses.get(key, {"responses": 0, "touched": 0, "active_hours": 0}),
            }
        return out, ()

    def _m_sla_achievement(self, q: KpiQuery, fr: Frame, ctx: KpiContext, table: Any) -> Groups:
        if table is None:
            return {}, ("sla_metric",)
        d = self._uow.dialect
        c = table.c
        met, breached, due = (
            epoch_ms(c.met_at, d),
            epoch_ms(c.breached_at, d),
            epoch_ms(c.due_at, d),
        )
        achieved = and_(met.is_not(None), met <= due, or_(breached.is_(None), met < breached))
        ended = case((achieved, met), (breached.is_not(None), breached), (met.is_not(None), due))
        k = kpi_tickets.c
        inner = (
            select(
                ended.label("t"),
                case((achieved, 1), else_=0).label("ok"),
                c.metric.label("sla_metric"),
                k.channel,
                k.group_id.label("grp"),
                k.assignee_id.label("assignee"),
                k.category,
                k.priority,
                customers.c.tier,
            )
            .select_from(
                table.join(kpi_tickets, k.ticket_id == c.ticket_id).outerjoin(
                    customers, customers.c.id == k.customer_id
                )
            )
            .where(k.spam == 0, k.merged == 0)
            .subquery("timers")
        )
        local = self._local(inner.c.t, fr)
        day = _div(local, DAY_MS)
        derived = (
            select(
                inner,
                day.label("d"),
                (_div(local, HOUR_MS) % _int(24)).label("h"),
                ((day + _int(3)) % _int(7)).label("wd"),
            )
            .where(inner.c.t >= fr.start_ms, inner.c.t < fr.end_ms)
            .subquery("dated")
        )
        cols = {
            "channel": derived.c.channel,
            "group": derived.c.grp,
            "category": derived.c.category,
            "priority": derived.c.priority,
            "tier": derived.c.tier,
            "hour": derived.c.h,
            "weekday": derived.c.wd,
        }
        conds = [_in(cols[dim], v) for dim, v in q.filters.items() if dim != "agent"]
        keys = [*self._keys(derived, q, fr, derived.c.assignee), derived.c.sla_metric]
        aggs = {"n": func.count(), "hits": func.sum(derived.c.ok)}
        return self._grouped(
            keys, aggs, derived, [*conds, *self._agent_filter(q, derived.c.assignee)]
        ), ("sla_metric",)

    # ------------------------------------------------------------------ bulk history

    def load_rows(self, table_name: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert encoded rows into a table (a history generator's fast path; no checks).

        Each row holds the table's columns in order, encoded as SQLite stores them:
        instants as UTC text (:func:`us_text`), JSON as text (:data:`JSON_TEXT`), booleans
        as 0 or 1. SQLite gets blocks of rows per ``INSERT``, PostgreSQL one ``COPY``.
        """
        if not rows:
            return
        from helpdesk_kit.storage.sql.tables import UTCDateTime, metadata

        table = metadata.tables[table_name]
        names = [c.name for c in table.c]
        if self._uow.dialect == "postgresql":
            times = {i for i, c in enumerate(table.c) if isinstance(c.type, UTCDateTime)}
            driver = self._uow.connection.connection.driver_connection
            assert driver is not None
            sql = f"COPY {table_name} ({', '.join(names)}) FROM STDIN"
            with driver.cursor() as cur, cur.copy(sql) as copy:
                lines = []
                for row in rows:
                    cells = []
                    for i, v in enumerate(row):
                        if v is None:
                            cells.append("\\N")
                        elif i in times:
                            cells.append(v + "+00")
                        elif isinstance(v, str):
                            cells.append(v.translate(_COPY_ESCAPES))
                        else:
                            cells.append(str(v))
                    lines.append("\t".join(cells))
                    if len(lines) >= 2000:
                        copy.write("\n".join(lines) + "\n")
                        lines = []
                if lines:
                    copy.write("\n".join(lines) + "\n")
        else:
            # a bulk load touches many index pages: let SQLite keep them in memory
            self._uow.run("PRAGMA cache_size = -262144")
            self._uow.insert_rows(table_name, names, rows, what=table_name)
        self._uow.storage.note_bulk_rows(len(rows))

    # ------------------------------------------------------------------ helpers for the desk

    def served_customer_ids(self, query: KpiQuery, *, pre_sale_only: bool = False) -> list[str]:
        """Customers with a counted ticket created in the period (filters applied)."""
        self._tune()
        if pre_sale_only:
            b = self._base("created", query)
            conds = self._agent_filter(query, b.c.assignee)
            conds.append(self._has_tag(b.c.tags, query.pre_sale_tag))
            ids: list[str] = list(
                self._exec(select(b.c.customer_id).where(*conds).distinct()).scalars()
            )
        else:
            # the served customers of the whole period, as repeat rate and CLV group them
            whole = query.evolve(grain="period", by=())
            served, _ = self._served(whole, whole.frame)
            # tens of thousands of ids: read through the driver (SQLAlchemy's result
            # machinery cost more than the driver's own fetch), as one array (a row each
            # would be as many tuples alive at once: they outlive the garbage collector's
            # young generations and bring its full collections sooner)
            gather = "array_agg" if self._pg else "json_group_array"
            cur = self._uow.run(
                f"SELECT {gather}(customer_id) FROM {served.name}", what="served customers"
            )
            found = cur.fetchone()[0]
            ids = (found or []) if self._pg else json.loads(found)
        # sorted here, by code point as on every backend (a database sort of tens of
        # thousands of ids in the database's collation costs more than reading them)
        return sorted(ids)

    def customers(self, customer_ids: Sequence[str]) -> list[Customer]:
        """The customers with these ids, with their identities, in two joins.

        Rows come from the database, so the objects are built without re-running the
        model's validators (a report may need tens of thousands of them).
        """
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return []
        wanted = self._temp("ids", [("id", String(64))])
        try:
            self._fill(wanted, ((i,) for i in ids))
            c, ci = customers.c, customer_identities.c
            idents: dict[str, list[Identity]] = {}
            q_ident = (
                select(ci.customer_id, ci.kind, ci.value)
                .select_from(wanted.join(customer_identities, ci.customer_id == wanted.c.id))
                .order_by(ci.customer_id, ci.position)
            )
            ident_rows: Sequence[Any] = self._exec(q_ident).all()
            for cid, kind, value in ident_rows:
                idents.setdefault(cid, []).append(_identity(kind, value))
            q = select(c.id, c.name, c.tier, c.locale, c.created_at).select_from(
                wanted.join(customers, c.id == wanted.c.id)
            )
            people: Sequence[Any] = self._exec(q).all()
            found = {
                cid: _customer(cid, name, tier, locale, created, idents.get(cid, []))
                for cid, name, tier, locale, created in people
            }
        finally:
            self._drop(wanted)
        return [found[i] for i in ids if i in found]

    def _fill(self, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert plain rows into a temporary table (SQLite: blocks of rows per ``INSERT``,
        see :meth:`SqlUnitOfWork.insert_rows`; PostgreSQL: ``COPY``).

        ``rows`` is read once, as it goes: a report's tens of thousands of order rows are
        never all held at once (they would outlive the garbage collector's young generations
        and make its full collections more frequent).
        """
        names = [c.name for c in table.c]
        if self._pg:
            driver = self._uow.connection.connection.driver_connection
            assert driver is not None
            with (
                driver.cursor() as cur,
                cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            self._uow.insert_rows(table.name, names, rows, what=table.name)

    def hot_word_texts(self, query: KpiQuery, *, sample: int) -> list[HotWordText]:
        """Customer messages of the sampled counted tickets created in the period."""
        self._tune()
        fr = query.frame
        k, m = kpi_tickets.c, messages.c
        tier = "tier" in query.filters
        source: Any = kpi_tickets
        if tier:
            source = source.outerjoin(customers, customers.c.id == k.customer_id)
        local = self._local(k.created_ms, fr)
        day = _div(local, DAY_MS)
        columns: dict[str, Any] = {
            "channel": k.channel,
            "group": k.group_id,
            "agent": k.assignee_id,
            "category": k.category,
            "priority": k.priority,
            "tier": customers.c.tier if tier else None,
            "hour": _div(local, HOUR_MS) % _int(24),
            "weekday": (day + _int(3)) % _int(7),
        }
        conds = [
            k.created_ms >= fr.start_ms,
            k.created_ms < fr.end_ms,
            k.spam == 0,
            k.merged == 0,
            *(_in(columns[dim], values) for dim, values in query.filters.items()),
        ]
        made = self._made_base("created", query)
        if made is not None:
            # the copy of the same rows a report already made: counted there
            counted = select(func.count()).select_from(made)
            counted = counted.where(*self._agent_filter(query, made.c.assignee))
        else:
            counted = select(func.count()).select_from(source).where(*conds)
        count = int(self._exec(counted).scalar_one())
        every = sample_every(count, sample)
        if every > 1:
            conds.append(k.number % _int(every) == 0)
        stmt = (
            select(m.ticket_id, k.number, m.text)
            .select_from(source.join(messages, m.ticket_id == k.ticket_id))
            .where(*conds, m.author_kind == "customer", m.public.is_(True), m.text != "")
            .order_by(k.number, m.created_at, m.id)
        )
        found: Sequence[Any] = self._exec(stmt).all()
        return [(tid, int(number), text) for tid, number, text in found]


_JSON_NAMES = frozenset(
    {"tags", "attributes", "skills", "languages", "participants", "custom_fields", "data"}
)
_TYPES: dict[str, Any] = {
    "t": BigInteger,
    "number": BigInteger,
    "created_ms": BigInteger,
    "first_response_ms": BigInteger,
    "solved_ms": BigInteger,
    "reopen_count": Integer,
    "agent_replies": Integer,
    "bot_replies": Integer,
    "handoff": Integer,
    "bot": Integer,
    "bot_resolved": Integer,
    "wait": BigInteger,
    "first": Integer,
    "score": Integer,
    "nps": Integer,
    "tags": Text,
}


def _key_type(col: Any) -> Any:
    """A column type for a group key in a temporary table (integers stay integers)."""
    if isinstance(col.type, Integer):
        return BigInteger
    return String(255)


def _identity(kind: str, value: str) -> Identity:
    """An identity as stored (already normalized)."""
    ident = object.__new__(Identity)
    object.__setattr__(ident, "kind", kind)
    object.__setattr__(ident, "value", value)
    return ident


def _customer(
    cid: str, name: str, tier: str, locale: str | None, created: Any, idents: list[Identity]
) -> Customer:
    """A customer from stored values (tags and attributes are not loaded: KPIs need none)."""
    customer = object.__new__(Customer)
    for field, value in (
        ("name", name),
        ("identities", tuple(idents)),
        ("tier", tier),
        ("locale", locale),
        ("tags", frozenset()),
        ("attributes", {}),
        ("created_at", created),
        ("id", cid),
        ("merged_into", None),
    ):
        object.__setattr__(customer, field, value)
    return customer


def _norm(value: Any) -> Any:
    """Group keys as the reference has them: ints for numbers, text otherwise."""
    if value is None or isinstance(value, str):
        return value
    return int(value)


def _num(value: Any) -> Any:
    """Aggregates as Python ints (PostgreSQL's SUM of a bigint is a Decimal)."""
    return None if value is None else int(value)


_DAY_TEXT: dict[int, str] = {}
#: JSON text as the bulk loader takes it (compact, UTF-8)
JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def us_text(us: int) -> str:
    """SQLite's text for an instant in epoch microseconds (as the storage writes it)."""
    secs, frac = divmod(us, 1_000_000)
    day, rest = divmod(secs, 86_400)
    head = _DAY_TEXT.get(day)
    if head is None:
        head = _DAY_TEXT[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{head}{hour:02d}:{minute:02d}:{second:02d}.{frac:06d}"
