"""The bot: intent classification of customer messages (dialogue flows come later)."""

from __future__ import annotations

from helpdesk_kit.bot.intents import (
    OUT_OF_SCOPE,
    Calibration,
    IntentBackend,
    IntentClassifier,
    Prediction,
    SavableBackend,
)
from helpdesk_kit.bot.lexical import LexicalBackend
from helpdesk_kit.bot.starter import STARTER_LOCALES, load_starter_examples

__all__ = [
    "OUT_OF_SCOPE",
    "STARTER_LOCALES",
    "Calibration",
    "IntentBackend",
    "IntentClassifier",
    "LexicalBackend",
    "Prediction",
    "SavableBackend",
    "load_starter_examples",
]
