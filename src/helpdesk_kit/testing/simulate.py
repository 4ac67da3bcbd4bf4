"""Seeded, realistic customer-service history for tests, benchmarks and demos.

:func:`plan` draws a history from a :class:`Profile`: customers (some return), tickets
arriving by hour and weekday in the desk's time zone, channels and categories with Chinese
and English messages, agents on shifts with their own speed and quality, bot
conversations (some handed off to a person), replies, customer follow-ups, reopenings,
duplicates merged away, spam, satisfaction ratings (some changed), pre-sale
conversations and the orders of a web shop. The same plan can be played two ways:

- :func:`simulate` runs it through a real :class:`~helpdesk_kit.desk.Helpdesk` (every
  command, on any storage) with the desk's :class:`~helpdesk_kit.clock.FrozenClock`;
- :func:`simulate_bulk` writes the rows those commands would have written straight through
  the storage's bulk methods (a million tickets in minutes, for benchmarks).

Both return a :class:`Simulation` whose ``shop`` is a plugin implementing
``customer_orders`` (register it on the desk that reports).
"""

from __future__ import annotations

import contextlib
import heapq
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.analytics.periods import zone
from helpdesk_kit.clock import FrozenClock, ensure_aware
from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.feedback.model import Survey
from helpdesk_kit.feedback.rules import is_bad, survey_text
from helpdesk_kit.feedback.settings import SurveySettings
from helpdesk_kit.feedback.tokens import sign_token
from helpdesk_kit.ids import new_id
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    AuthorKind,
    Customer,
    FollowUp,
    Group,
    Identity,
    InboundMessage,
    Message,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk
    from helpdesk_kit.storage.base import Storage

__all__ = [
    "SIMULATION_SECRET",
    "AgentPlan",
    "Profile",
    "SimulatedShop",
    "Simulation",
    "Step",
    "TicketPlan",
    "plan",
    "simulate",
    "simulate_bulk",
]

#: The survey secret simulations use when the desk has no survey settings yet.
SIMULATION_SECRET = "helpdesk_kit-simulation-secret-0123456789"
BOT = "bot:assistant"

# (category, weight, [zh texts], [en texts])
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
_BOT_REPLIES = {
    "zh": ["您好，我是智能助手，请问有什么可以帮您？", "已为您找到答案，请查看以下说明。"],
    "en": ["Hi, I am the assistant. How can I help?", "Here is what I found for you."],
}
_CHANNELS = [("chat", 0.42), ("email", 0.25), ("form", 0.13), ("wechat", 0.14), ("phone", 0.06)]
# arrivals by local hour (0-23) and weekday (Mon-Sun)
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
class Profile:
    """How the simulated shop's support looks; every number has a realistic default."""

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
    surge: tuple[str, float] | None = ("coupon", 3.0)  # a category more frequent in the last month


