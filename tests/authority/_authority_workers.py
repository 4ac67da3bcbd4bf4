"""Code run in spawned processes by the authority concurrency test."""

from datetime import UTC, datetime

from helpdesk_kit.plugins import hookimpl

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POLICY = {"currency": "CNY", "actions": {"refund": {"limits": {"agent": "200"}}}}


class SlowPayments:
    """Limit checks that take a moment, so concurrent requests overlap.

    ``meet`` (a ``threading.Barrier``) instead makes every request wait inside its limit
    check until the others got there too: it proves a race when nothing serializes them.
    """

    def __init__(self, delay=0.05, meet=None):
        self.delay = delay
        self.meet = meet

    @hookimpl
    def register_authority_actions(self, register):
        register("refund", lambda desk, request: {"ok": True})

    @hookimpl
    def check_authority(self, desk, actor, action, amount, ticket):
        import time

        if self.meet is not None:
            self.meet.wait(timeout=20)
        time.sleep(self.delay)  # inside the limit check: widen the window for a race
        return None


def request_worker(url, ticket_id, agent_id, count, amount):
    """Request ``count`` refunds of ``amount`` CNY one after another; return the statuses."""
    from helpdesk_kit import FrozenClock, Helpdesk
    from helpdesk_kit.authority import Money

    with Helpdesk.from_url(
        url, clock=FrozenClock(T0), plugins=[SlowPayments()], load_entrypoints=False
    ) as desk:
        desk.configure_authority(POLICY)
        agent = desk.get_agent(agent_id)
        return [
            desk.request_action(
                ticket_id, "refund", amount=Money(amount, "CNY"), actor=agent
            ).status.value
            for _ in range(count)
        ]
