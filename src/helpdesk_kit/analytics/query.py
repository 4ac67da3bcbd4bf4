"""What to compute: a :class:`KpiQuery` (period, grain, grouping, filters, options) and the
:class:`KpiContext` the desk adds (the current instant, open statuses, the host's orders)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from helpdesk_kit.analytics.metrics import DIMENSIONS
from helpdesk_kit.analytics.periods import Frame, Grain, Period, check_grain, frame, ms_of
from helpdesk_kit.analytics.periods import parse_period as _parse_period
from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput

__all__ = [
    "AMOUNT_SCALE",
    "KpiContext",
    "KpiQuery",
    "Order",
    "orders_from_hook",
]

#: Order amounts are handled as integers of 1/10,000 of the currency unit (exact sums in SQL).
AMOUNT_SCALE = 10_000


def _by(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    out = tuple(str(v) for v in value)
    bad = [d for d in out if d not in DIMENSIONS]
    if bad:
        raise InvalidInput(f"cannot group by {bad[0]!r} (dimensions: {', '.join(DIMENSIONS)})")
    if len(set(out)) != len(out):
        raise InvalidInput(f"a dimension appears twice in {out}")
    return out


def _filters(value: Mapping[str, Any] | None) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for key, wanted in (value or {}).items():
        if key not in DIMENSIONS:
            raise InvalidInput(f"cannot filter by {key!r} (dimensions: {', '.join(DIMENSIONS)})")
        values = (wanted,) if isinstance(wanted, str | int) or wanted is None else tuple(wanted)
        if not values:
            raise InvalidInput(f"filter {key!r} needs at least one value")
        if key in ("hour", "weekday"):
            limit = 24 if key == "hour" else 7
            if not all(isinstance(v, int) and 0 <= v < limit for v in values):
                raise InvalidInput(f"filter {key!r} takes whole numbers 0-{limit - 1}")
        out[key] = values
    return out


def _percentiles(value: Iterable[int]) -> tuple[int, ...]:
    out = tuple(value)
    if not out or not all(isinstance(p, int) and 1 <= p <= 99 for p in out):
        raise InvalidInput("percentiles are whole numbers from 1 to 99, e.g. (50, 90)")
    return tuple(sorted(set(out)))


def _window(_inst: object, attribute: attrs.Attribute[Any], value: timedelta) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise InvalidInput(f"{attribute.name} must be a timedelta >= 0, got {value!r}")


@attrs.frozen
class KpiQuery:
    """A KPI question: which period, in which zone, bucketed how, grouped and filtered how.

    ``period``: ``"2026-11"``, ``"2026-W48"``, ``"2026-11-26"``, ``"2026-Q4"``, ``"2026"``
    or ``"2026-11-01..2026-11-15"``. ``grain``: ``"day"``, ``"week"`` (ISO), ``"month"`` or
    ``"period"`` (one bucket). ``by``: dimensions to group by; ``filters``: dimension ->
    allowed values (``None`` matches a missing value, e.g. unassigned). ``percentiles``:
    whole percents reported beside the mean (50 is the median). The windows and the tag
    belong to single metrics (see ``docs/kpis.md``).
    """

    period: Period = attrs.field(converter=_parse_period)
    timezone: str = "UTC"
    grain: Grain = attrs.field(default="period", converter=check_grain)
    by: tuple[str, ...] = attrs.field(default=(), converter=_by)
    filters: dict[str, tuple[Any, ...]] = attrs.field(factory=dict, converter=_filters, hash=False)
    percentiles: tuple[int, ...] = attrs.field(default=(50, 90), converter=_percentiles)
    bot_return_window: timedelta = attrs.field(default=timedelta(days=3), validator=_window)
    conversion_window: timedelta = attrs.field(default=timedelta(days=7), validator=_window)
    pre_sale_tag: str = "pre-sale"
    excluded_order_statuses: tuple[str, ...] = attrs.field(
        default=("cancelled", "refunded"), converter=tuple
    )

    @property
    def frame(self) -> Frame:
        """The period resolved in the query's zone."""
        return frame(self.period, self.timezone)

    def evolve(self, **changes: Any) -> KpiQuery:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)


@attrs.frozen
class Order:
    """One order of the host application, as the ``customer_orders`` hook reports it.

    ``amount`` is exact (Decimal); ``units`` is the same amount in 1/10,000 of the currency.
    """

    id: str
    customer_id: str
    amount: Decimal
    currency: str
    created_at: datetime
    status: str | None = None
    ticket_id: str | None = None
    #: the amount in 1/10,000 of the currency unit (computed when the order is made)
    units: int = attrs.field(init=False)
    #: when it was placed, in epoch milliseconds (computed when the order is made)
    created_ms: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        """Work out ``units`` and ``created_ms`` once (reports read them for every order)."""
        object.__setattr__(self, "units", int(self.amount * AMOUNT_SCALE))
        object.__setattr__(self, "created_ms", ms_of(self.created_at))


def orders_from_hook(customer_id: str, found: Iterable[Mapping[str, Any]]) -> list[Order]:
    """Turn the mappings a ``customer_orders`` hook returned into :class:`Order` values."""
    out: list[Order] = []
    for item in found:
        try:
            raw = item["amount"]
            amount = raw if isinstance(raw, Decimal) else Decimal(str(raw))
            created = item["created_at"]
            if not isinstance(created, datetime) or created.tzinfo is None:
                ensure_aware(created, "order created_at")
            status = item.get("status")
            ticket = item.get("ticket_id")
            out.append(
                Order(
                    str(item["id"]),
                    customer_id,
                    amount,
                    item.get("currency") or "CNY",
                    created,
                    None if status is None else str(status),
                    None if ticket is None else str(ticket),
                )
            )
        except (KeyError, InvalidOperation) as exc:
            raise InvalidInput(
                f"customer_orders returned an order without a valid {exc} for customer "
                f"{customer_id}: {dict(item)!r}"
            ) from None
    return out


@attrs.frozen
class KpiContext:
    """What the desk knows beside the query: now, which statuses are open, the orders."""

    now: datetime
    open_statuses: tuple[str, ...]
    orders: Sequence[Order] | None = None

    @property
    def now_ms(self) -> int:
        """``now`` in epoch milliseconds."""
        return ms_of(self.now)
