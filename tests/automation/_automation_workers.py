"""Code run in spawned processes by the automation concurrency tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai

RULES: dict[str, Any] = {
    "time_rules": [
        {
            "name": "unassigned-1h",
            "when": {"field": "ticket.assignee", "op": "is_empty"},
            "after": "1h",
            "actions": [
                {"action": "add_tag", "tags": "waiting"},
                {"action": "note", "text": "Nobody took {ticket.number} for an hour"},
            ],
        },
        {
            "name": "unassigned-4h",
            "when": {"field": "ticket.assignee", "op": "is_empty"},
            "after": "4h",
            "actions": [{"action": "set", "field": "priority", "value": "high"}],
        },
    ]
}


def sweep_worker(url: str, now_iso: str, lease_seconds: float, batch: int) -> tuple[int, int]:
    """One ``Helpdesk.sweep`` at ``now``; returns (tickets claimed, rules fired)."""
    from helpdesk_kit.desk import Helpdesk

    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        desk.configure_automation(RULES, batch_size=batch, lease=timedelta(seconds=lease_seconds))
        result = desk.sweep(datetime.fromisoformat(now_iso)).results["automation"]
    return result.tickets, result.fired
