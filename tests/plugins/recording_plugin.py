"""A test plugin that implements every hook the desk calls and records each call."""

from __future__ import annotations

from typing import Any

from helpdesk_kit.plugins import hookimpl


class RecordingPlugin:
    """Implements the hooks; ``calls`` lists (hook name, kwargs) in call order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.veto: str | None = None
        self.route_to: str | None = None
        self.sent: list[Any] = []

    def _seen(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))

    def called(self, name: str) -> list[dict[str, Any]]:
        return [kw for n, kw in self.calls if n == name]

    @hookimpl
    def register_storage_backends(self, register):
        from helpdesk_kit.storage.memory import MemoryStorage

        self._seen("register_storage_backends")
        register("recording", lambda url, **options: MemoryStorage(first_ticket_number=5001))

    @hookimpl
    def register_lifecycles(self, register):
        self._seen("register_lifecycles")
        register(
            {
                "name": "quick",
                "initial": "new",
                "states": {"new": "new", "done": "closed"},
                "transitions": [
                    {"name": "finish", "from": "new", "to": "done", "guards": ["not_friday"]}
                ],
            }
        )

    @hookimpl
    def register_guards(self, register):
        self._seen("register_guards")
        register(
            "not_friday", lambda ctx: "no changes on Fridays" if ctx.now.weekday() == 4 else None
        )

    @hookimpl
    def register_channels(self, register):
        self._seen("register_channels")
        plugin = self

        class Outbox:
            name = "outbox"
            capabilities = frozenset({"threading"})

            def send(self, desk, ticket, message, customer):
                plugin.sent.append((ticket.ref, message.text, customer.id))
                if message.text.startswith("explode"):
                    raise ConnectionError("SMTP server down")
                return f"out-{len(plugin.sent)}"

        register(Outbox())

    @hookimpl
    def customer_context(self, desk, customer):
        self._seen("customer_context", customer=customer)
        return {"orders": [{"id": "SO1", "status": "shipped"}], "plan": "gold"}

    @hookimpl
    def classify_message(self, desk, message, customer):
        self._seen("classify_message", message=message)
        if "refund" in message.text.lower():
            return {"category": "refund", "priority": "high", "tags": ["money"]}
        return None

    @hookimpl
    def route_ticket(self, desk, ticket, candidates):
        self._seen("route_ticket", ticket=ticket, candidates=candidates)
        return self.route_to

    @hookimpl
    def check_transition(self, desk, ticket, transition, actor):
        self._seen("check_transition", transition=transition)
        return self.veto if transition == "solve" else None

    @hookimpl
    def render_message(self, desk, ticket, text, actor):
        self._seen("render_message", text=text)
        return text + "\n-- Shop support"

    @hookimpl
    def suggest_articles(self, desk, ticket, text, limit):
        self._seen("suggest_articles", text=text)
        from types import SimpleNamespace

        return [SimpleNamespace(article_id="kb-1", title="Delivery times", score=2.5)]

    @hookimpl
    def register_search_backends(self, register):
        from helpdesk_kit.kb import SearchIndex

        self._seen("register_search_backends")
        register("recording", lambda desk, **options: SearchIndex(fuzzy=False, **options))

    @hookimpl
    def on_ticket_event(self, desk, event, ticket):
        self._seen("on_ticket_event", kind=event.kind, ref=ticket.ref)

    @hookimpl
    def notify(self, desk, notification):
        self._seen("notify", notification=notification)

    authority_verdict: bool | None = None  # what check_authority answers

    @hookimpl
    def check_authority(self, desk, actor, action, amount, ticket):
        self._seen("check_authority", actor=actor, action=action, amount=amount)
        return self.authority_verdict

    @hookimpl
    def register_escalation_actions(self, register):
        self._seen("register_escalation_actions")
        plugin = self

        def record(desk, ticket, level, params):
            plugin._seen("escalation_action", ticket=ticket, level=level.name)
            return {"recorded": True}

        register("record", record)

    @hookimpl
    def register_authority_actions(self, register):
        self._seen("register_authority_actions")
        plugin = self

        def refund(desk, request):
            plugin._seen("refund", request=request)
            return {"refund_id": f"RF-{len(plugin.called('refund'))}"}

        register("refund", refund)

    @hookimpl
    def register_routing_strategies(self, register):
        self._seen("register_routing_strategies")
        register("recorded", lambda context: None)

    @hookimpl
    def register_holiday_providers(self, register):
        self._seen("register_holiday_providers")
        register("shop_closures", shop_closures)

    @hookimpl
    def select_sla_policy(self, desk, ticket, policies):
        self._seen("select_sla_policy", ticket=ticket, policies=policies)
        if "vip" in ticket.tags:
            return next((p for p in policies if p.name == "vip"), None)
        return None

    @hookimpl
    def register_bot_actions(self, register):
        self._seen("register_bot_actions")
        plugin = self

        def order_status(desk, customer, slots):
            plugin._seen("order_status", customer=customer, slots=slots)
            return {"ok": True, "text": f"Order {slots.get('order_number')} has shipped."}

        register("order_status", order_status)

    @hookimpl
    def register_intent_backends(self, register):
        self._seen("register_intent_backends")
        from helpdesk_kit.bot import LexicalBackend

        register("recording-lexical", lambda **options: LexicalBackend(**options))

    @hookimpl
    def customer_orders(self, desk, customer):
        from datetime import UTC, datetime
        from decimal import Decimal

        self._seen("customer_orders", customer=customer)
        return [
            {
                "id": "SO1",
                "amount": Decimal("99.50"),
                "currency": "CNY",
                "created_at": datetime(2026, 11, 3, tzinfo=UTC),
                "status": "completed",
            }
        ]

    @hookimpl
    def customer_orders_many(self, desk, customer_ids):
        self._seen("customer_orders_many", customer_ids=list(customer_ids))
        return None  # declines: the desk asks customer_orders per customer


class BrokenEventPlugin:
    @hookimpl
    def on_ticket_event(self, desk, event, ticket):
        raise RuntimeError("listener bug")


def shop_closures(years=None):
    """A holiday provider: the shop closes for a stocktake on 11 November 2026."""
    from datetime import date

    from helpdesk_kit.sla import StaticHolidays

    return StaticHolidays({date(2026, 11, 11): "stocktake"}, years=years or [2026])
