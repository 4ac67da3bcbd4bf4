"""Shared set-up for the automation tests: a plugin that records notifications."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk_kit.plugins import hookimpl

BACKENDS = ["memory", "sqlite", "postgresql"]


class Inbox:
    """Records every notification the desk sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    @hookimpl
    def notify(self, desk: Any, notification: Any) -> None:
        self.sent.append(dict(notification))


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def helpdesk_plugins(inbox: Inbox) -> list[object]:
    return [inbox]


OFFICE = {"timezone": "Asia/Shanghai", "hours": {"mon-fri": ["09:00-18:00"]}}
