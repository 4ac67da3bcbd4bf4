"""Export and import of every table: memory -> SQLite -> PostgreSQL -> memory loses nothing."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpdesk_kit import FrozenClock, Helpdesk, Identity, InboundMessage, hookimpl
from helpdesk_kit.authority import Money
from helpdesk_kit.bot.intents import IntentClassifier
from helpdesk_kit.bot.starter import load_starter_examples
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.errors import AlreadyExists, InvalidInput
from helpdesk_kit.escalation import guide_policies as escalation_guide
from helpdesk_kit.sla import guide_policies
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.storage.sql.tables import metadata
from helpdesk_kit.storage.transfer import export_jsonl, import_jsonl, iter_records
from helpdesk_kit.storage.transfer_codec import (
    DERIVED_TABLES,
    TRANSIENT_TABLES,
    transferred_tables,
)
from helpdesk_kit.storage.transfer_memory import MEMORY_TABLES
from helpdesk_kit.testing.simulate import simulate
from helpdesk_kit.tickets.model import AttachmentMeta

START = datetime(2026, 11, 2, 1, tzinfo=UTC)
PG = os.environ.get("HELPDESK_KIT_TEST_DATABASE_URL")
DATA = Path(__file__).parent / "data"

POLICY = """
currency = "CNY"
window = "24h"
approvers = ["supervisor"]

[actions.refund.limits]
agent = "200"
supervisor = "2000"
"""


class Shop:
    """The host application: a refund action and the bot's two actions."""

    @hookimpl
    def register_authority_actions(self, register: Any) -> None:
        register("refund", lambda desk, request: {"refund_id": "RF-" + request.id[-6:]})

    @hookimpl
    def register_bot_actions(self, register: Any) -> None:
        register("order_status", lambda desk, customer, slots: {"ok": True, "text": "sent"})
        register("password_reset", lambda desk, customer, slots: {"ok": True, "text": "sent"})


def make_desk(storage: Storage) -> Helpdesk:
    """A desk on ``storage`` configured like the one :func:`fill` filled."""
    desk = Helpdesk(
        storage=storage,
        clock=FrozenClock(START),
        settings=DeskSettings(auto_assign=False),
        plugins=[Shop()],
        load_entrypoints=False,
    )
    desk.configure_sla(guide_policies())
    desk.configure_authority(POLICY)
    return desk


def fill(desk: Helpdesk) -> None:
    """Data in every feature: a simulated history, KB, macros, authority, SLA, bot, surveys."""
    clock = desk.clock
    assert isinstance(clock, FrozenClock)
    simulate(desk, start=START, days=1, seed=3, tickets=12)
    desk.configure_escalation(escalation_guide())
    # routing state: a desk on the same storage that routes (this one does not auto-assign)
    router = Helpdesk(storage=desk.storage, clock=clock, load_entrypoints=False)
    router.add_group("round", routing="round_robin")
    router.add_agent("Bo", groups=["round"], max_concurrent=1)
    zhao = router.add_customer("赵", email="zhao@example.cn")
    for subject in ("first", "second"):  # one is routed to Bo, one waits in the queue
        router.open_ticket(zhao, subject, "?", group="round")
    desk.configure_automation(
        {
            "time_rules": [
                {
                    "name": "open-nudge",
                    "when": {"field": "ticket.status", "op": "ne", "value": "closed"},
                    "after": "30d",
                    "actions": [{"action": "add_tag", "tags": ["nudged"]}],
                }
            ]
        }
    )
    kb = desk.kb
    kb.import_starter()
    parent = kb.add_category("help", "Help", names={"zh": "帮助"})
    kb.add_category("help-orders", "Orders", parent=parent, position=2)
    article = kb.articles()[0]
    kb.edit_article(article, note="clearer", title=article.title + " (new)")
    kb.vote(article, False, reason="outdated", voter="cust-1")
    kb.vote(article, True)
    kb.record_view(article, 3)
    kb.search("blorfen quuxly zzqx", locale="en")
    desk.configure_bot(IntentClassifier().fit(load_starter_examples()), note_locale="zh")
    chat = desk.receive(InboundMessage("chat", Identity("chat", "visitor-1"), "我的订单到哪了？"))
    assert chat.ticket is not None
    ann = desk.add_agent("Ann", languages=["en"])
    lu = desk.add_agent("陆主管", role="supervisor", status="away")
    desk.relabel_intent(chat.ticket, "order_status", agent=ann)
    desk.install_starter_macros(author="setup")
    desk.save_template("thanks", {"en": "Thank you, {customer.name}! 😀"}, author=ann)
    desk.save_template("thanks", {"en": "Thanks again, {customer.name}."}, author=ann)
    wang = desk.add_customer("王芳", email="wang@example.cn", phone="+86 138 0000 0000")
    mail = desk.receive(
        InboundMessage(
            "email",
            Identity("email", "wang@example.cn"),
            "屏幕碎了 مرحبا",
            "Broken\x1fscreen",
            external_id="<m1@x>",
            attachments=[AttachmentMeta("a.png", "image/png", 12), AttachmentMeta("b.pdf", "x", 0)],
        )
    )
    assert mail.ticket is not None
    assert mail.ticket.customer_id == wang.id
    desk.receive(
        InboundMessage(
            "email",
            Identity("email", "wang@example.cn"),
            text="再不处理我就投诉",
            external_id="<m2@x>",
            thread_refs=["<m1@x>"],
        )
    )
    desk.request_action(mail.ticket, "refund", amount=Money("80", "CNY"), actor=ann)
    big = desk.request_action(mail.ticket, "refund", amount=Money("800", "CNY"), actor=ann)
    desk.approve(big.id, actor=lu, note="老客户")
    desk.add_followup(mail.ticket, "call back", actor=ann, due_at=clock.now() + timedelta(days=1))
    with desk.storage.unit_of_work() as uow:
        uow.due.schedule("transfer-test", "k1", clock.now(), {"n": 1})
        uow.commit()
    clock.advance(timedelta(days=1))
    desk.sweep()