@attrs.frozen
class Step:
    """One thing that happens to a ticket at ``at``: ``kind`` with its ``data``."""

    at: datetime
    ticket: int
    kind: str
    data: dict[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class TicketPlan:
    """One planned ticket: who, where, what, and its steps in time order."""

    index: int
    customer: int
    channel: str
    category: str
    priority: str
    language: str
    subject: str
    text: str
    tags: tuple[str, ...]
    steps: tuple[Step, ...]


@attrs.frozen
class CustomerPlan:
    """One planned customer."""

    index: int
    name: str
    email: str
    tier: str
    locale: str


@attrs.frozen
class Plan:
    """A whole planned history: agents, customers, tickets and the shop's orders."""

    start: datetime
    days: int
    timezone: str
    agents: tuple[AgentPlan, ...]
    customers: tuple[CustomerPlan, ...]
    tickets: tuple[TicketPlan, ...]
    orders: dict[int, list[dict[str, Any]]] = attrs.field(hash=False)


def _pick(rng: random.Random, items: Sequence[tuple[Any, float]]) -> Any:
    total = sum(w for _, w in items)
    x = rng.random() * total
    for value, w in items:
        x -= w
        if x <= 0:
            return value
    return items[-1][0]


def _lognormal(rng: random.Random, median_s: float, sigma: float = 0.8) -> float:
    return median_s * math.exp(rng.gauss(0, sigma))


def _agents(rng: random.Random, count: int) -> tuple[AgentPlan, ...]:
    names = [
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
    shifts = [(8, 17), (9, 18), (12, 21), (14, 23)]
    out = []
    for i in range(count):
        name = names[i] if i < len(names) else f"Agent {i + 1}"
        out.append(
            AgentPlan(
                key=f"a{i}",
                name=name,
                shift=shifts[i % len(shifts)],
                speed=round(rng.uniform(0.6, 1.6), 2),
                csat=round(rng.uniform(4.1, 4.85), 2),
                one_touch=round(rng.uniform(0.7, 0.92), 2),
            )
        )
    return tuple(out)


class _Clockwork:
    """Local-time helpers for one zone."""

    def __init__(self, timezone: str) -> None:
        self.tz = zone(timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def on_shift(self, agent: AgentPlan, at: datetime) -> bool:
        h = self.local(at).hour
        return agent.shift[0] <= h < agent.shift[1]

    def next_shift_start(self, agent: AgentPlan, at: datetime) -> datetime:
        local = self.local(at)
        start = local.replace(hour=agent.shift[0], minute=0, second=0, microsecond=0)
        if local.hour >= agent.shift[0]:
            start += timedelta(days=1)
        return start.astimezone(UTC)


def plan(
    *,
    start: datetime,
    days: int,
    seed: int = 0,
    timezone: str = "Asia/Shanghai",
    profile: Profile | None = None,
    tickets: int | None = None,
) -> Plan:
    """Draw a history of ``days`` days from ``start`` (aware); ``tickets`` fixes the count."""
    ensure_aware(start, "start")
    if days < 1:
        raise InvalidInput("a simulation needs at least one day")
    p = profile or Profile()
    rng = random.Random(seed)
    clock = _Clockwork(timezone)
    agents = _agents(rng, p.agents)
    local_start = clock.local(start).date()
    day_weights = [_WEEKDAYS[(local_start + timedelta(days=d)).weekday()] for d in range(days)]
    total = tickets if tickets is not None else round(p.tickets_per_day * days)
    per_day = _spread(rng, total, day_weights)
    customers: list[CustomerPlan] = []
    orders: dict[int, list[dict[str, Any]]] = {}
    ticket_plans: list[TicketPlan] = []
    topics = [(t, t[1]) for t in _TOPICS]
    surge_from = days - 30 if days > 45 else days + 1
    for day, count in enumerate(per_day):
        the_day = local_start + timedelta(days=day)
        day_topics = topics
        if p.surge and day >= surge_from:
            day_topics = [(t, w * (p.surge[1] if t[0] == p.surge[0] else 1.0)) for t, w in topics]
        for _ in range(count):
            hour = _pick(rng, list(enumerate(_HOURS)))
            naive = datetime(the_day.year, the_day.month, the_day.day, hour)  # noqa: DTZ001
            local = naive.replace(tzinfo=clock.tz) + timedelta(seconds=rng.randrange(3600))
            opened = local.astimezone(UTC)
            if customers and rng.random() < p.returning_customers:
                cust = rng.choice(customers)
            else:
                idx = len(customers)
                lang = "zh" if rng.random() < p.zh_share else "en"
                cust = CustomerPlan(
                    idx,
                    f"Customer {idx}",
                    f"c{idx}.{seed}@example.com",
                    _pick(rng, p.tiers),
                    "zh-CN" if lang == "zh" else "en",
                )
                customers.append(cust)
                orders[idx] = _history_orders(rng, opened)
            ticket_plans.append(
                _ticket(rng, p, clock, agents, len(ticket_plans), cust, opened, day_topics, orders)
            )
    ticket_plans.sort(key=lambda t: (t.steps[0].at, t.index))
    renumbered = [
        attrs.evolve(t, index=i, steps=tuple(attrs.evolve(s, ticket=i) for s in t.steps))
        for i, t in enumerate(ticket_plans)
    ]
    return Plan(start, days, timezone, agents, tuple(customers), tuple(renumbered), orders)


def _spread(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: -(raw[i] - out[i]) + rng.random() * 1e-9)
    for i in order[:rest]:
        out[i] += 1
    return out


def _history_orders(rng: random.Random, before: datetime) -> list[dict[str, Any]]:
    out = []
    for _ in range(int(rng.expovariate(0.8))):
        out.append(
            {
                "id": new_id(),
                "amount": Decimal(rng.randrange(3900, 89900)) / 100,
                "currency": "CNY",
                "created_at": before - timedelta(days=rng.uniform(5, 400)),
                "status": "refunded" if rng.random() < 0.05 else "completed",
            }
        )
    return out


def _ticket(
    rng: random.Random,
    p: Profile,
    clock: _Clockwork,
    agents: Sequence[AgentPlan],
    index: int,
    cust: CustomerPlan,
    opened: datetime,
    topics: Sequence[tuple[Any, float]],
    orders: dict[int, list[dict[str, Any]]],
) -> TicketPlan:
    topic = _pick(rng, topics)
    category, _w, zh, en = topic
    lang = "zh" if cust.locale.startswith("zh") else "en"
    text = rng.choice(zh if lang == "zh" else en)
    channel = _pick(rng, _CHANNELS)
    priority = _pick(rng, [("low", 0.1), ("normal", 0.7), ("high", 0.16), ("urgent", 0.04)])
    if category == "complaint":
        priority = "high"
    tags = ("pre-sale",) if category == "pre-sale" else ()
    steps: list[Step] = [Step(opened, index, "open", {})]
    t = opened
    spam = rng.random() < p.spam_rate
    on_shift = [a for a in agents if clock.on_shift(a, opened)] or list(agents)
    agent = rng.choice(on_shift)
    speed = {"chat": 30.0, "wechat": 120.0, "phone": 60.0, "form": 3 * 3600.0, "email": 90 * 60.0}[
        channel
    ]
    if spam:
        t += timedelta(seconds=_lognormal(rng, 600))
        steps.append(Step(t, index, "spam", {"agent": agent.key}))
        return TicketPlan(
            index,
            cust.index,
            channel,
            category,
            priority,
            lang,
            text[:40],
            text,
            tags,
            tuple(steps),
        )
    bot = channel == "chat" and rng.random() < p.bot_share_of_chat
    if bot:
        t += timedelta(seconds=rng.uniform(1, 4))
        steps.append(Step(t, index, "bot_reply", {}))
        if rng.random() < p.bot_contained:
            t += timedelta(seconds=rng.uniform(20, 90))
            steps.append(Step(t, index, "solve", {"by": "bot"}))
            _rating(rng, p, steps, index, t, None, channel)
            return TicketPlan(
                index,
                cust.index,
                channel,
                category,
                priority,
                lang,
                text[:40],
                text,
                tags,
                tuple(steps),
            )
        t += timedelta(seconds=rng.uniform(15, 60))
        steps.append(Step(t, index, "handoff", {"agent": agent.key}))
    else:
        steps[0] = Step(opened, index, "open", {"agent": agent.key})
    # the first response, waiting for the agent's shift
    wait = _lognormal(rng, speed * agent.speed)
    first = t + timedelta(seconds=wait)
    if not clock.on_shift(agent, first):
        first = clock.next_shift_start(agent, first) + timedelta(seconds=_lognormal(rng, 900))
    if rng.random() < p.duplicate_rate:
        steps.append(Step(t + timedelta(seconds=rng.uniform(30, 300)), index, "duplicate", {}))
    t = first
    steps.append(Step(t, index, "agent_reply", {"agent": agent.key}))
    # more exchanges unless solved in one touch
    exchanges = 0 if rng.random() < agent.one_touch else 1 + int(rng.expovariate(1.2))
    for _ in range(exchanges):
        t += timedelta(seconds=_lognormal(rng, speed * 2))
        steps.append(Step(t, index, "customer_message", {}))
        t += timedelta(seconds=_lognormal(rng, speed * agent.speed))
        steps.append(Step(t, index, "agent_reply", {"agent": agent.key}))
    t += timedelta(seconds=_lognormal(rng, 120))
    steps.append(Step(t, index, "solve", {"agent": agent.key}))
    _rating(rng, p, steps, index, t, agent, channel)
    if rng.random() < p.reopen_rate * (1.0 if exchanges else 0.5):
        t = max(s.at for s in steps) + timedelta(seconds=_lognormal(rng, 6 * 3600, 1.0))
        t = min(t, steps[-1].at + timedelta(days=5))
        steps.append(Step(t, index, "customer_message", {}))
        t += timedelta(seconds=_lognormal(rng, speed * agent.speed))
        steps.append(Step(t, index, "agent_reply", {"agent": agent.key}))
        t += timedelta(seconds=_lognormal(rng, 300))
        steps.append(Step(t, index, "solve", {"agent": agent.key}))
        _rating(rng, p, steps, index, t, agent, channel)
    if category == "pre-sale" and rng.random() < p.conversion_rate:
        orders[cust.index].append(
            {
                "id": new_id(),
                "amount": Decimal(rng.randrange(9900, 259900)) / 100,
                "currency": "CNY",
                "created_at": opened + timedelta(hours=rng.uniform(0.2, 120)),
                "status": "completed",
                "ticket": index if rng.random() < 0.5 else None,
            }
        )
    steps.sort(key=lambda s: s.at)
    subject = text[:40]
    return TicketPlan(
        index, cust.index, channel, category, priority, lang, subject, text, tags, tuple(steps)
    )


def _rating(
    rng: random.Random,
    p: Profile,
    steps: list[Step],
    index: int,
    solved: datetime,
    agent: AgentPlan | None,
    channel: str,
) -> None:
    if rng.random() >= p.rating_rate:
        return
    mean = agent.csat if agent is not None else 4.0
    score = max(1, min(5, round(rng.gauss(mean, 0.9))))
    at = solved + timedelta(seconds=_lognormal(rng, 1800 if channel == "chat" else 4 * 3600))
    steps.append(Step(at, index, "rate", {"score": score}))
    if rng.random() < p.rating_change_rate:
        new = max(1, min(5, score + rng.choice([-2, -1, 1, 1, 2])))
        steps.append(
            Step(at + timedelta(hours=rng.uniform(0.5, 20)), index, "change", {"score": new})
        )


# ------------------------------------------------------------------------------ the shop


class SimulatedShop:
    """The simulated web shop: a plugin whose ``customer_orders`` reports planned orders."""

    def __init__(self) -> None:
        self.orders: dict[str, list[dict[str, Any]]] = {}

    @hookimpl
    def customer_orders(self, desk: Any, customer: Customer) -> list[dict[str, Any]]:
        """The customer's orders (``id``, ``amount``, ``currency``, ``created_at``, ...)."""
        return list(self.orders.get(customer.id, ()))


@attrs.frozen
class Simulation:
    """What a played plan produced: ids of everything created and the shop plugin."""

    plan: Plan
    shop: SimulatedShop
    customer_ids: list[str]
    agent_ids: list[str]
    ticket_ids: list[str | None]
    tickets: int


def _fill_shop(
    p: Plan, customer_ids: Sequence[str], ticket_ids: Sequence[str | None]
) -> SimulatedShop:
    shop = SimulatedShop()
    for index, found in p.orders.items():
        rows = []
        for o in found:
            row = {k: v for k, v in o.items() if k != "ticket"}
            if o.get("ticket") is not None:
                row["ticket_id"] = ticket_ids[o["ticket"]]
            rows.append(row)
        shop.orders[customer_ids[index]] = rows
    return shop


# ------------------------------------------------------------------------------ through the desk


def _events(p: Plan) -> Iterator[Step]:
    heap: list[tuple[datetime, int, int, Step]] = []
    for t in p.tickets:
        for j, s in enumerate(t.steps):
            heapq.heappush(heap, (s.at, t.index, j, s))
    while heap:
        yield heapq.heappop(heap)[3]


def simulate(
    desk: Helpdesk,
    *,
    start: datetime,
    days: int,
    seed: int = 0,
    profile: Profile | None = None,
    tickets: int | None = None,
) -> Simulation:
    """Play a planned history through ``desk``'s commands, moving its FrozenClock.

    The desk must run on a :class:`FrozenClock` and with ``auto_assign=False`` (the plan
    decides who answers). Surveys are configured with :data:`SIMULATION_SECRET` unless the
    desk already has survey settings.
    """
    if not isinstance(desk.clock, FrozenClock):
        raise ConfigurationError("simulate() needs a desk on a FrozenClock")
    if desk.settings.auto_assign:
        raise ConfigurationError("simulate() needs DeskSettings(auto_assign=False)")
    p = plan(
        start=start,
        days=days,
        seed=seed,
        timezone=desk.settings.timezone,
        profile=profile,
        tickets=tickets,
    )
    clock = desk.clock
    clock.set(start)
    if desk._survey_settings is None:
        desk.configure_surveys(SurveySettings(secret=SIMULATION_SECRET))
    group = desk.add_group(f"support-{seed}-{new_id()[-6:]}")
    agents = [
        desk.add_agent(a.name, groups=[group], shift=f"{a.shift[0]:02d}-{a.shift[1]:02d}")
        for a in p.agents
    ]
    agent_of = {a.key: agents[i] for i, a in enumerate(p.agents)}
    customers: list[Customer] = [
        desk.add_customer(c.name, email=c.email, tier=c.tier, locale=c.locale) for c in p.customers
    ]
    ids: list[Ticket | None] = [None] * len(p.tickets)
    bot = Actor.bot("assistant")
    for step in _events(p):
        clock.set(max(step.at, clock.now()))
        tp = p.tickets[step.ticket]
        cust = customers[tp.customer]
        t = ids[step.ticket]
        kind, data = step.kind, step.data
        if kind == "open":
            agent = agent_of[data["agent"]] if "agent" in data else None
            ids[step.ticket] = desk.open_ticket(
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
        assert t is not None
        if kind == "bot_reply":
            desk.reply(t, _BOT_REPLIES[tp.language][0], author=bot)
        elif kind == "handoff":
            _handoff(desk, t, agent_of[data["agent"]])
        elif kind == "agent_reply":
            desk.reply(t, _REPLIES[tp.language][step.ticket % 3], author=agent_of[data["agent"]])
        elif kind == "customer_message":
            desk.receive(
                InboundMessage(
                    tp.channel,
                    Identity("email", cust.email or ""),
                    text=_FOLLOW_UPS[tp.language][step.ticket % 4].format(n=step.ticket),
                    ticket_number=t.number,
                )
            )
        elif kind == "solve":
            actor = bot if data.get("by") == "bot" else agent_of[data["agent"]]
            desk.transition(t, "solve", actor=actor)
        elif kind in ("rate", "change"):
            found = desk.surveys(t)
            if found:
                with contextlib.suppress(InvalidInput):  # the change window closed
                    desk.rate_survey(desk.survey_token(found[-1]), data["score"])
        elif kind == "spam":
            desk.transition(t, "mark_spam", actor=agent_of[data["agent"]])
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
        ids[step.ticket] = desk.get_ticket(t.id)
    ticket_ids = [None if t is None else t.id for t in ids]
    shop = _fill_shop(p, [c.id for c in customers], ticket_ids)
    return Simulation(
        p, shop, [c.id for c in customers], [a.id for a in agents], ticket_ids, len(p.tickets)
    )


def _handoff(desk: Helpdesk, ticket: Ticket, agent: Agent) -> None:
    """The bot hands the conversation to ``agent``: a ``bot.handoff`` event, then assignment."""
    with desk._work() as work:
        current = work.ticket(ticket.id)
        event = TicketEvent(current.id, ev.HANDOFF, work.now, BOT, {"reason": "customer asked"})
        work.save(current, current, [event])
    desk.assign(ticket, agent, actor=Actor.system())


# ------------------------------------------------------------------------------ bulk


class _Bulk:
    """Builds the rows the desk's commands would have written for planned tickets."""

    def __init__(
        self, p: Plan, settings: SurveySettings, group: Group, agents: Mapping[str, Agent]
    ) -> None:
        self.p = p
        self.settings = settings
        self.group = group
        self.agents = agents
        self.tickets: dict[str, Ticket] = {}
        self.order: list[str] = []
        self.messages: list[Message] = []
        self.events: list[TicketEvent] = []
        self.surveys: list[Survey] = []
        self.followups: list[FollowUp] = []

    def reset(self) -> None:
        self.tickets, self.order = {}, []
        self.messages, self.events, self.surveys, self.followups = [], [], [], []

    def _event(self, t: Ticket, name: str, at: datetime, actor: str, /, **data: Any) -> None:
        self.events.append(TicketEvent(t.id, name, at, actor, data))

    def _save(self, t: Ticket, at: datetime, **changes: Any) -> Ticket:
        new = attrs.evolve(t, version=t.version + 1, updated_at=at, **changes)
        self.tickets[t.id] = new
        return new

    def _message(
        self,
        t: Ticket,
        kind: AuthorKind,
        author: str | None,
        text: str,
        at: datetime,
        public: bool = True,
    ) -> Message:
        m = Message(t.id, kind, text, at, author_id=author, public=public, channel=t.channel)
        self.messages.append(m)
        return m

    def open(
        self,
        number: int,
        tp: TicketPlan,
        customer: Customer,
        at: datetime,
        agent: Agent | None,
        tags: Sequence[str],
    ) -> Ticket:
        who = f"customer:{customer.id}"
        t = Ticket(
            number=number,
            subject=tp.subject,
            customer_id=customer.id,
            channel=tp.channel,
            status="new",
            priority=tp.priority,
            category=tp.category,
            tags=frozenset(tags),
            group_id=self.group.id,
            language=tp.language,
            created_at=at,
            updated_at=at,
        )
        self.tickets[t.id] = t
        self.order.append(t.id)
        self._event(
            t,
            ev.TICKET_CREATED,
            at,
            who,
            number=number,
            subject=tp.subject,
            channel=tp.channel,
            priority=tp.priority,
            lifecycle="support",
            status="new",
            customer_id=customer.id,
            group_id=self.group.id,
            category=tp.category,
            tags=sorted(tags),
        )
        m = Message(
            t.id,
            AuthorKind.CUSTOMER,
            tp.text,
            at,
            author_id=customer.id,
            channel=tp.channel,
            subject=tp.subject,
        )
        self.messages.append(m)
        self._event(t, ev.MESSAGE_RECEIVED, at, who, message_id=m.id, channel=tp.channel)
        if agent is not None:
            self._assign(t, agent, at, who)
        return self.tickets[t.id]

    def _assign(self, t: Ticket, agent: Agent, at: datetime, actor: str) -> None:
        t = self.tickets[t.id]
        self._save(t, at, assignee_id=agent.id)
        self._event(
            t,
            ev.ASSIGNED,
            at,
            actor,
            assignee_id=agent.id,
            group_id=t.group_id,
            previous_assignee_id=t.assignee_id,
            previous_group_id=t.group_id,
        )

    def _transition(self, t: Ticket, at: datetime, actor: str, name: str, to: str) -> Ticket:
        old = t.status
        changes: dict[str, Any] = {"status": to}
        reopened = old in ("solved", "closed") and to not in ("solved", "closed")
        if to == "solved" and old != "solved":
            changes.update(solved_at=at, confirmed_at=None)
        if to == "closed":
            changes["closed_at"] = at
        if reopened:
            changes.update(
                reopen_count=t.reopen_count + 1, solved_at=None, closed_at=None, confirmed_at=None
            )
        new = self._save(t, at, **changes)
        data = {"transition": name, "from": old, "to": to}
        self._event(t, ev.TRANSITIONED, at, actor, **data)
        if reopened:
            self._event(t, ev.REOPENED, at, actor, **data)
        return new

    def step(
        self, s: Step, tp: TicketPlan, t: Ticket, customer: Customer, numbers: Iterator[int]
    ) -> None:
        at, data = s.at, s.data
        t = self.tickets[t.id]
        if s.kind == "bot_reply":
            m = self._message(t, AuthorKind.BOT, "assistant", _BOT_REPLIES[tp.language][0], at)
            self._save(t, at)
            self._event(
                t, ev.REPLY_SENT, at, BOT, message_id=m.id, first_response=False, author_kind="bot"
            )
        elif s.kind == "handoff":
            self._save(t, at)
            self._event(t, ev.HANDOFF, at, BOT, reason="customer asked")
            self._assign(t, self.agents[data["agent"]], at, "system")
        elif s.kind == "agent_reply":
            agent = self.agents[data["agent"]]
            m = self._message(
                t, AuthorKind.AGENT, agent.id, _REPLIES[tp.language][tp.index % 3], at
            )
            first = t.first_response_at is None
            t = self._save(t, at, first_response_at=at if first else t.first_response_at)
            self._event(
                t,
                ev.REPLY_SENT,
                at,
                f"agent:{agent.id}",
                message_id=m.id,
                first_response=first,
                author_kind="agent",
            )
            if t.status == "new":
                self._transition(t, at, "system", "open", "open")
        elif s.kind == "customer_message":
            text = _FOLLOW_UPS[tp.language][tp.index % 4].format(n=tp.index)
            m = self._message(t, AuthorKind.CUSTOMER, customer.id, text, at)
            t = self._save(t, at)
            who = f"customer:{customer.id}"
            self._event(t, ev.MESSAGE_RECEIVED, at, who, message_id=m.id, channel=tp.channel)
            if t.status == "solved":
                self._transition(t, at, who, "reopen", "open")
        elif s.kind == "solve":
            actor = BOT if data.get("by") == "bot" else f"agent:{self.agents[data['agent']].id}"
            t = self._transition(t, at, actor, "solve", "solved")
            self._survey(t, at)
        elif s.kind in ("rate", "change"):
            self._rate(t, at, data["score"])
        elif s.kind == "spam":
            self._transition(t, at, f"agent:{self.agents[data['agent']].id}", "mark_spam", "closed")
        elif s.kind == "duplicate":
            dup = self.open(next(numbers), tp, customer, at, None, ())
            dup = self.tickets[dup.id]
            self._save(dup, at, merged_into=t.id, status="closed", closed_at=at)
            self._event(
                dup,
                ev.MERGED_INTO,
                at,
                "system",
                into=t.id,
                into_number=t.number,
                **{"from": dup.status, "to": "closed"},
            )
            moved = 0
            for i, m in enumerate(self.messages):
                if m.ticket_id == dup.id:
                    self.messages[i] = attrs.evolve(m, ticket_id=t.id)
                    moved += 1
            self._save(self.tickets[t.id], at)
            self._event(
                t,
                ev.MERGED_FROM,
                at,
                "system",
                source=dup.id,
                source_number=dup.number,
                messages=moved,
                source_created_at=dup.created_at.isoformat(),
            )

    def _survey(self, t: Ticket, at: datetime) -> None:
        settings = self.settings
        round_ = t.reopen_count + 1
        if any(s.ticket_id == t.id and s.round == round_ for s in self.surveys):
            return
        survey = Survey(
            ticket_id=t.id,
            customer_id=t.customer_id,
            channel=t.channel,
            kind=settings.kind,
            round=round_,
            sent_at=at,
            expires_at=at + settings.expires_after,
            agent_id=t.assignee_id,
        )
        token = sign_token(settings.secret, survey.id, survey.expires_at)
        text = survey_text(settings, ref=t.ref, token=token, language=t.language)
        m = self._message(t, AuthorKind.SYSTEM, None, text, at)
        survey = attrs.evolve(survey, message_id=m.id)
        self.surveys.append(survey)
        self._save(t, at)
        self._event(
            t,
            ev.SURVEY_SENT,
            at,
            "system",
            survey_id=survey.id,
            kind=survey.kind.value,
            round=round_,
            message_id=m.id,
            expires_at=survey.expires_at.isoformat(),
            agent_id=survey.agent_id,
            explicit=False,
        )

    def _rate(self, t: Ticket, at: datetime, score: int) -> None:
        mine = [(i, s) for i, s in enumerate(self.surveys) if s.ticket_id == t.id]
        if not mine:
            return
        i, s = mine[-1]
        if at >= s.expires_at:
            return
        who = f"customer:{t.customer_id}"
        if s.rated_at is None:
            new = attrs.evolve(s, score=score, rated_at=at, updated_at=at)
            kind, data = (
                ev.SURVEY_RATED,
                {"survey_id": s.id, "score": score, "nps": None, "reason": None, "comment": None},
            )
        else:
            if at >= s.rated_at + self.settings.change_window:
                return
            new = attrs.evolve(s, score=score, updated_at=at, changes=s.changes + 1)
            kind, data = (
                ev.SURVEY_CHANGED,
                {
                    "survey_id": s.id,
                    "from": {"score": s.score, "nps": s.nps},
                    "to": {"score": score, "nps": None},
                },
            )
        t = self._save(t, at)
        self._event(t, kind, at, who, **data)
        if is_bad(score, None, self.settings) and new.followup_id is None:
            f = FollowUp(
                t.id,
                f"差评回访 / follow up a bad rating (CSAT {score})",
                at,
                reason="bad_rating:unclassified",
                due_at=at + self.settings.followup_due,
            )
            self.followups.append(f)
            new = attrs.evolve(new, followup_id=f.id)
            self._event(
                t, ev.FOLLOWUP_ADDED, at, "system", followup_id=f.id, title=f.title, reason=f.reason
            )
            self._event(
                t,
                ev.SURVEY_BAD_RATING,
                at,
                "system",
                survey_id=s.id,
                score=score,
                nps=None,
                reason=None,
                followup_id=f.id,
            )
        self.surveys[i] = new


def simulate_bulk(
    storage: Storage,
    *,
    start: datetime,
    days: int,
    seed: int = 0,
    timezone: str = "Asia/Shanghai",
    profile: Profile | None = None,
    tickets: int | None = None,
    batch: int = 2000,
    surveys: SurveySettings | None = None,
    refresh: bool = True,
) -> Simulation:
    """Write a planned history straight into ``storage`` with its bulk methods.

    The rows are those :func:`simulate` would store (tickets, messages, events, surveys,
    follow-ups), ``batch`` tickets per unit of work. With ``refresh`` the KPI facts are
    derived afterwards (``AnalyticsRepository.refresh(full=True)``).
    """
    p = plan(start=start, days=days, seed=seed, timezone=timezone, profile=profile, tickets=tickets)
    settings = surveys or SurveySettings(secret=SIMULATION_SECRET)
    with storage.unit_of_work() as uow:
        group = uow.groups.add(Group(f"support-{seed}-{new_id()[-6:]}"))
        agents = {
            a.key: uow.agents.add(
                Agent(a.name, groups=[group.id], shift=f"{a.shift[0]:02d}-{a.shift[1]:02d}")
            )
            for a in p.agents
        }
        customers = [
            Customer(
                c.name,
                identities=[("email", c.email)],
                tier=c.tier,
                locale=c.locale,
                created_at=start,
            )
            for c in p.customers
        ]
        for i in range(0, len(customers), 5000):
            uow.customers.add_many(customers[i : i + 5000])
        uow.commit()
    bulk = _Bulk(p, settings, group, agents)
    ticket_ids: list[str | None] = [None] * len(p.tickets)
    for first in range(0, len(p.tickets), batch):
        chunk = p.tickets[first : first + batch]
        with storage.unit_of_work() as uow:
            dups = sum(1 for tp in chunk for s in tp.steps if s.kind == "duplicate")
            numbers = iter(uow.tickets.next_numbers(len(chunk) + dups))
            for tp in chunk:
                s0 = tp.steps[0]
                agent = agents[s0.data["agent"]] if "agent" in s0.data else None
                t = bulk.open(next(numbers), tp, customers[tp.customer], s0.at, agent, tp.tags)
                ticket_ids[tp.index] = t.id
                for s in tp.steps[1:]:
                    bulk.step(s, tp, t, customers[tp.customer], numbers)
            uow.tickets.add_many([bulk.tickets[i] for i in bulk.order])
            uow.messages.add_many(bulk.messages)
            uow.events.append(bulk.events)
            uow.surveys.add_many(bulk.surveys)
            for f in bulk.followups:
                uow.followups.add(f)
            uow.commit()
        bulk.reset()
    if refresh:
        with storage.unit_of_work() as uow:
            uow.analytics.refresh(full=True)
            uow.commit()
    customer_ids = [c.id for c in customers]
    shop = _fill_shop(p, customer_ids, ticket_ids)
    return Simulation(
        p, shop, customer_ids, [a.id for a in agents.values()], ticket_ids, len(p.tickets)
    )
