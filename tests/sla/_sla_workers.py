"""Code run in spawned processes by the SLA concurrency tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_kit.sla import PolicySet, SlaPolicy, SlaTarget

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def policies() -> PolicySet:
    """First response in 1 h (warning at 48 min) and resolution in 8 h, wall clock."""
    return PolicySet(
        [
            SlaPolicy(
                "all",
                {},
                "24x7",
                {
                    "first_response": SlaTarget(timedelta(hours=1)),
                    "resolution": SlaTarget(timedelta(hours=8)),
                },
            )
        ]
    )


def sweep_worker(url: str, now_iso: str, lease_seconds: float, batch: int) -> tuple[int, int, int]:
    """One ``Helpdesk.sweep`` at ``now``; returns (tickets, warnings, breaches) it recorded."""
    from helpdesk_kit.desk import Helpdesk

    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        desk.configure_sla(policies(), batch_size=batch, lease=timedelta(seconds=lease_seconds))
        result = desk.sweep(datetime.fromisoformat(now_iso)).results["sla"]
    return result.tickets, result.warnings, result.breaches


def reply_worker(url: str, now_iso: str, ticket_ids: list[str], agent_id: str) -> int:
    """An agent answers every ticket at ``now`` while sweepers run."""
    from helpdesk_kit.clock import FrozenClock
    from helpdesk_kit.desk import Helpdesk

    clock = FrozenClock(datetime.fromisoformat(now_iso))
    done = 0
    with Helpdesk.from_url(url, clock=clock, load_entrypoints=False) as desk:
        desk.configure_sla(policies())
        agent = desk.get_agent(agent_id)
        for tid in ticket_ids:
            desk.retry(lambda tid=tid: desk.reply(tid, "on it", author=agent), attempts=20)
            done += 1
    return done
