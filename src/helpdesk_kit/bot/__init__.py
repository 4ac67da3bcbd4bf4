"""The bot: intent classification, dialogue flows, hand-off rules, learning and metrics.

The pieces here are pure (no storage, no clock); the desk runs them as ``desk.bot`` (see
:meth:`helpdesk_kit.Helpdesk.configure_bot` and docs/bot.md).
"""

from __future__ import annotations

from helpdesk_kit.bot.dialogue import (
    ActionOutcome,
    ArticleAnswer,
    ArticleTry,
    BotPorts,
    Conversation,
    DialogueEngine,
    Stage,
    Turn,
)
from helpdesk_kit.bot.flows import Flow, FlowSet, load_flows, starter_flows
from helpdesk_kit.bot.intents import (
    OUT_OF_SCOPE,
    Calibration,
    IntentBackend,
    IntentClassifier,
    Prediction,
    SavableBackend,
)
from helpdesk_kit.bot.learning import Relabel, examples_from_tsv, examples_to_tsv
from helpdesk_kit.bot.lexical import LexicalBackend
from helpdesk_kit.bot.metrics import DEFAULT_WINDOW, BotMetrics, IntentMetrics, compute_bot_metrics
from helpdesk_kit.bot.settings import HANDOFF_REASONS, MESSAGES, STARTER_ARTICLES, BotSettings
from helpdesk_kit.bot.slots import Choice, SlotSpec, SlotType
from helpdesk_kit.bot.starter import STARTER_LOCALES, load_starter_examples

__all__ = [
    "DEFAULT_WINDOW",
    "HANDOFF_REASONS",
    "MESSAGES",
    "OUT_OF_SCOPE",
    "STARTER_ARTICLES",
    "STARTER_LOCALES",
    "ActionOutcome",
    "ArticleAnswer",
    "ArticleTry",
    "BotMetrics",
    "BotPorts",
    "BotSettings",
    "Calibration",
    "Choice",
    "Conversation",
    "DialogueEngine",
    "Flow",
    "FlowSet",
    "IntentBackend",
    "IntentClassifier",
    "IntentMetrics",
    "LexicalBackend",
    "Prediction",
    "Relabel",
    "SavableBackend",
    "SlotSpec",
    "SlotType",
    "Stage",
    "Turn",
    "compute_bot_metrics",
    "examples_from_tsv",
    "examples_to_tsv",
    "load_flows",
    "load_starter_examples",
    "starter_flows",
]