def lines(storage: Storage) -> list[str]:
    """The export of ``storage`` as lines."""
    return [line for _kind, line in iter_records(storage)]


def copy(source: Storage, target: Storage, *, batch_size: int = 500) -> list[str]:
    """Export ``source`` into ``target``; the export's lines."""
    out = io.StringIO()
    export_jsonl(source, out)
    import_jsonl(target, io.StringIO(out.getvalue()), batch_size=batch_size)
    return out.getvalue().splitlines()


def test_every_table_is_transferred() -> None:
    """A table on the schema travels (SQL and memory) or is documented as rebuilt/transient.

    A feature that adds a table and fails here adds an entry to ``MEMORY_TABLES`` (or, for
    rows that can be rebuilt or hold no data, to ``DERIVED_TABLES``/``TRANSIENT_TABLES``).
    """
    tables = set(metadata.tables)
    missing = tables - set(MEMORY_TABLES) - DERIVED_TABLES - TRANSIENT_TABLES
    assert not missing, f"tables not covered by export/import on memory storage: {missing}"
    assert not set(MEMORY_TABLES) - tables, "memory entries for tables that do not exist"
    assert {t.name for t in transferred_tables()} == set(MEMORY_TABLES)
    assert not (DERIVED_TABLES | TRANSIENT_TABLES) - tables


@pytest.fixture(scope="module")
def filled() -> MemoryStorage:
    """A memory store with data in every feature (built once: it takes a few seconds)."""
    storage = MemoryStorage()
    fill(make_desk(storage))
    return storage


def test_the_filled_desk_has_rows_in_every_table(filled: MemoryStorage) -> None:
    counts = export_jsonl(filled, io.StringIO()).counts
    empty = [t.name for t in transferred_tables() if not counts.get(t.name)]
    assert not empty


def _kpis(storage: Storage) -> dict[str, Any]:
    desk = make_desk(storage)
    rows = desk.kpis(["first_response", "csat", "sla_achievement"], "2026-11", by="channel")
    return {name: [repr(r) for r in found] for name, found in rows.items()}


