"""Escalation policies: levels, each a condition and the actions taken when it first holds.

A :class:`EscalationPolicy` applies to the tickets its :class:`AppliesTo` selects and has
ordered :class:`Level` s. Each level has one condition and a list of :class:`Action` s and
fires at most once per ticket. Conditions are pure: they read :class:`Facts` (the ticket, the
instant, what the command or sweep saw) and say *when* they hold.

* time conditions (:class:`SlaUsed`, :class:`SlaBreached`, :class:`Waiting`) give the instant
  they are (or will be) reached, so a sweeper can be scheduled for exactly that instant;
  they only apply while the ticket is active (not solved, closed or merged);
* event conditions (:class:`Keywords`, :class:`BadRating`) hold when the events being
  handled carry a matching customer message or rating;
* state conditions (:class:`ComplaintTicket`) hold whenever the ticket is in that state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

import attrs

from helpdesk_kit.escalation.keywords import KeywordMatcher
from helpdesk_kit.tickets.model import Ticket

__all__ = [
    "BUILTIN_ACTIONS",
    "Action",
    "AppliesTo",
    "BadRating",
    "ComplaintTicket",
    "Condition",
    "Due",
    "EscalationPolicy",
    "Evaluation",
    "Facts",
    "Keywords",
    "Level",
    "SlaBreached",
    "SlaUsed",
    "Waiting",
    "evaluate",
]

#: The actions the desk knows without plugins.
BUILTIN_ACTIONS = (
    "assign_group",
    "assign_supervisor",
    "raise_priority",
    "notify",
    "tag",
    "complaint",
)

#: ``reached(metric, fraction)``: when the metric's current cycle used ``fraction`` of its
#: target (past or future); None when it has no target or its clock is stopped before that.
#: ``metric=None`` asks for the earliest over every metric.
SlaReached = Callable[[str | None, float], datetime | None]


def _words(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _actions(value: Iterable[Action]) -> tuple[Action, ...]:
    return tuple(value)


def _levels(value: Iterable[Level]) -> tuple[Level, ...]:
    return tuple(value)


def _params(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


def _no_sla(_metric: str | None, _fraction: float) -> datetime | None:
    return None


@attrs.frozen
class Facts:
    """What a condition may look at, gathered by the desk for one ticket at one instant.

    ``active``: the ticket is neither solved, closed nor merged. ``group``/``tier``: the
    ticket's group name and the customer's tier. ``waiting_since``: the customer's last
    message that no agent answered yet (None when answered). ``messages``/``ratings``: the
    customer messages and rating scores among the events being handled (empty in sweeps).
    """

    now: datetime
    ticket: Ticket
    active: bool = True
    group: str | None = None
    tier: str | None = None
    waiting_since: datetime | None = None
    sla_reached: SlaReached = _no_sla
    messages: tuple[str, ...] = ()
    ratings: tuple[int, ...] = ()


class Condition(Protocol):
    """A level's condition."""

    #: the key of the condition in the data form ("sla", "waiting", "keywords", ...)
    kind: ClassVar[str]
    #: a time condition: only on active tickets, reached at an instant a sweep can wait for
    timed: ClassVar[bool]

    def holds_at(self, facts: Facts) -> datetime | None:
        """When the condition holds (at or before ``facts.now``: it holds now); None: not yet."""
        ...

    def why(self, facts: Facts) -> dict[str, Any]:
        """What made it hold, recorded with the ``escalation.fired`` event."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The data form (what :func:`~helpdesk_kit.escalation.condition_from_dict` reads)."""
        ...


def _percent(value: float) -> str:
    return f"{value:g}"


@attrs.frozen
class SlaUsed:
    """``percent`` of the SLA target of ``metric`` has been used (business time)."""

    kind: ClassVar[str] = "sla"
    timed: ClassVar[bool] = True
    metric: str
    percent: float

    def holds_at(self, facts: Facts) -> datetime | None:
        """The instant the share of the target was (or will be) reached."""
        return facts.sla_reached(self.metric, self.percent / 100)

    def why(self, facts: Facts) -> dict[str, Any]:
        """The metric and share."""
        return {"metric": self.metric, "percent": self.percent}

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        return {"sla": self.metric, "percent": self.percent}


