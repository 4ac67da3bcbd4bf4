"""Export and import: a desk moves between backends without losing anything."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from helpdesk_kit.cli import main
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.storage.transfer import export_jsonl, import_jsonl, iter_records
from helpdesk_kit.tickets.model import AttachmentMeta, Identity, InboundMessage


def _busy_desk(storage: Storage) -> Helpdesk:
    """A desk with some of everything: groups, agents, customers, merges, notes, follow-ups."""
    clock = FrozenClock()
    desk = Helpdesk(storage=storage, clock=clock, load_entrypoints=False)
    desk.add_group("after-sales", description="售后")
    desk.add_group("pre-sales", routing="round_robin")
    lin = desk.add_agent(
        "Lin Yi",
        email="lin@shop.example",
        groups=["after-sales"],
        skills=["refund"],
        languages=["zh", "en"],
        status="online",
        max_concurrent=3,
    )
    desk.add_agent("Sam", groups=["pre-sales", "after-sales"], status="away", shift="night")
    wang = desk.add_customer(
        "王芳",
        email="wang@example.cn",
        phone="+86 138 0000 0000",
        tier="vip",
        tags=["repeat"],
        attributes={"orders": [1, 2], "note": "😀"},
    )
    for n in range(7):
        clock.advance(minutes=7)
        desk.receive(
            InboundMessage(
                "email",
                Identity("email", f"c{n % 3}@example.com"),
                f"text {n} مرحبا",
                f"Subject {n}",
                external_id=f"<m{n}@x>",
                attachments=[AttachmentMeta(f"{n}.png", "image/png", n)],
            )
        )
    clock.advance(minutes=3)
    reply = desk.receive(
        InboundMessage(
            "email",
            Identity("email", "c0@example.com"),
            "more",
            "Re",
            external_id="<r@x>",
            thread_refs=["<m0@x>"],
        )
    )
    t = desk.open_ticket(
        wang,
        "Refund",
        "please",
        channel="chat",
        tags=["refund"],
        custom_fields={"order": "SO-1", "amount": "12.50"},
        priority="high",
    )
    desk.reply(t, "Done", author=lin, transition="pend")
    desk.add_note(t, "internal", author=lin)
    f = desk.add_followup(t, "call back", reason="check refund", actor=lin)
    desk.add_followup(t, "survey", actor=lin)
    desk.complete_followup(f, actor=lin)
    assert reply.ticket is not None
    other = desk.list_tickets(limit=2).items[1]
    desk.merge(other, reply.ticket, actor=lin)
    return desk


def _lines(storage: Storage) -> list[str]:
    return [line for _kind, line in iter_records(storage)]


@pytest.mark.parametrize("target", ["memory", "sqlite", "postgresql"])
def test_round_trip_is_lossless(
    tmp_path: Path, target: str, request: pytest.FixtureRequest
) -> None:
    source = SqlStorage(f"sqlite:///{tmp_path / 'source.db'}")
    _busy_desk(source)
    out = io.StringIO()
    counts = export_jsonl(source, out)
    assert counts.counts["tickets"] == 8
    assert counts.counts["agents"] == 2
    if target == "memory":
        dest: Storage = MemoryStorage()
    elif target == "sqlite":
        dest = SqlStorage(f"sqlite:///{tmp_path / 'dest.db'}")
    else:
        dest = SqlStorage(request.getfixturevalue("fresh_pg"))
    try:
        back = import_jsonl(dest, io.StringIO(out.getvalue()), batch_size=3)
        assert back.counts == counts.counts
        assert _lines(dest) == _lines(source)
        desk = Helpdesk(storage=dest, load_entrypoints=False)
        fresh = desk.open_ticket(desk.find_customer("email", "wang@example.cn") or "", "New", "x")
        assert fresh.number > 1008
    finally:
        source.close()
        dest.close()


def test_cli_export_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    storage = SqlStorage(src)
    _busy_desk(storage)
    storage.close()
    dump = tmp_path / "desk.jsonl"
    assert main(["export", "--format", "jsonl", "--url", src, "--output", str(dump)]) == 0
    assert "exported" in capsys.readouterr().err
    assert main(["import", "--url", dst, str(dump)]) == 0
    assert "imported" in capsys.readouterr().err
    a, b = SqlStorage(src), SqlStorage(dst)
    try:
        assert _lines(a) == _lines(b)
    finally:
        a.close()
        b.close()
    assert main(["export", "--url", src]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert json.loads(printed[0]) == {"type": "helpdesk_kit", "format": 2}
    assert main(["import", "--url", dst, str(dump)]) == 1  # everything exists already
    assert "already exists" in capsys.readouterr().err


def test_import_rejects_what_is_not_an_export() -> None:
    storage = MemoryStorage()
    with pytest.raises(InvalidInput, match="header"):
        import_jsonl(storage, ['{"type": "customer", "data": {}}'])
    with pytest.raises(InvalidInput, match="line 1"):
        import_jsonl(storage, ["not json"])
    with pytest.raises(InvalidInput, match="format"):
        import_jsonl(storage, ['{"type": "helpdesk_kit", "format": 99}'])
    header = '{"type": "helpdesk_kit", "format": 1}'
    with pytest.raises(InvalidInput, match="unknown record type"):
        import_jsonl(storage, [header, '{"type": "spaceship", "data": {}}'])
    with pytest.raises(InvalidInput, match="not a valid group"):
        import_jsonl(storage, [header, '{"type": "group", "data": {"nme": "x"}}'])


def test_export_streams_page_by_page() -> None:
    """Export reads tickets a page at a time: the generator is lazy."""
    storage = MemoryStorage()
    _busy_desk(storage)
    records = iter_records(storage)
    assert next(records)[0] == "helpdesk_kit"
    kinds = [k for k, _ in records]
    assert kinds.index("tickets") > kinds.index("customers")
    assert kinds.index("agent_groups") > kinds.index("agents")


def test_the_example_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import runpy

    path = Path(__file__).parents[2] / "examples" / "storage_sqlite.py"
    namespace = runpy.run_path(str(path))
    namespace["main"]()
    out = capsys.readouterr().out
    assert "1 open ticket(s); first is #1001" in out
    assert "moved: 1 ticket(s)" in out
