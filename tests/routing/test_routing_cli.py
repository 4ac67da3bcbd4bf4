"""``helpdesk-kit sweep`` routes waiting tickets (shift calendars from ``--shifts``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk_kit.cli import main
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.desk.routing import load_shifts
from helpdesk_kit.errors import InvalidDefinition

SHIFTS = """
[always]
timezone = "Asia/Shanghai"
hours = { daily = "00:00-24:00" }
"""


def test_sweep_routes_waiting_tickets_to_agents_on_shift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        agent = desk.add_agent("Ann", shift="always")  # no shift calendar here: unavailable
        ticket = desk.open_ticket(desk.add_customer("c"), "waiting")
        assert ticket.assignee_id is None
    assert main(["sweep", "--url", url, "--once"]) == 0
    assert "routing: 0 assigned, 1 waiting" in capsys.readouterr().out
    shifts = tmp_path / "shifts.toml"
    shifts.write_text(SHIFTS, encoding="utf-8")
    assert main(["sweep", "--url", url, "--once", "--shifts", str(shifts)]) == 0
    assert "routing: 1 assigned, 0 waiting" in capsys.readouterr().out
    with Helpdesk.from_url(url, clock=FrozenClock(datetime.now(UTC)), load_entrypoints=False) as d:
        assert d.get_ticket(ticket.id).assignee_id == agent.id


def test_load_shifts_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[a]\nhours = { mon = "9-18" }\n[b]\ntimezone = "UTC"\n', encoding="utf-8")
    with pytest.raises(InvalidDefinition) as info:
        load_shifts(bad)
    assert any("'a'" in p for p in info.value.problems)
    assert any("'b'" in p for p in info.value.problems)
    good = tmp_path / "good.toml"
    good.write_text(SHIFTS, encoding="utf-8")
    assert list(load_shifts(good)) == ["always"]