def test_round_trip_memory_sqlite_postgresql_memory(
    filled: MemoryStorage, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    first = lines(filled)
    lite = SqlStorage(f"sqlite:///{tmp_path / 'a.db'}")
    stores: list[Storage] = [lite]
    try:
        assert copy(filled, lite, batch_size=7) == first
        assert lines(lite) == first
        last: Storage = lite
        if PG:
            pg = SqlStorage(request.getfixturevalue("fresh_pg"))
            stores.append(pg)
            assert copy(lite, pg) == first
            assert lines(pg) == first
            last = pg
        back = MemoryStorage()
        assert copy(last, back) == first
        assert lines(back) == first
        # derived KPI facts are rebuilt on the SQL side and agree with the original
        assert _kpis(last) == _kpis(filled)
        # ticket numbers go on where the source stopped
        for target in (lite, back):
            desk = make_desk(target)
            customer = desk.find_customer("email", "wang@example.cn")
            assert customer is not None
            fresh = desk.open_ticket(customer, "New", "after the move")
            assert fresh.number == json.loads(first[1])["next"]
    finally:
        for s in stores:
            s.close()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    elif request.param == "sqlite":
        storage = SqlStorage(f"sqlite:///{tmp_path / 't.db'}")
    else:
        storage = SqlStorage(request.getfixturevalue("fresh_pg"))
    yield storage
    storage.close()


def _small_export() -> list[str]:
    storage = MemoryStorage()
    desk = make_desk(storage)
    desk.add_group("after-sales")
    lin = desk.add_agent("Lin", groups=["after-sales"])
    customer = desk.add_customer("Mia", email="mia@example.com")
    ticket = desk.open_ticket(customer, "Hello", "first")
    desk.reply(ticket, "Hi", author=lin)
    return lines(storage)


def test_a_bad_line_names_itself_and_stores_nothing(target: Storage) -> None:
    good = _small_export()
    desk = make_desk(target)
    desk.add_customer("Already here", email="here@example.com")
    before = lines(target)
    ticket_line = next(i for i, line in enumerate(good) if '"table": "tickets"' in line)
    broken = json.loads(good[ticket_line])
    broken["data"]["number"] = "1001"
    bad = [*good[:ticket_line], json.dumps(broken), *good[ticket_line + 1 :]]
    with pytest.raises(InvalidInput, match=rf"line {ticket_line + 1}: tickets.number"):
        import_jsonl(target, bad, batch_size=2)
    assert lines(target) == before
    # a record the target holds already: AlreadyExists, and again nothing is stored
    import_jsonl(target, good)
    after = lines(target)
    with pytest.raises(AlreadyExists):
        import_jsonl(target, good)
    assert lines(target) == after


def test_a_failure_at_the_end_stores_nothing(target: Storage) -> None:
    """All or nothing: the last line is bad after every row was stored."""
    good = _small_export()
    with pytest.raises(InvalidInput, match=rf"line {len(good) + 1}: unknown table"):
        import_jsonl(target, [*good, '{"type": "row", "table": "spaceships", "data": {}}'])
    assert lines(target) == lines(MemoryStorage())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nmae": "x"}, "has no column"),
        ({"name": None}, "groups.name must not be null"),
        ({"name": 7}, "groups.name must be a string"),
        ({"name": "x" * 201}, "is 201 characters long"),
        ({"routing": ["a"]}, "groups.routing must be a string"),
    ],
)
def test_values_are_checked_against_their_columns(change: dict[str, Any], message: str) -> None:
    good = _small_export()
    at = next(i for i, line in enumerate(good) if '"table": "groups"' in line)
    record = json.loads(good[at])
    record["data"].update(change)
    bad = [*good[:at], json.dumps(record), *good[at + 1 :]]
    storage = MemoryStorage()
    with pytest.raises(InvalidInput, match=f"line {at + 1}: .*{message}"):
        import_jsonl(storage, bad)


def test_datetimes_and_integers_are_checked() -> None:
    good = _small_export()
    at = next(i for i, line in enumerate(good) if '"table": "tickets"' in line)
    for field, value, message in [
        ("created_at", "2026-11-02T01:00:00", "has no time zone"),
        ("created_at", "yesterday", "is not an ISO datetime"),
        ("version", True, "must be an integer"),
    ]:
        record = json.loads(good[at])
        record["data"][field] = value
        bad = [*good[:at], json.dumps(record), *good[at + 1 :]]
        with pytest.raises(InvalidInput, match=f"line {at + 1}: tickets.{field} {message}"):
            import_jsonl(MemoryStorage(), bad)


def test_other_bad_records() -> None:
    header = '{"type": "helpdesk_kit", "format": 2}'
    with pytest.raises(InvalidInput, match="line 2: unknown record type 'spaceship'"):
        import_jsonl(MemoryStorage(), [header, '{"type": "spaceship"}'])
    with pytest.raises(InvalidInput, match="line 3: a groups row must be a JSON object"):
        import_jsonl(MemoryStorage(), [header, "", '{"type": "row", "table": "groups"}'])
    with pytest.raises(InvalidInput, match="line 2: the next ticket number"):
        import_jsonl(
            MemoryStorage(), [header, '{"type": "sequence", "name": "ticket_number", "next": 0}']
        )
    with pytest.raises(InvalidInput, match="line 2: not a JSON record"):
        import_jsonl(MemoryStorage(), [header, "[1, 2]"])


def test_a_format_1_file_still_imports(target: Storage) -> None:
    """An export written by the release before every table travelled (core records only)."""
    with open(DATA / "export-format-1.jsonl", encoding="utf-8") as old:
        counts = import_jsonl(target, old)
    assert counts.counts == {
        "agent": 1,
        "customer": 1,
        "event": 6,
        "followup": 1,
        "group": 1,
        "message": 2,
        "ticket": 1,
    }
    desk = make_desk(target)
    (ticket,) = desk.list_tickets().items
    assert [m.text for m in desk.messages(ticket)] == ["我的订单到哪了？", "正在查"]
    assert desk.open_ticket(ticket.customer_id, "Next", "x").number == ticket.number + 1
