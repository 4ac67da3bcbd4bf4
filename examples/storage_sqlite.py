"""A desk on a SQLite file, then moved into another database with export and import.

Run: ``python examples/storage_sqlite.py`` (add a PostgreSQL URL as the first argument to
move the desk there; that database must have been prepared with ``helpdesk-kit db upgrade``).
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.storage.transfer import export_jsonl, import_jsonl
from helpdesk_kit.tickets.model import Identity, InboundMessage


def main(target_url: str | None = None) -> None:
    """Take in mail on SQLite, retry a delivery, page through tickets, then move the desk."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'helpdesk.db'}"  # created and migrated on first use
        with Helpdesk.from_url(url) as desk:
            desk.add_agent("Lin Yi", status="online", max_concurrent=5)
            mail = InboundMessage(
                channel="email",
                sender=Identity("email", "wang.fang@example.cn"),
                subject="订单还没有收到",
                text="你好，我的订单还没有收到。",
                external_id="<a1@mail.example.cn>",
            )
            first = desk.receive(mail)
            again = desk.receive(mail)  # the mail server delivered it twice
            assert first.created
            assert again.duplicate
            assert again.ticket == first.ticket
            page = desk.list_tickets(status=["new", "open"], limit=10)
            print(f"{len(page.items)} open ticket(s); first is {page.items[0].ref}")

            dump = io.StringIO()
            counts = export_jsonl(desk.storage, dump)
            print(f"exported {counts}")

        target = target_url or "sqlite://"  # an in-memory SQLite database by default
        with Helpdesk.from_url(target) as moved:
            import_jsonl(moved.storage, io.StringIO(dump.getvalue()))
            print(f"moved: {moved.count_tickets()} ticket(s) in {target.split(':')[0]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
