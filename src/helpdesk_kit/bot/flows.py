"""Dialogue flows: small declarative definitions, one per intent, checked when they are built.

A flow says which slots the bot collects for an intent, the question for each (per
locale), an optional confirmation, and the bot action that does the work::

    [order_status]
    action = "order_status"
    [[order_status.slots]]
    name = "order_number"
    type = "order_number"
    ask = { en = "What is your order number?", zh = "请提供您的订单号。" }

:func:`load_flows` takes such a mapping (or TOML text) and returns a :class:`FlowSet`;
every problem in every flow is reported at once with ``InvalidDefinition``.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from typing import Any

import attrs

from helpdesk_kit.bot.phrases import fill, pick_text
from helpdesk_kit.bot.slots import Choice, SlotSpec, SlotType
from helpdesk_kit.errors import InvalidDefinition, InvalidInput

__all__ = ["MAX_RETRIES", "Flow", "FlowSet", "load_flows", "starter_flows"]

#: Default number of times the bot asks a slot again after an answer that does not fit.
MAX_RETRIES = 2

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
_FLOW_KEYS = frozenset({"intent", "action", "slots", "confirm", "max_retries", "description"})
_SLOT_KEYS = frozenset(
    {
        "name",
        "type",
        "ask",
        "invalid",
        "choices",
        "pattern",
        "from_customer",
        "min_length",
        "max_length",
    }
)
_CHOICE_KEYS = frozenset({"value", "labels", "synonyms"})


@attrs.frozen
class Flow:
    """One intent's dialogue: slots to fill, an optional confirmation, then an action."""

    name: str
    intent: str
    action: str
    slots: tuple[SlotSpec, ...] = ()
    confirm: Mapping[str, str] | None = attrs.field(default=None, hash=False)
    max_retries: int = MAX_RETRIES
    description: str = ""

    def slot(self, name: str) -> SlotSpec:
        """The slot called ``name``."""
        for spec in self.slots:
            if spec.name == name:
                return spec
        raise InvalidInput(f"flow {self.name!r} has no slot {name!r}")

    @property
    def slot_names(self) -> list[str]:
        """The slots' names in the order they are asked."""
        return [s.name for s in self.slots]

    def confirmation(
        self, slots: Mapping[str, str], locale: str | None, default: str = "en"
    ) -> str:
        """The confirmation question with the slot values filled in ("" without one)."""
        if not self.confirm:
            return ""
        return fill(pick_text(self.confirm, locale, default), dict(slots))

    def locales(self) -> set[str]:
        """Every locale the flow has text for."""
        found = set(self.confirm or {})
        for spec in self.slots:
            found |= set(spec.ask) | set(spec.invalid)
        return found

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Flow:
        """Build one flow; ``InvalidDefinition`` lists every problem."""
        problems: list[str] = []
        flow = _build_flow(name, data, problems)
        if problems or flow is None:
            raise InvalidDefinition(f"bot flow {name!r}", problems)
        return flow


@attrs.frozen
class FlowSet:
    """The flows a bot knows, by name, with at most one flow per intent."""

    flows: Mapping[str, Flow] = attrs.field(factory=dict, hash=False)

    def __attrs_post_init__(self) -> None:
        seen: dict[str, str] = {}
        problems = []
        for flow in self.flows.values():
            if flow.intent in seen:
                problems.append(
                    f"flows {seen[flow.intent]!r} and {flow.name!r} both handle intent "
                    f"{flow.intent!r}"
                )
            seen[flow.intent] = flow.name
        if problems:
            raise InvalidDefinition("bot flows", problems)

    def for_intent(self, intent: str | None) -> Flow | None:
        """The flow that handles ``intent``, or None."""
        if intent is None:
            return None
        for flow in self.flows.values():
            if flow.intent == intent:
                return flow
        return None

    def get(self, name: str) -> Flow:
        """The flow called ``name``."""
        try:
            return self.flows[name]
        except KeyError:
            raise InvalidInput(
                f"no bot flow {name!r} (known: {', '.join(sorted(self.flows)) or 'none'})"
            ) from None

    @property
    def actions(self) -> set[str]:
        """The bot actions the flows call."""
        return {f.action for f in self.flows.values()}

    @property
    def intents(self) -> set[str]:
        """The intents that have a flow."""
        return {f.intent for f in self.flows.values()}

    def __iter__(self) -> Iterator[Flow]:
        return iter(self.flows.values())

    def __len__(self) -> int:
        return len(self.flows)

    def __contains__(self, name: object) -> bool:
        return name in self.flows

    def merged(self, other: FlowSet) -> FlowSet:
        """These flows with ``other``'s added (a flow of the same name is replaced)."""
        return FlowSet({**self.flows, **other.flows})


