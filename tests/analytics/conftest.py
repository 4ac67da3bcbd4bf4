"""Shared helpers for the analytics tests: desks on every backend, rows without ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from helpdesk_kit import FrozenClock, Helpdesk
from helpdesk_kit.desk.settings import DeskSettings
from helpdesk_kit.feedback import SurveySettings

BACKENDS = ["memory", "sqlite", "postgresql"]
SECRET = "analytics-tests-secret-0123456789"


def make_desk(storage: Any, tz: str, start: datetime, plugins: Any = ()) -> Helpdesk:
    """A desk without auto-assignment, with surveys, on ``storage``."""
    desk = Helpdesk(
        storage,
        FrozenClock(start),
        plugins=plugins,
        settings=DeskSettings(timezone=tz, auto_assign=False),
        load_entrypoints=False,
    )
    desk.configure_surveys(SurveySettings(secret=SECRET))
    return desk


def plain(desk: Helpdesk, rows: Any) -> list[dict[str, Any]]:
    """Rows as dicts with agent ids replaced by agent names (ids differ between desks).

    Sorted, since rows grouped by agent come in agent-id order.
    """
    names = {a.id: a.name for a in desk.agents()}
    out = []
    for r in rows:
        d = r.as_dict()
        if d.get("agent") is not None:
            d["agent"] = names.get(d["agent"], d["agent"])
        out.append(d)
    return sorted(out, key=repr)


@pytest.fixture
def utc() -> Iterator[Any]:
    """UTC, for short datetimes in tests."""
    return UTC
