"""Shared fixtures for the bot tests."""

from __future__ import annotations

import pytest

from helpdesk_kit.bot import IntentClassifier, load_starter_examples


@pytest.fixture(scope="session")
def starter_classifier() -> IntentClassifier:
    """A default classifier trained once on the shipped starter examples."""
    return IntentClassifier().fit(load_starter_examples())