def load_flows(source: Mapping[str, Any] | str | FlowSet | Iterable[Flow]) -> FlowSet:
    """Build flows from ``{name: definition}``, TOML text, Flow objects or a FlowSet.

    Every problem of every flow is collected and raised together as ``InvalidDefinition``.
    """
    if isinstance(source, FlowSet):
        return source
    if isinstance(source, str):
        try:
            source = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidDefinition("bot flows", [f"not valid TOML: {exc}"]) from None
    if not isinstance(source, Mapping):
        flows = list(source)
        bad = [f"{f!r} is not a Flow" for f in flows if not isinstance(f, Flow)]
        if bad:
            raise InvalidDefinition("bot flows", bad)
        return FlowSet({f.name: f for f in flows})
    problems: list[str] = []
    built: dict[str, Flow] = {}
    for name, data in source.items():
        flow = _build_flow(str(name), data, problems)
        if flow is not None:
            built[flow.name] = flow
    intents: dict[str, str] = {}
    for flow in built.values():
        if flow.intent in intents:
            problems.append(
                f"flows {intents[flow.intent]!r} and {flow.name!r} both handle intent "
                f"{flow.intent!r}"
            )
        intents[flow.intent] = flow.name
    if problems:
        raise InvalidDefinition("bot flows", problems)
    return FlowSet(built)


def starter_flows() -> FlowSet:
    """The shipped flows for the starter intents: ``order_status`` and ``password_reset``.

    They call the bot actions ``order_status`` (slots: ``order_number``) and
    ``password_reset`` (slots: ``account``, an e-mail address or a phone number).
    """
    text = resources.files("helpdesk_kit.bot.data").joinpath("flows.toml").read_text("utf-8")
    return load_flows(text)


# ----------------------------------------------------------------------------- building


def _texts(value: Any, where: str, problems: list[str], *, required: bool) -> dict[str, str]:
    if value is None:
        if required:
            problems.append(f"{where} is missing (give {{locale = text}}, e.g. en and zh)")
        return {}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, Mapping) or not value:
        problems.append(f"{where} must be a table of texts by locale, got {value!r}")
        return {}
    out: dict[str, str] = {}
    for locale, text in value.items():
        if not isinstance(locale, str) or not _LOCALE.match(locale):
            problems.append(f"{where}: {locale!r} is not a locale tag (use e.g. 'en', 'zh')")
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.{locale} must be non-empty text")
            continue
        out[locale] = text
    return out


def _placeholders(text: str, where: str, problems: list[str]) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        problems.append(
            f"{where}: bad placeholder syntax ({exc}); write literal braces as {{{{ }}}}"
        )
        return set()


