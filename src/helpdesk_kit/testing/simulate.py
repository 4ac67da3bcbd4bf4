"""Seeded, realistic customer-service history for tests, benchmarks and demos.

A :class:`History` is drawn from a :class:`Profile` and a seed: customers (a third come
back), tickets arriving by hour and weekday in the desk's time zone, channels and categories
with Chinese and English messages, agents on shifts with their own speed and quality, bot
conversations (some handed off to a person), replies, customer follow-ups, reopenings,
duplicates merged away, spam, satisfaction ratings (some changed), pre-sale conversations
and the orders of a web shop (one category surges in the last month, for rising hot words).
It can be played two ways:

- :func:`simulate` runs it through a real :class:`~helpdesk_kit.desk.Helpdesk` — every
  command, on any storage — moving the desk's :class:`~helpdesk_kit.clock.FrozenClock`;
- :func:`simulate_bulk` writes the rows those commands would have written straight into a
  SQL storage (``executemany`` on SQLite, ``COPY`` on PostgreSQL): a million tickets with
  their events in minutes, for benchmarks.

Both return a :class:`Simulation` whose ``shop`` is a plugin implementing
``customer_orders``; register it on the desk that reports.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.analytics.periods import zone
from helpdesk_kit.clock import FrozenClock, ensure_aware
from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.feedback.rules import is_bad, survey_text
from helpdesk_kit.feedback.settings import SurveySettings
from helpdesk_kit.feedback.tokens import sign_token
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.storage.sql.analytics import JSON_TEXT as _J
from helpdesk_kit.storage.sql.analytics import us_text as _T
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Actor, Agent, Customer, Identity, InboundMessage, Ticket

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk
    from helpdesk_kit.storage.base import Storage

__all__ = [
    "SIMULATION_SECRET",
    "AgentPlan",
    "CustomerPlan",
    "History",
    "Profile",
    "SimulatedShop",
    "Simulation",
    "TicketPlan",
    "simulate",
    "simulate_bulk",
]

#: The survey secret simulations use when the desk has no survey settings yet.
SIMULATION_SECRET = "helpdesk_kit-simulation-secret-0123456789"
BOT = "bot:assistant"
US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# (category, weight, Chinese texts, English texts)
_TOPICS: list[tuple[str, float, list[str], list[str]]] = [
    (
        "order",
        0.22,
        [
            "我的订单什么时候发货？",
            "订单状态一直没有更新",
            "请帮我查一下订单物流",
            "快递显示已签收但我没收到",
        ],
        [
            "Where is my order?",
            "My order status has not changed for days",
            "Tracking says delivered but nothing arrived",
        ],
    ),
    (
        "refund",
        0.16,
        ["退款什么时候到账？", "申请退款已经一周了还没到账", "退款被拒绝了是什么原因"],
        [
            "When will my refund arrive?",
            "Refund still not received after a week",
            "Why was my refund rejected?",
        ],
    ),
    (
        "return",
        0.12,
        ["商品有质量问题想退货", "尺码不合适可以换货吗", "退货运费谁承担"],
        [
            "I want to return a damaged item",
            "Can I exchange for another size?",
            "Who pays the return shipping?",
        ],
    ),
    (
        "payment",
        0.10,
        ["支付失败但是扣款了", "信用卡支付一直失败", "重复扣款了两次"],
        ["Payment failed but I was charged", "Card payment keeps failing", "I was charged twice"],
    ),
    (
        "account",
        0.09,
        ["收不到验证码无法登录", "账号被锁定了", "怎么修改绑定手机号"],
        [
            "I cannot log in, the code never arrives",
            "My account is locked",
            "How do I change my phone number?",
        ],
    ),
    (
        "pre-sale",
        0.14,
        [
            "这款耳机支持降噪吗？",
            "有没有现货？什么时候补货",
            "买两件有优惠吗",
            "这个尺码适合多高的人",
        ],
        [
            "Does this headset have noise cancelling?",
            "Is it in stock?",
            "Any discount for two?",
            "Which size fits 180 cm?",
        ],
    ),
    (
        "invoice",
        0.07,
        ["发票抬头写错了需要重开", "怎么申请增值税专用发票"],
        ["The invoice has the wrong company name", "How do I get a VAT invoice?"],
    ),
    (
        "complaint",
        0.05,
        ["客服态度很差，要投诉", "快递员态度恶劣", "等了三天没人处理"],
        ["Your support was rude, I want to complain", "Nobody answered for three days"],
    ),
    (
        "coupon",
        0.05,
        ["优惠券不能用，提示已过期", "优惠券领取后找不到", "满减优惠券无法叠加"],
        ["My coupon says expired but it is not", "I cannot find the coupon I claimed"],
    ),
]
_FOLLOW_UPS = {
    "zh": ["好的，还有别的问题", "还是没有解决", "请尽快处理，谢谢", "订单号是 SO{n}"],
    "en": [
        "Thanks, one more question",
        "It is still not solved",
        "Please hurry, thanks",
        "Order SO{n}",
    ],
}
_REPLIES = {
    "zh": ["您好，已为您查询，请稍等。", "已为您处理，请留意短信通知。", "非常抱歉给您带来不便。"],
    "en": [
        "Hello, let me check that for you.",
        "Done, you will get a confirmation.",
        "Sorry for the trouble.",
    ],
}
_BOT_REPLY = {
    "zh": "您好，我是智能助手，请问有什么可以帮您？",
    "en": "Hi, I am the assistant. How can I help?",
}
_CHANNELS = [("chat", 0.42), ("email", 0.25), ("form", 0.13), ("wechat", 0.14), ("phone", 0.06)]
#: median first-response wait per channel, seconds, for an agent of speed 1
_SPEED = {"chat": 30.0, "wechat": 120.0, "phone": 60.0, "form": 3 * 3600.0, "email": 90 * 60.0}
_PRIORITIES = [("low", 0.1), ("normal", 0.7), ("high", 0.16), ("urgent", 0.04)]
#: arrivals by local hour (0-23) and weekday (Monday first)
_HOURS = [
    0.3,
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    3.4,
    3.8,
    3.6,
    2.8,
    3.0,
    3.5,
    3.6,
    3.3,
    3.0,
    2.4,
    2.6,
    3.0,
    3.1,
    2.2,
    1.0,
]
_WEEKDAYS = [1.05, 1.0, 1.0, 1.0, 0.95, 0.8, 0.75]
_NAMES = [
    "Lin Yi",
    "Wang Fang",
    "Zhang Wei",
    "Li Na",
    "Chen Jie",
    "Liu Yang",
    "Sam Lee",
    "Zhao Lei",
    "Huang Min",
    "Zhou Tao",
    "Wu Hao",
    "Xu Jing",
    "Sun Li",
    "Ma Chao",
    "Hu Bin",
    "Guo Mei",
]
_SHIFTS = [(8, 17), (9, 18), (12, 21), (14, 23)]


@attrs.frozen
class Profile:
    """How the simulated shop's support looks; every number has a realistic default.

    Rates are probabilities per ticket (``reopen_rate`` per solved ticket, ``rating_rate``
    per survey). ``surge``: a category that is ``factor`` times as frequent in the last 30
    days of histories longer than 45 days (for rising hot words).
    """

    tickets_per_day: float = 40.0
    agents: int = 8
    returning_customers: float = 0.35
    bot_share_of_chat: float = 0.45
    bot_contained: float = 0.55
    rating_rate: float = 0.4
    rating_change_rate: float = 0.08
    spam_rate: float = 0.01
    duplicate_rate: float = 0.02
    reopen_rate: float = 0.08
    conversion_rate: float = 0.3
    zh_share: float = 0.7
    tiers: tuple[tuple[str, float], ...] = (("standard", 0.8), ("vip", 0.15), ("enterprise", 0.05))
    surge: tuple[str, float] | None = ("coupon", 3.0)


@attrs.frozen
class AgentPlan:
    """One simulated agent: shift hours (local), speed (1 = typical) and quality."""

    key: str
    name: str
    shift: tuple[int, int]
    speed: float
    csat: float
    one_touch: float


@attrs.frozen
class CustomerPlan:
    """One simulated customer."""

    index: int
    name: str
    email: str
    tier: str
    locale: str


class TicketPlan:
    """One planned ticket and its steps ``(at_us, kind, data)`` in time order."""

    __slots__ = (
        "category",
        "channel",
        "customer",
        "index",
        "language",
        "priority",
        "steps",
        "subject",
        "tags",
        "text",
    )

    def __init__(
        self,
        index: int,
        customer: int,
        channel: str,
        category: str,
        priority: str,
        language: str,
        text: str,
        tags: tuple[str, ...],
        steps: list[tuple[int, str, dict[str, Any]]],
    ) -> None:
        self.index = index
        self.customer = customer
        self.channel = channel
        self.category = category
        self.priority = priority
        self.language = language
        self.subject = text[:40]
        self.text = text
        self.tags = tags
        self.steps = steps


def _pick(rng: random.Random, values: Sequence[Any], cum: Sequence[float]) -> Any:
    x = rng.random() * cum[-1]
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return values[lo]


def _cumulative(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


class _Zone:
    """UTC offsets of one zone, cached per hour (zoneinfo is slow per call)."""

    def __init__(self, name: str) -> None:
        self.tz = zone(name)
        self.cache: dict[int, int] = {}

    def offset(self, us: int) -> int:
        key = us // HOUR_US
        found = self.cache.get(key)
        if found is None:
            moment = _EPOCH + timedelta(microseconds=key * HOUR_US)
            offset = moment.astimezone(self.tz).utcoffset()
            assert offset is not None
            found = self.cache[key] = int(offset.total_seconds()) * US
        return found

    def hour(self, us: int) -> int:
        return ((us + self.offset(us)) // HOUR_US) % 24

    def next_hour(self, us: int, hour: int) -> int:
        """The next instant after ``us`` when the local clock shows ``hour``:00."""
        local = us + self.offset(us)
        target = local - local % DAY_US + hour * HOUR_US
        if target <= local:
            target += DAY_US
        return target - self.offset(target - self.offset(us))


def _lognormal(rng: random.Random, median_s: float, sigma: float = 0.8) -> int:
    return int(median_s * math.exp(rng.gauss(0, sigma)) * US)


class History:
    """A seeded history: agents, customers, tickets (drawn day by day) and the shop's orders.

    ``days()`` yields, for each local day, the customers that first appear that day and
    the tickets opened that day in time order; drawing it again gives the same history.
    """

    def __init__(
        self,
        *,
        start: datetime,
        days: int,
        seed: int = 0,
        timezone: str = "Asia/Shanghai",
        profile: Profile | None = None,
        tickets: int | None = None,
    ) -> None:
        ensure_aware(start, "start")
        if days < 1:
            raise InvalidInput("a simulation needs at least one day")
        self.start, self.days_count, self.seed, self.timezone = start, days, seed, timezone
        self.profile = profile or Profile()
        self.total = tickets if tickets is not None else round(self.profile.tickets_per_day * days)
        rng = random.Random(seed)
        self.agents = tuple(
            AgentPlan(
                key=f"a{i}",
                name=_NAMES[i] if i < len(_NAMES) else f"Agent {i + 1}",
                shift=_SHIFTS[i % len(_SHIFTS)],
                speed=round(rng.uniform(0.6, 1.6), 2),
                csat=round(rng.uniform(4.3, 5.0), 2),
                one_touch=round(rng.uniform(0.72, 0.95), 2),
            )
            for i in range(self.profile.agents)
        )
        self.customers: list[CustomerPlan] = []
        #: customer index -> (order id, amount in cents, currency, created us, status, ticket)
        self.orders: dict[int, list[tuple[str, int, str, int, str, int | None]]] = {}

    def days(self) -> Iterator[tuple[list[CustomerPlan], list[TicketPlan]]]:
        """Draw the history day by day (resetting customers and orders first)."""
        p = self.profile
        rng = random.Random(self.seed * 1_000_003 + 7)
        z = _Zone(self.timezone)
        self.customers, self.orders = [], {}
        first_day = self.start.astimezone(z.tz).date()
        weights = [
            _WEEKDAYS[(first_day + timedelta(days=d)).weekday()] for d in range(self.days_count)
        ]
        counts = _spread(self.total, weights)
        hour_cum = _cumulative(_HOURS)
        chan_cum = _cumulative([w for _, w in _CHANNELS])
        prio_cum = _cumulative([w for _, w in _PRIORITIES])
        tier_cum = _cumulative([w for _, w in p.tiers])
        base_topics = [w for _, w, _, _ in _TOPICS]
        surge_from = self.days_count - 30 if self.days_count > 45 else self.days_count + 1
        index = 0
        for day, count in enumerate(counts):
            the_day = first_day + timedelta(days=day)
            w = base_topics
            if p.surge and day >= surge_from:
                w = [
                    x * (p.surge[1] if t[0] == p.surge[0] else 1.0)
                    for x, t in zip(w, _TOPICS, strict=True)
                ]
            topic_cum = _cumulative(w)
            midnight = datetime(
                the_day.year, the_day.month, the_day.day, tzinfo=z.tz
            )  # local midnight
            day_us = (midnight.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
            new: list[CustomerPlan] = []
            opened = sorted(
                day_us + _pick(rng, range(24), hour_cum) * HOUR_US + rng.randrange(3600) * US
                for _ in range(count)
            )
            day_tickets = []
            for at in opened:
                if self.customers and rng.random() < p.returning_customers:
                    cust = self.customers[rng.randrange(len(self.customers))]
                else:
                    i = len(self.customers)
                    zh = rng.random() < p.zh_share
                    cust = CustomerPlan(
                        i,
                        f"Customer {i}",
                        f"c{i}.s{self.seed}@example.com",
                        _pick(rng, [t for t, _ in p.tiers], tier_cum),
                        "zh-CN" if zh else "en",
                    )
                    self.customers.append(cust)
                    new.append(cust)
                    self.orders[i] = _history_orders(rng, at)
                topic = _pick(rng, _TOPICS, topic_cum)
                channel = _pick(rng, [c for c, _ in _CHANNELS], chan_cum)
                priority = _pick(rng, [x for x, _ in _PRIORITIES], prio_cum)
                day_tickets.append(self._ticket(rng, z, index, cust, at, topic, channel, priority))
                index += 1
            yield new, day_tickets

    def all(self) -> tuple[list[CustomerPlan], list[TicketPlan]]:
        """The whole history at once (for small simulations)."""
        customers: list[CustomerPlan] = []
        tickets: list[TicketPlan] = []
        for new, found in self.days():
            customers += new
            tickets += found
        return customers, tickets

    def _ticket(
        self,
        rng: random.Random,
        z: _Zone,
        index: int,
        cust: CustomerPlan,
        opened: int,
        topic: tuple[str, float, list[str], list[str]],
        channel: str,
        priority: str,
    ) -> TicketPlan:
        p = self.profile
        category, _w, zh, en = topic
        lang = "zh" if cust.locale.startswith("zh") else "en"
        text = rng.choice(zh if lang == "zh" else en)
        if category == "complaint":
            priority = "high"
        tags = ("pre-sale",) if category == "pre-sale" else ()
        steps: list[tuple[int, str, dict[str, Any]]] = []
        hour = z.hour(opened)
        on_shift = [a for a in self.agents if a.shift[0] <= hour < a.shift[1]] or list(self.agents)
        agent = on_shift[rng.randrange(len(on_shift))]
        t = opened

        def plan(kind: str, **data: Any) -> TicketPlan:
            steps.sort(key=lambda s: s[0])
            steps.insert(0, (opened, "open", data))
            return TicketPlan(
                index, cust.index, channel, category, priority, lang, text, tags, steps
            )

        if rng.random() < p.spam_rate:
            steps.append((t + _lognormal(rng, 600), "spam", {"agent": agent.key}))
            return plan("open")
        if channel == "chat" and rng.random() < p.bot_share_of_chat:
            t += rng.randrange(1, 4) * US
            steps.append((t, "bot_reply", {}))
            if rng.random() < p.bot_contained:
                t += rng.randrange(20, 90) * US
                steps.append((t, "solve", {"by": "bot"}))
                self._rating(rng, steps, t, None, channel)
                return plan("open")
            t += rng.randrange(15, 60) * US
            steps.append((t, "handoff", {"agent": agent.key}))
            opening: dict[str, Any] = {}
        else:
            opening = {"agent": agent.key}
        speed = _SPEED[channel]
        first = t + _lognormal(rng, speed * agent.speed)
        if not agent.shift[0] <= z.hour(first) < agent.shift[1]:
            first = z.next_hour(first, agent.shift[0]) + _lognormal(rng, 900)
        if rng.random() < p.duplicate_rate:
            steps.append((t + rng.randrange(30, 300) * US, "duplicate", {}))
        t = first
        steps.append((t, "agent_reply", {"agent": agent.key}))
        exchanges = 0 if rng.random() < agent.one_touch else 1 + int(rng.expovariate(1.2))
        for _ in range(exchanges):
            t += _lognormal(rng, speed * 2)
            steps.append((t, "customer_message", {}))
            t += _lognormal(rng, speed * agent.speed)
            steps.append((t, "agent_reply", {"agent": agent.key}))
        t += _lognormal(rng, 120)
        steps.append((t, "solve", {"agent": agent.key}))
        self._rating(rng, steps, t, agent, channel)
        if rng.random() < p.reopen_rate * (1.0 if exchanges else 0.5):
            last = max(s[0] for s in steps)
            t = min(last + _lognormal(rng, 6 * 3600, 1.0), t + 5 * DAY_US)
            t = max(t, last + US)
            steps.append((t, "customer_message", {}))
            t += _lognormal(rng, speed * agent.speed)
            steps.append((t, "agent_reply", {"agent": agent.key}))
            t += _lognormal(rng, 300)
            steps.append((t, "solve", {"agent": agent.key}))
            self._rating(rng, steps, t, agent, channel)
        if category == "pre-sale" and rng.random() < p.conversion_rate:
            self.orders[cust.index].append(
                (
                    _order_id(rng),
                    rng.randrange(9900, 259900),
                    "CNY",
                    opened + int(rng.uniform(0.2, 120) * HOUR_US),
                    "completed",
                    index if rng.random() < 0.5 else None,
                )
            )
        return plan("open", **opening)

    def _rating(
        self,
        rng: random.Random,
        steps: list[tuple[int, str, dict[str, Any]]],
        solved: int,
        agent: AgentPlan | None,
        channel: str,
    ) -> None:
        p = self.profile
        if rng.random() >= p.rating_rate:
            return
        mean = agent.csat if agent is not None else 4.0
        score = max(1, min(5, round(rng.gauss(mean, 0.7))))
        at = solved + _lognormal(rng, 1800 if channel == "chat" else 4 * 3600)
        steps.append((at, "rate", {"score": score}))
        if rng.random() < p.rating_change_rate:
            new = max(1, min(5, score + rng.choice([-2, -1, 1, 1, 2])))
            steps.append((at + int(rng.uniform(0.5, 20) * HOUR_US), "change", {"score": new}))


def _spread(total: int, weights: Sequence[float]) -> list[int]:
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


def _order_id(rng: random.Random) -> str:
    return f"SO{rng.randrange(10**12):012d}"


def _history_orders(
    rng: random.Random, before: int
) -> list[tuple[str, int, str, int, str, int | None]]:
    return [
        (
            _order_id(rng),
            rng.randrange(3900, 89900),
            "CNY",
            before - int(rng.uniform(5, 400) * DAY_US),
            "refunded" if rng.random() < 0.05 else "completed",
            None,
        )
        for _ in range(int(rng.expovariate(0.8)))
    ]


# ------------------------------------------------------------------------------ the shop


class SimulatedShop:
    """The simulated web shop: a plugin whose ``customer_orders`` reports the history's orders."""

    def __init__(self) -> None:
        #: customer id -> (order id, cents, currency, created us, status, ticket id)
        self.orders: dict[str, list[tuple[str, int, str, int, str, str | None]]] = {}
        # customer id -> (the order list it was made from, its length, the mappings): the
        # shop answers from memory, as a host's order cache would
        self._answers: dict[str, tuple[object, int, list[dict[str, Any]]]] = {}

    @hookimpl
    def customer_orders(self, desk: Any, customer: Customer) -> list[dict[str, Any]]:
        """The customer's orders as mappings (``id``, ``amount``, ``currency``, ...)."""
        return self._answer([customer.id]).get(customer.id, [])

    @hookimpl
    def customer_orders_many(
        self, desk: Any, customer_ids: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """The orders of many customers at once (one "query" of the shop)."""
        return self._answer(customer_ids)

    def _answer(self, customer_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """The known customers' orders as mappings, made once per change of their order list
        (a report asks for tens of thousands of customers: one plain loop, no call each)."""
        orders, answers = self.orders, self._answers
        out: dict[str, list[dict[str, Any]]] = {}
        for cid in customer_ids:
            found = orders.get(cid)
            if found is None:
                continue
            cached = answers.get(cid)
            if cached is None or cached[0] is not found or cached[1] != len(found):
                cached = answers[cid] = (found, len(found), _order_mappings(found))
            out[cid] = cached[2]
        return out


def _order_mappings(
    found: Iterable[tuple[str, int, str, int, str, str | None]],
) -> list[dict[str, Any]]:
    """A customer's orders as the mappings the ``customer_orders`` hooks return."""
    return [
        {
            "id": oid,
            "amount": Decimal(cents) / 100,
            "currency": currency,
            "created_at": _EPOCH + timedelta(microseconds=at),
            "status": status,
            "ticket_id": ticket,
        }
        for oid, cents, currency, at, status, ticket in found
    ]


@attrs.frozen
class Simulation:
    """What a played history produced: the ids of what was created and the shop plugin."""

    history: History
    shop: SimulatedShop
    customer_ids: list[str]
    agent_ids: list[str]
    tickets: int


def _shop(
    h: History, customer_ids: Sequence[str], ticket_ids: Sequence[str | None]
) -> SimulatedShop:
    shop = SimulatedShop()
    for index, found in h.orders.items():
        shop.orders[customer_ids[index]] = [
            (oid, cents, cur, at, status, None if t is None else ticket_ids[t])
            for oid, cents, cur, at, status, t in found
        ]
    return shop


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


# ------------------------------------------------------------------------------ through the desk


def simulate(
    desk: Helpdesk,
    *,
    start: datetime,
    days: int,
    seed: int = 0,
    profile: Profile | None = None,
    tickets: int | None = None,
) -> Simulation:
    """Play a seeded history through ``desk``'s commands, moving its FrozenClock.

    The desk must run on a :class:`FrozenClock` with ``DeskSettings(auto_assign=False)``
    (the history decides who answers). Surveys are configured with
    :data:`SIMULATION_SECRET` unless the desk has survey settings already.
    """
    if not isinstance(desk.clock, FrozenClock):
        raise ConfigurationError("simulate() needs a desk on a FrozenClock")
    if desk.settings.auto_assign:
        raise ConfigurationError("simulate() needs DeskSettings(auto_assign=False)")
    h = History(
        start=start,
        days=days,
        seed=seed,
        timezone=desk.settings.timezone,
        profile=profile,
        tickets=tickets,
    )
    customers_plan, plans = h.all()
    clock = desk.clock
    clock.set(start)
    if desk._survey_settings is None:
        desk.configure_surveys(SurveySettings(secret=SIMULATION_SECRET))
    group = desk.add_group(f"support-s{seed}")
    agents = {
        a.key: desk.add_agent(a.name, groups=[group], shift=f"{a.shift[0]:02d}-{a.shift[1]:02d}")
        for a in h.agents
    }
    customers = [
        desk.add_customer(c.name, email=c.email, tier=c.tier, locale=c.locale)
        for c in customers_plan
    ]
    tickets_done: list[Ticket | None] = [None] * len(plans)
    bot = Actor.bot("assistant")
    heap: list[tuple[int, int, int]] = []
    for tp in plans:
        for j, step in enumerate(tp.steps):
            heapq.heappush(heap, (step[0], tp.index, j))
    while heap:
        at, i, j = heapq.heappop(heap)
        tp = plans[i]
        _, kind, data = tp.steps[j]
        clock.set(max(_at(at), clock.now()))
        cust = customers[tp.customer]
        if kind == "open":
            agent = agents[data["agent"]] if "agent" in data else None
            tickets_done[i] = desk.open_ticket(
                cust,
                tp.subject,
                tp.text,
                channel=tp.channel,
                priority=tp.priority,
                category=tp.category,
                tags=tp.tags,
                group=group,
                assignee=agent,
                language=tp.language,
                actor=cust,
            )
            continue
        t = tickets_done[i]
        assert t is not None
        if kind == "bot_reply":
            desk.reply(t, _BOT_REPLY[tp.language], author=bot)
        elif kind == "handoff":
            _handoff(desk, t, agents[data["agent"]])
        elif kind == "agent_reply":
            desk.reply(t, _REPLIES[tp.language][tp.index % 3], author=agents[data["agent"]])
        elif kind == "customer_message":
            text = _FOLLOW_UPS[tp.language][tp.index % 4].format(n=tp.index)
            sender = Identity("email", cust.email or "")
            desk.receive(InboundMessage(tp.channel, sender, text=text, ticket_number=t.number))
        elif kind == "solve":
            actor = bot if data.get("by") == "bot" else agents[data["agent"]]
            desk.transition(t, "solve", actor=actor)
        elif kind in ("rate", "change"):
            found = [s for s in desk.surveys(t) if s.expires_at > clock.now()]
            if found:
                with contextlib.suppress(InvalidInput):  # the change window closed
                    desk.rate_survey(desk.survey_token(found[-1]), data["score"])
        elif kind == "spam":
            desk.transition(t, "mark_spam", actor=agents[data["agent"]])
        elif kind == "duplicate":
            dup = desk.open_ticket(
                cust,
                tp.subject,
                tp.text,
                channel=tp.channel,
                priority=tp.priority,
                category=tp.category,
                group=group,
                language=tp.language,
                actor=cust,
            )
            desk.merge(dup, t, actor=Actor.system())
    ids = [None if t is None else t.id for t in tickets_done]
    customer_ids = [c.id for c in customers]
    return Simulation(
        h, _shop(h, customer_ids, ids), customer_ids, [a.id for a in agents.values()], len(plans)
    )


def _handoff(desk: Helpdesk, ticket: Ticket, agent: Agent) -> None:
    """The bot hands the conversation to ``agent``: a ``bot.handoff`` event, then assignment."""
    from helpdesk_kit.tickets.model import TicketEvent

    with desk._work() as work:
        current = work.ticket(ticket.id)
        event = TicketEvent(current.id, ev.HANDOFF, work.now, BOT, {"reason": "customer asked"})
        work.save(current, current, [event])
    desk.assign(ticket, agent, actor=Actor.system())


# ------------------------------------------------------------------------------ bulk rows

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


class _Ids:
    """Seeded ULID-like ids: 50 bits of the simulated time (ms), 80 random bits."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed ^ 0x5EED)

    def __call__(self, us: int) -> str:
        ms = us // 1000
        p = _PAIRS
        head = p[(ms >> 40) & 1023] + p[(ms >> 30) & 1023] + p[(ms >> 20) & 1023]
        head += p[(ms >> 10) & 1023] + p[ms & 1023]
        r = self.rng.getrandbits(80)
        return (
            head
            + p[r >> 70]
            + p[(r >> 60) & 1023]
            + p[(r >> 50) & 1023]
            + p[(r >> 40) & 1023]
            + p[(r >> 30) & 1023]
            + p[(r >> 20) & 1023]
            + p[(r >> 10) & 1023]
            + p[r & 1023]
        )


def _Tn(us: int | None) -> str | None:
    return None if us is None else _T(us)


class _Rows:
    """The rows the desk's commands would write for one planned ticket (its whole story).

    Rows are tuples in the column order of the SQL tables, encoded the way
    :meth:`~helpdesk_kit.storage.sql.analytics.SqlAnalytics.load_rows` takes them: instants
    as UTC text, JSON as text, booleans as 0 or 1.
    """

    def __init__(
        self, h: History, settings: SurveySettings, group_id: str, agents: dict[str, str], ids: _Ids
    ) -> None:
        self.h, self.settings, self.group_id, self.agents, self.ids = (
            h,
            settings,
            group_id,
            agents,
            ids,
        )
        self.tickets: list[tuple[Any, ...]] = []
        self.messages: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.surveys: list[tuple[Any, ...]] = []
        self.followups: list[tuple[Any, ...]] = []

    def clear(self) -> None:
        self.tickets, self.messages, self.events, self.surveys, self.followups = [], [], [], [], []

    def story(self, tp: TicketPlan, number: Iterator[int], customer_id: str) -> str:
        """Write ``tp``'s rows; return its ticket id."""
        s = _Story(self, tp, customer_id)
        tid = s.open(next(number), tp.steps[0][0], tp.steps[0][2].get("agent"), tp.tags)
        for at, kind, data in tp.steps[1:]:
            if kind == "duplicate":
                s.duplicate(at, next(number))
            else:
                getattr(s, kind)(at, data)
        s.finish()
        return tid


class _Story:
    """One ticket's state while its steps are played (mirrors the desk's commands)."""

    def __init__(self, rows: _Rows, tp: TicketPlan, customer_id: str) -> None:
        self.r, self.tp, self.cid = rows, tp, customer_id
        self.who = f"customer:{customer_id}"
        self.seq = 0
        self.extra: list[_Story] = []
        self.surveys: list[list[Any]] = []
        self.message_ids: list[int] = []
        self.id = ""
        self.number = 0
        self.status = "new"
        self.assignee: str | None = None
        self.created = self.updated = 0
        self.first_response: int | None = None
        self.solved: int | None = None
        self.closed: int | None = None
        self.reopen_count = 0
        self.merged_into: str | None = None
        self.version = 1
        self.tags: list[str] = []

    # ticket fields: number, status, assignee, created, updated, first_response, solved,
    # closed, reopen_count, merged_into, version, tags
    def open(self, number: int, at: int, agent_key: str | None, tags: Sequence[str]) -> str:
        tp = self.tp
        self.id = self.r.ids(at)
        self.number, self.status, self.assignee = number, "new", None
        self.created = self.updated = at
        self.first_response = self.solved = self.closed = None
        self.reopen_count, self.merged_into, self.version, self.tags = 0, None, 1, sorted(tags)
        self.event(
            at,
            ev.TICKET_CREATED,
            self.who,
            {
                "number": number,
                "subject": tp.subject,
                "channel": tp.channel,
                "priority": tp.priority,
                "lifecycle": "support",
                "status": "new",
                "customer_id": self.cid,
                "group_id": self.r.group_id,
                "category": tp.category,
                "tags": self.tags,
            },
        )
        mid = self.message(at, "customer", self.cid, tp.text, subject=tp.subject)
        self.event(at, ev.MESSAGE_RECEIVED, self.who, {"message_id": mid, "channel": tp.channel})
        if agent_key is not None:
            self.assign(at, self.r.agents[agent_key], self.who)
        return self.id

    def event(self, at: int, kind: str, actor: str, data: dict[str, Any]) -> None:
        self.seq += 1
        self.r.events.append((self.r.ids(at), self.id, self.seq, kind, _T(at), actor, _J(data)))

    def save(self, at: int) -> None:
        self.version += 1
        self.updated = at

    def message(
        self, at: int, author_kind: str, author: str | None, text: str, subject: str | None = None
    ) -> str:
        mid = self.r.ids(at)
        self.message_ids.append(len(self.r.messages))
        self.r.messages.append(
            (
                mid,
                self.id,
                author_kind,
                author,
                text,
                None,
                _T(at),
                1,
                self.tp.channel,
                None,
                subject,
                0,
            )
        )
        return mid

    def assign(self, at: int, agent_id: str, actor: str) -> None:
        previous = self.assignee
        self.assignee = agent_id
        self.save(at)
        self.event(
            at,
            ev.ASSIGNED,
            actor,
            {
                "assignee_id": agent_id,
                "group_id": self.r.group_id,
                "previous_assignee_id": previous,
                "previous_group_id": self.r.group_id,
            },
        )

    def transition(self, at: int, actor: str, name: str, to: str) -> None:
        old = self.status
        done = ("solved", "closed")
        reopened = old in done and to not in done
        self.status = to
        if to == "solved" and old != "solved":
            self.solved = at
        if to == "closed":
            self.closed = at
        if reopened:
            self.reopen_count += 1
            self.solved = self.closed = None
        self.save(at)
        data = {"transition": name, "from": old, "to": to}
        self.event(at, ev.TRANSITIONED, actor, data)
        if reopened:
            self.event(at, ev.REOPENED, actor, dict(data))

    # the steps
    def bot_reply(self, at: int, data: dict[str, Any]) -> None:
        mid = self.message(at, "bot", "assistant", _BOT_REPLY[self.tp.language])
        self.save(at)
        self.event(
            at,
            ev.REPLY_SENT,
            BOT,
            {"message_id": mid, "first_response": False, "author_kind": "bot"},
        )

    def handoff(self, at: int, data: dict[str, Any]) -> None:
        self.save(at)
        self.event(at, ev.HANDOFF, BOT, {"reason": "customer asked"})
        self.assign(at, self.r.agents[data["agent"]], "system")

    def agent_reply(self, at: int, data: dict[str, Any]) -> None:
        agent = self.r.agents[data["agent"]]
        mid = self.message(at, "agent", agent, _REPLIES[self.tp.language][self.tp.index % 3])
        first = self.first_response is None
        if first:
            self.first_response = at
        self.save(at)
        self.event(
            at,
            ev.REPLY_SENT,
            f"agent:{agent}",
            {"message_id": mid, "first_response": first, "author_kind": "agent"},
        )
        if self.status == "new":
            self.transition(at, "system", "open", "open")

    def customer_message(self, at: int, data: dict[str, Any]) -> None:
        text = _FOLLOW_UPS[self.tp.language][self.tp.index % 4].format(n=self.tp.index)
        mid = self.message(at, "customer", self.cid, text)
        self.save(at)
        self.event(
            at, ev.MESSAGE_RECEIVED, self.who, {"message_id": mid, "channel": self.tp.channel}
        )
        if self.status == "solved":
            self.transition(at, self.who, "reopen", "open")

    def solve(self, at: int, data: dict[str, Any]) -> None:
        actor = BOT if data.get("by") == "bot" else f"agent:{self.r.agents[data['agent']]}"
        self.transition(at, actor, "solve", "solved")
        st = self.r.settings
        round_ = self.reopen_count + 1
        if any(s[5] == round_ for s in self.surveys):
            return
        sid = self.r.ids(at)
        expires = at + st.expires_after // timedelta(microseconds=1)
        token = sign_token(st.secret, sid, _at(expires))
        ref = f"#{self.number}"
        mid = self.message(
            at, "system", None, survey_text(st, ref=ref, token=token, language=self.tp.language)
        )
        # id, ticket, customer, channel, kind, round, sent, expires, agent, message, score,
        # nps, comment, reason, rated, updated, changes, followup
        self.surveys.append(
            [
                sid,
                self.id,
                self.cid,
                self.tp.channel,
                st.kind.value,
                round_,
                at,
                expires,
                self.assignee,
                mid,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                None,
            ]
        )
        self.save(at)
        self.event(
            at,
            ev.SURVEY_SENT,
            "system",
            {
                "survey_id": sid,
                "kind": st.kind.value,
                "round": round_,
                "message_id": mid,
                "expires_at": _at(expires).isoformat(),
                "agent_id": self.assignee,
                "explicit": False,
            },
        )

    def rate(self, at: int, data: dict[str, Any]) -> None:
        st = self.r.settings
        live = [s for s in self.surveys if s[7] > at]
        if not live:
            return
        s = live[-1]
        score = data["score"]
        if s[14] is None:
            s[10], s[14], s[15] = score, at, at
            kind, payload = (
                ev.SURVEY_RATED,
                {
                    "survey_id": s[0],
                    "score": score,
                    "nps": None,
                    "reason": None,
                    "comment": None,
                },
            )
        else:
            if at >= s[14] + st.change_window // timedelta(microseconds=1):
                return
            payload = {
                "survey_id": s[0],
                "from": {"score": s[10], "nps": None},
                "to": {"score": score, "nps": None},
            }
            kind = ev.SURVEY_CHANGED
            s[10], s[15], s[16] = score, at, s[16] + 1
        self.save(at)
        self.event(at, kind, self.who, payload)
        if is_bad(score, None, st) and s[17] is None:
            fid = self.r.ids(at)
            title = f"差评回访 / follow up a bad rating (CSAT {score})"
            due = at + st.followup_due // timedelta(microseconds=1)
            self.r.followups.append(
                (fid, self.id, title, _T(at), "bad_rating:unclassified", None, _T(due), None)
            )
            s[17] = fid
            self.event(
                at,
                ev.FOLLOWUP_ADDED,
                "system",
                {"followup_id": fid, "title": title, "reason": "bad_rating:unclassified"},
            )
            self.event(
                at,
                ev.SURVEY_BAD_RATING,
                "system",
                {
                    "survey_id": s[0],
                    "score": score,
                    "nps": None,
                    "reason": None,
                    "followup_id": fid,
                },
            )

    change = rate

    def spam(self, at: int, data: dict[str, Any]) -> None:
        self.transition(at, f"agent:{self.r.agents[data['agent']]}", "mark_spam", "closed")

    def duplicate(self, at: int, number: int) -> None:
        dup = _Story(self.r, self.tp, self.cid)
        dup.open(number, at, None, ())
        old = dup.status
        dup.status, dup.closed, dup.merged_into = "closed", at, self.id
        dup.save(at)
        dup.event(
            at,
            ev.MERGED_INTO,
            "system",
            {"into": self.id, "into_number": self.number, "from": old, "to": "closed"},
        )
        moved = 0
        for i in dup.message_ids:
            row = self.r.messages[i]
            self.r.messages[i] = (row[0], self.id, *row[2:])
            moved += 1
        dup.message_ids = []
        self.save(at)
        self.event(
            at,
            ev.MERGED_FROM,
            "system",
            {
                "source": dup.id,
                "source_number": dup.number,
                "messages": moved,
                "source_created_at": _at(dup.created).isoformat(),
            },
        )
        self.extra.append(dup)

    def finish(self) -> None:
        for story in [*self.extra, self]:
            story._row()
        for row in self.surveys:
            for i in (6, 7, 14, 15):
                row[i] = _T(row[i]) if row[i] is not None else None
            self.r.surveys.append(tuple(row))

    def _row(self) -> None:
        tp = self.tp
        self.r.tickets.append(
            (
                self.id,
                self.number,
                tp.subject,
                self.cid,
                tp.channel,
                self.status,
                "support",
                tp.priority,
                tp.category,
                _J(self.tags),
                self.assignee,
                self.r.group_id,
                tp.language,
                None,
                "[]",
                _T(self.created),
                _T(self.updated),
                _Tn(self.first_response),
                _Tn(self.solved),
                _Tn(self.closed),
                None,
                self.reopen_count,
                "{}",
                self.merged_into,
                self.version,
            )
        )


def simulate_bulk(
    storage: Storage,
    *,
    start: datetime,
    days: int,
    seed: int = 0,
    timezone: str = "Asia/Shanghai",
    profile: Profile | None = None,
    tickets: int | None = None,
    batch: int = 5000,
    surveys: SurveySettings | None = None,
    refresh: bool = True,
    also: Sequence[Storage] = (),
) -> Simulation:
    """Write a seeded history straight into a SQL ``storage`` (and each of ``also``).

    The rows are those :func:`simulate` stores through the desk's commands (tickets,
    messages, events, surveys, follow-ups, customers, agents), ``batch`` tickets per
    transaction, through :meth:`~helpdesk_kit.storage.sql.analytics.SqlAnalytics.load_rows`
    (``executemany`` on SQLite, ``COPY`` on PostgreSQL). With ``refresh`` the KPI facts are
    derived afterwards (set-based SQL over the events). Ticket numbers start at the
    storage's next number.
    """
    targets = [storage, *also]
    for target in targets:
        if not hasattr(target, "engine"):
            raise ConfigurationError(
                "simulate_bulk() writes SQL rows; use simulate() for other storages"
            )
    h = History(
        start=start, days=days, seed=seed, timezone=timezone, profile=profile, tickets=tickets
    )
    settings = surveys or SurveySettings(secret=SIMULATION_SECRET)
    ids = _Ids(seed)
    now_us = (ensure_aware(start) - _EPOCH) // timedelta(microseconds=1)
    group_id = ids(now_us)
    agent_ids = {a.key: ids(now_us) for a in h.agents}
    group_rows = [(group_id, f"support-s{seed}", "least_loaded", None, "")]
    agent_rows = [
        (
            agent_ids[a.key],
            a.name,
            None,
            "agent",
            "[]",
            "[]",
            10,
            "offline",
            f"{a.shift[0]:02d}-{a.shift[1]:02d}",
        )
        for a in h.agents
    ]
    for target in targets:
        with target.unit_of_work() as uow:
            uow.analytics.load_rows("groups", group_rows)  # type: ignore[attr-defined]
            uow.analytics.load_rows("agents", agent_rows)  # type: ignore[attr-defined]
            uow.analytics.load_rows(  # type: ignore[attr-defined]
                "agent_groups", [(agent_ids[a.key], group_id) for a in h.agents]
            )
            uow.commit()
    rows = _Rows(h, settings, group_id, agent_ids, ids)
    customer_ids: list[str] = []
    ticket_ids: list[str | None] = []
    pending_customers: list[tuple[Any, ...]] = []
    pending_identities: list[tuple[Any, ...]] = []
    pending: list[TicketPlan] = []

    def flush() -> None:
        dups = sum(1 for tp in pending for s in tp.steps if s[1] == "duplicate")
        for target in targets:
            with target.unit_of_work() as uow:
                numbers = uow.tickets.next_numbers(len(pending) + dups)
                if target is storage:
                    it = iter(numbers)
                    for tp in pending:
                        ticket_ids.append(rows.story(tp, it, customer_ids[tp.customer]))
                uow.analytics.load_rows("customers", pending_customers)  # type: ignore[attr-defined]
                uow.analytics.load_rows("customer_identities", pending_identities)  # type: ignore[attr-defined]
                uow.analytics.load_rows("tickets", rows.tickets)  # type: ignore[attr-defined]
                uow.analytics.load_rows("messages", rows.messages)  # type: ignore[attr-defined]
                uow.analytics.load_rows("events", rows.events)  # type: ignore[attr-defined]
                uow.analytics.load_rows("surveys", rows.surveys)  # type: ignore[attr-defined]
                uow.analytics.load_rows("followups", rows.followups)  # type: ignore[attr-defined]
                uow.commit()
        rows.clear()
        pending.clear()
        pending_customers.clear()
        pending_identities.clear()

    for new, day_tickets in h.days():
        for c in new:
            cid = ids(now_us)
            customer_ids.append(cid)
            pending_customers.append((cid, c.name, c.tier, c.locale, "[]", "{}", _T(now_us), None))
            pending_identities.append(("email", c.email, cid, 0))
        pending.extend(day_tickets)
        if len(pending) >= batch:
            flush()
    if pending or pending_customers:
        flush()
    if refresh:
        for target in targets:
            with target.unit_of_work() as uow:
                uow.analytics.refresh(full=True)
                uow.commit()
    return Simulation(
        h,
        _shop(h, customer_ids, ticket_ids),
        customer_ids,
        list(agent_ids.values()),
        len(ticket_ids),
    )


def history_dates(h: History) -> tuple[date, date]:
    """The first and last local day of a history (for choosing report periods)."""
    first = h.start.astimezone(zone(h.timezone)).date()
    return first, first + timedelta(days=h.days_count - 1)