@attrs.frozen
class SlaBreached:
    """An SLA target was missed: ``metric``'s, or any metric's when ``metric`` is None."""

    kind: ClassVar[str] = "breach"
    timed: ClassVar[bool] = True
    metric: str | None = None

    def holds_at(self, facts: Facts) -> datetime | None:
        """The breach instant (the due instant of the current cycle)."""
        return facts.sla_reached(self.metric, 1.0)

    def why(self, facts: Facts) -> dict[str, Any]:
        """The metric."""
        return {"metric": self.metric or "any"}

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        return {"breach": self.metric or "any"}


#: What a :class:`Waiting` counts from.
WAIT_SINCE = ("created", "customer_message")


@attrs.frozen
class Waiting:
    """The ticket waited ``after`` (wall clock): since it was created, or since the customer's
    last message that no agent answered."""

    kind: ClassVar[str] = "waiting"
    timed: ClassVar[bool] = True
    after: timedelta
    since: str = "created"

    def holds_at(self, facts: Facts) -> datetime | None:
        """Start of the wait plus ``after``."""
        start = facts.ticket.created_at if self.since == "created" else facts.waiting_since
        return None if start is None else start + self.after

    def why(self, facts: Facts) -> dict[str, Any]:
        """The wait."""
        start = facts.ticket.created_at if self.since == "created" else facts.waiting_since
        return {
            "since": self.since,
            "after_seconds": self.after.total_seconds(),
            "waiting_since": None if start is None else start.isoformat(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        return {"waiting": f"{int(self.after.total_seconds())}s", "since": self.since}


@attrs.frozen
class Keywords:
    """A customer's message contains one of ``words`` (``label``: keywords or sentiment)."""

    kind: ClassVar[str] = "keywords"
    timed: ClassVar[bool] = False
    words: tuple[str, ...] = attrs.field(converter=_words)
    label: str = "keywords"
    _matcher: KeywordMatcher = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_matcher", KeywordMatcher(self.words))

    def found(self, texts: Sequence[str]) -> list[str]:
        """The words found in ``texts``."""
        return self._matcher.find_any(texts)

    def holds_at(self, facts: Facts) -> datetime | None:
        """Now, when a message being handled contains a word."""
        return facts.now if self.found(facts.messages) else None

    def why(self, facts: Facts) -> dict[str, Any]:
        """The words found."""
        return {"found": self.found(facts.messages)}

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        return {self.label: list(self.words)}


@attrs.frozen
class BadRating:
    """The customer rated the ticket ``at_most`` (1-5 satisfaction score) or lower."""

    kind: ClassVar[str] = "rating"
    timed: ClassVar[bool] = False
    at_most: int = 2

    def holds_at(self, facts: Facts) -> datetime | None:
        """Now, when a rating being handled is low enough."""
        return facts.now if any(s <= self.at_most for s in facts.ratings) else None

    def why(self, facts: Facts) -> dict[str, Any]:
        """The score."""
        return {"score": min(facts.ratings) if facts.ratings else None, "at_most": self.at_most}

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        return {"rating_at_most": self.at_most}


@attrs.frozen
class ComplaintTicket:
    """The ticket is a complaint: in the ``complaint`` lifecycle or of a complaint category."""

    kind: ClassVar[str] = "complaint"
    timed: ClassVar[bool] = False
    lifecycles: frozenset[str] = frozenset({"complaint"})
    categories: frozenset[str] = frozenset({"complaint"})

    def holds_at(self, facts: Facts) -> datetime | None:
        """Now, while the ticket is a complaint."""
        t = facts.ticket
        if t.lifecycle in self.lifecycles or (t.category or "") in self.categories:
            return facts.now
        return None

    def why(self, facts: Facts) -> dict[str, Any]:
        """Lifecycle and category."""
        return {"lifecycle": facts.ticket.lifecycle, "category": facts.ticket.category}

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        return {
            "complaint": {
                "lifecycles": sorted(self.lifecycles),
                "categories": sorted(self.categories),
            }
        }


@attrs.frozen
class Action:
    """One thing a level does: a built-in (see ``BUILTIN_ACTIONS``) or a plugin's action."""

    name: str
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=_params, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        return {"action": self.name, **self.params}


@attrs.frozen
class Level:
    """A step of the escalation path: fires once per ticket when ``condition`` first holds."""

    name: str
    condition: Condition
    actions: tuple[Action, ...] = attrs.field(converter=_actions)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Data form."""
        out: dict[str, Any] = {
            "name": self.name,
            "when": self.condition.to_dict(),
            "actions": [a.to_dict() for a in self.actions],
        }
        if self.description:
            out["description"] = self.description
        return out


@attrs.frozen
class AppliesTo:
    """Which tickets a policy covers; an empty set matches everything."""

    channels: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    lifecycles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    FIELDS: ClassVar[tuple[str, ...]] = (
        "channels",
        "priorities",
        "categories",
        "lifecycles",
        "groups",
        "tiers",
        "tags",
    )

    @property
    def needs_tier(self) -> bool:
        """Say whether matching needs the customer's tier."""
        return bool(self.tiers)

    def matches(self, facts: Facts) -> bool:
        """Say whether the ticket of ``facts`` is covered."""
        t = facts.ticket
        checks = (
            (self.channels, t.channel),
            (self.priorities, t.priority.value),
            (self.categories, t.category),
            (self.lifecycles, t.lifecycle),
            (self.groups, facts.group),
            (self.tiers, facts.tier),
        )
        if any(wanted and value not in wanted for wanted, value in checks):
            return False
        return not self.tags or bool(self.tags & t.tags)

    def to_dict(self) -> dict[str, Any]:
        """Data form (only the fields that restrict)."""
        return {f: sorted(getattr(self, f)) for f in self.FIELDS if getattr(self, f)}


@attrs.frozen
class EscalationPolicy:
    """A named escalation path: the tickets it covers and its ordered levels."""

    name: str
    levels: tuple[Level, ...] = attrs.field(converter=_levels)
    applies_to: AppliesTo = attrs.field(factory=AppliesTo)
    description: str = ""

    def level(self, name: str) -> Level:
        """The level called ``name``."""
        for level in self.levels:
            if level.name == name:
                return level
        from helpdesk_kit.errors import InvalidInput

        raise InvalidInput(
            f"policy {self.name!r} has no level {name!r} "
            f"(levels: {', '.join(lv.name for lv in self.levels)})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Data form (what :func:`~helpdesk_kit.escalation.policy_from_dict` reads)."""
        out: dict[str, Any] = {"name": self.name, "levels": [lv.to_dict() for lv in self.levels]}
        applies = self.applies_to.to_dict()
        if applies:
            out["applies_to"] = applies
        if self.description:
            out["description"] = self.description
        return out


@attrs.frozen
class Due:
    """A level whose condition holds now and that has not fired on the ticket yet."""

    policy: EscalationPolicy
    level: Level
    at: datetime
    why: dict[str, Any] = attrs.field(hash=False)


@attrs.frozen
class Evaluation:
    """What to fire now, and the next instant a time condition could fire (None: never)."""

    due: tuple[Due, ...] = ()
    next_at: datetime | None = None


def evaluate(
    policies: Sequence[EscalationPolicy],
    facts: Facts,
    fired: set[tuple[str, str]] | frozenset[tuple[str, str]],
) -> Evaluation:
    """The levels of ``policies`` due for ``facts``'s ticket, skipping ``fired`` (policy, level).

    Levels come in policy order, then level order. ``next_at`` is the earliest future
    instant at which an unfired time level of a covering policy would hold if nothing
    changed until then.
    """
    due: list[Due] = []
    upcoming: datetime | None = None
    for policy in policies:
        if not policy.applies_to.matches(facts):
            continue
        for level in policy.levels:
            if (policy.name, level.name) in fired:
                continue
            condition = level.condition
            if condition.timed and not facts.active:
                continue
            at = condition.holds_at(facts)
            if at is None:
                continue
            if at <= facts.now:
                due.append(Due(policy, level, at, condition.why(facts)))
            elif condition.timed and (upcoming is None or at < upcoming):
                upcoming = at
    return Evaluation(tuple(due), upcoming)