def _int(value: Any, where: str, low: int, high: int, problems: list[str]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.append(f"{where} must be a whole number from {low} to {high}, got {value!r}")
        return None
    return value


def _choices(value: Any, where: str, problems: list[str]) -> tuple[Choice, ...]:
    if not isinstance(value, list) or len(value) < 2:
        problems.append(f"{where} must list at least 2 options")
        return ()
    out: list[Choice] = []
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        if isinstance(item, str):
            if not item.strip():
                problems.append(f"{at} must be non-empty")
                continue
            out.append(Choice(item.strip()))
            continue
        if not isinstance(item, Mapping):
            problems.append(f"{at} must be a value or a table with 'value', got {item!r}")
            continue
        unknown = sorted(set(item) - _CHOICE_KEYS)
        if unknown:
            problems.append(f"{at}: unknown key(s) {', '.join(unknown)}")
        val = item.get("value")
        if not isinstance(val, str) or not val.strip():
            problems.append(f"{at}.value must be non-empty text")
            continue
        labels = _texts(item.get("labels"), f"{at}.labels", problems, required=False)
        synonyms = item.get("synonyms", [])
        if not isinstance(synonyms, list) or not all(
            isinstance(s, str) and s.strip() for s in synonyms
        ):
            problems.append(f"{at}.synonyms must be a list of non-empty texts")
            synonyms = []
        out.append(Choice(val.strip(), labels, tuple(synonyms)))
    values = [c.value for c in out]
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        problems.append(f"{where}: option(s) {', '.join(dupes)} given twice")
    return tuple(out)


def _build_slot(flow: str, i: int, data: Any, problems: list[str]) -> SlotSpec | None:
    where = f"flow {flow!r} slot {i + 1}"
    before = len(problems)
    if not isinstance(data, Mapping):
        problems.append(f"{where} must be a table, got {data!r}")
        return None
    name = data.get("name")
    if isinstance(name, str) and _NAME.match(name):
        where = f"flow {flow!r} slot {name!r}"
    else:
        problems.append(f"{where}: name must be a word (letters, digits, _), got {name!r}")
        name = None
    unknown = sorted(set(data) - _SLOT_KEYS)
    if unknown:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_SLOT_KEYS))})"
        )
    kind_text = data.get("type")
    kind: SlotType | None
    try:
        kind = SlotType(kind_text if isinstance(kind_text, str) else "")
    except ValueError:
        problems.append(
            f"{where}: unknown type {kind_text!r} (use {', '.join(t.value for t in SlotType)})"
        )
        kind = None
    ask = _texts(data.get("ask"), f"{where}.ask", problems, required=True)
    invalid = _texts(data.get("invalid"), f"{where}.invalid", problems, required=False)
    choices: tuple[Choice, ...] = ()
    if kind is SlotType.CHOICE:
        choices = _choices(data.get("choices"), f"{where}.choices", problems)
    elif "choices" in data:
        problems.append(f"{where}: only a choice slot has choices")
    pattern = data.get("pattern")
    if pattern is not None:
        if kind not in (SlotType.ORDER_NUMBER, SlotType.TEXT):
            problems.append(f"{where}: only order_number and text slots take a pattern")
        elif not isinstance(pattern, str) or not pattern:
            problems.append(f"{where}.pattern must be a regular expression")
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"{where}.pattern is not a regular expression: {exc}")
    from_customer = data.get("from_customer")
    if from_customer is not None:
        if from_customer not in ("email", "phone"):
            problems.append(f"{where}.from_customer must be 'email' or 'phone'")
        elif kind is not None and kind not in (
            SlotType.CONTACT,
            SlotType.EMAIL if from_customer == "email" else SlotType.PHONE,
        ):
            problems.append(
                f"{where}: a {kind.value} slot cannot be filled from the {from_customer}"
            )
    min_length = _int(data.get("min_length", 1), f"{where}.min_length", 1, 10_000, problems)
    max_length = _int(data.get("max_length", 500), f"{where}.max_length", 1, 10_000, problems)
    if min_length is not None and max_length is not None and min_length > max_length:
        problems.append(f"{where}: min_length is larger than max_length")
    for locale, text in ask.items():
        unknown_fields = _placeholders(text, f"{where}.ask.{locale}", problems) - {"choices"}
        if unknown_fields:
            problems.append(
                f"{where}.ask.{locale}: unknown placeholder(s) "
                f"{', '.join(sorted(unknown_fields))} (only {{choices}})"
            )
    for locale, text in invalid.items():
        if _placeholders(text, f"{where}.invalid.{locale}", problems):
            problems.append(f"{where}.invalid.{locale}: placeholders are not allowed here")
    if len(problems) > before:
        return None
    assert name is not None
    assert kind is not None
    assert min_length is not None
    assert max_length is not None
    return SlotSpec(
        name=name,
        type=kind,
        ask=ask,
        invalid=invalid,
        choices=choices,
        pattern=pattern if isinstance(pattern, str) and pattern else None,
        from_customer=from_customer if from_customer in ("email", "phone") else None,
        min_length=min_length,
        max_length=max_length,
    )


def _build_flow(name: str, data: Any, problems: list[str]) -> Flow | None:
    where = f"flow {name!r}"
    before = len(problems)
    if not _NAME.match(name):
        problems.append(f"{where}: a flow name is a word (letters, digits, _ and -)")
    if not isinstance(data, Mapping):
        problems.append(f"{where} must be a table, got {type(data).__name__}")
        return None
    unknown = sorted(set(data) - _FLOW_KEYS)
    if unknown:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_FLOW_KEYS))})"
        )
    intent = data.get("intent", name)
    if not isinstance(intent, str) or not intent.strip():
        problems.append(f"{where}.intent must be an intent name")
    action = data.get("action")
    if not isinstance(action, str) or not action.strip():
        problems.append(f"{where}.action must name a bot action (see register_bot_actions)")
    raw_slots = data.get("slots", [])
    if not isinstance(raw_slots, list):
        problems.append(f"{where}.slots must be a list of tables")
        raw_slots = []
    slots = [_build_slot(name, i, s, problems) for i, s in enumerate(raw_slots)]
    names = [
        s["name"] for s in raw_slots if isinstance(s, Mapping) and isinstance(s.get("name"), str)
    ]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"{where}: slot(s) {', '.join(dupes)} defined twice")
    confirm = None
    if data.get("confirm") is not None:
        confirm = _texts(data.get("confirm"), f"{where}.confirm", problems, required=True)
        for locale, text in confirm.items():
            unknown_fields = _placeholders(text, f"{where}.confirm.{locale}", problems) - set(names)
            if unknown_fields:
                problems.append(
                    f"{where}.confirm.{locale}: unknown slot(s) {', '.join(sorted(unknown_fields))}"
                )
    retries = _int(data.get("max_retries", MAX_RETRIES), f"{where}.max_retries", 0, 10, problems)
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}.description must be text")
    if len(problems) > before:
        return None
    assert isinstance(intent, str)
    assert isinstance(action, str)
    assert retries is not None
    return Flow(
        name=name,
        intent=intent.strip(),
        action=action.strip(),
        slots=tuple(s for s in slots if s is not None),
        confirm=confirm or None,
        max_retries=retries,
        description=description,
    )
