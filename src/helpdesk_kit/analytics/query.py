"""What to compute: a :class:`KpiQuery` (period, grain, grouping, filters, options) and the
:class:`KpiContext` the desk adds (the current instant, open statuses, the host's orders)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any, overload

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
    "OrderFacts",
    "OrderRows",
    "order_facts",
    "orders_from_hook",
    "units_of",
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
        object.__setattr__(self, "units", units_of(self.amount))
        object.__setattr__(self, "created_ms", ms_of(self.created_at))


def units_of(amount: Decimal) -> int:
    """An amount in 1/10,000 of its currency unit (:data:`AMOUNT_SCALE`), truncated."""
    if not amount.is_finite():
        raise InvalidInput(f"an amount must be a finite number, not {amount}")
    return int(amount * AMOUNT_SCALE)


#: ``(id, customer_id, amount, currency, created_at, status, ticket_id, units, created_ms)``
#: of one order: the fields of :class:`Order`, in its order
_Fields = tuple[str, str, Decimal, str, datetime, str | None, str | None, int, int]


def _hook_fields(customer_id: str, item: Mapping[str, Any]) -> _Fields:
    """The fields of one order mapping a ``customer_orders`` hook returned, checked (every
    one worked out here, so a bad order is refused before anything is kept of it)."""
    try:
        raw = item["amount"]
        try:
            amount = raw if isinstance(raw, Decimal) else Decimal(str(raw))
            units = units_of(amount)  # refuses NaN and infinities
        except (InvalidOperation, InvalidInput):
            raise InvalidOperation("'amount'") from None
        created = ensure_aware(item["created_at"], "order created_at")
        status = item.get("status")
        ticket = item.get("ticket_id")
        return (
            str(item["id"]),
            customer_id,
            amount,
            item.get("currency") or "CNY",
            created,
            None if status is None else str(status),
            None if ticket is None else str(ticket),
            units,
            ms_of(created),
        )
    except (KeyError, InvalidOperation) as exc:
        raise InvalidInput(
            f"customer_orders returned an order without a valid {exc} for customer "
            f"{customer_id}: {dict(item)!r}"
        ) from None


def orders_from_hook(customer_id: str, found: Iterable[Mapping[str, Any]]) -> list[Order]:
    """Turn the mappings a ``customer_orders`` hook returned into :class:`Order` values."""
    return [Order(*_hook_fields(customer_id, item)[:7]) for item in found]


#: ``(customer_id, ticket_id, created_ms, units, currency)``: what SQL reads of an order
OrderFacts = tuple[str, str | None, int, int, str]


class OrderRows(Sequence[Order]):
    """The host's orders kept by column: a ``Sequence[Order]`` of a report's many orders.

    A month's report may hold tens of thousands of orders; kept as a few lists of plain
    values they cost less memory and give the garbage collector nothing to scan, where one
    object per order made its full collections (hundreds of ms in a large process) frequent.
    Indexing and iterating make the :class:`Order` values.
    """

    __slots__ = ("_columns",)

    def __init__(self, orders: Iterable[Order] = ()) -> None:
        # id, customer_id, amount, currency, created_at, status, ticket_id, units, created_ms
        self._columns: tuple[list[Any], ...] = tuple([] for _ in range(9))
        self._add([attrs.astuple(o, recurse=False) for o in orders])

    def _add(self, checked: Sequence[_Fields]) -> None:
        """Append checked orders, column by column."""
        # one column at a time: ``zip(*checked)`` would make an iterator per order, all alive
        # at once (tens of thousands of objects for the garbage collector to promote and scan)
        for i, column in enumerate(self._columns):
            column.extend(map(itemgetter(i), checked))

    def extend_from_hook(self, customer_id: str, found: Iterable[Mapping[str, Any]]) -> None:
        """Add the orders a ``customer_orders`` hook returned (checked as
        :func:`orders_from_hook` checks them; none is added when one is invalid)."""
        self._add([_hook_fields(customer_id, item) for item in found])

    def extend_from_hooks(self, found: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
        """Add what a ``customer_orders_many`` hook returned: customer id -> order mappings
        (none is added when one is invalid; a customer given no list, or ``None``, has none)."""
        self._add(
            [_hook_fields(cid, item) for cid, items in found.items() if items for item in items]
        )

    def __len__(self) -> int:
        """How many orders."""
        return len(self._columns[0])

    @overload
    def __getitem__(self, index: int) -> Order: ...

    @overload
    def __getitem__(self, index: slice) -> list[Order]: ...

    def __getitem__(self, index: int | slice) -> Order | list[Order]:
        """The order at ``index`` (a list of them for a slice)."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return Order(*(column[index] for column in self._columns[:7]))

    def __iter__(self) -> Iterator[Order]:
        """The orders, in the order they were added."""
        for fields in zip(*self._columns[:7], strict=True):
            yield Order(*fields)

    def facts(self, excluded: Collection[str] = ()) -> Iterator[OrderFacts]:
        """What SQL reads of each order whose status is not in ``excluded``, without
        making the orders."""
        _id, cust, _amount, currency, _at, status, ticket, units, ms = self._columns
        for c, t, m, u, cur, st in zip(cust, ticket, ms, units, currency, status, strict=True):
            if st not in excluded:
                yield (c, t, m, u, cur)


def order_facts(orders: Iterable[Order], excluded: Collection[str] = ()) -> Iterator[OrderFacts]:
    """``(customer_id, ticket_id, created_ms, units, currency)`` of the orders whose status is
    not in ``excluded`` (read off the columns of :class:`OrderRows`)."""
    if isinstance(orders, OrderRows):
        yield from orders.facts(excluded)
        return
    for o in orders:
        if o.status not in excluded:
            yield (o.customer_id, o.ticket_id, o.created_ms, o.units, o.currency)


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
