"""``helpdesk-kit sweep --rules FILE``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk_kit.cli import main
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.tickets import events as ev

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # long before the machine's clock

RULES = """
[[time_rules]]
name = "unassigned-1h"
when = { field = "ticket.assignee", op = "is_empty" }
after = "1h"
actions = [{ action = "add_tag", tags = ["waiting"] }]
"""


def test_sweep_fires_time_rules_from_a_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    with Helpdesk.from_url(url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        desk.configure_automation(rules)  # the states are kept from the first event on
        customer = desk.add_customer("c", email="c@example.com")
        ids = [desk.open_ticket(customer, f"t{n}", "hello").id for n in range(3)]
    assert main(["sweep", "--url", url, "--once", "--rules", str(rules)]) == 0
    assert "automation: 3 ticket(s), 3 time rule(s) fired" in capsys.readouterr().out
    monkeypatch.setenv("HELPDESK_KIT_RULES", str(rules))
    assert main(["sweep", "--url", url, "--once"]) == 0  # nothing twice
    assert "automation: 0 ticket(s), 0 time rule(s) fired" in capsys.readouterr().out
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        for tid in ids:
            assert desk.get_ticket(tid).tags == {"waiting"}
            assert [e.kind for e in desk.events(tid)].count(ev.AUTOMATION_FIRED) == 1


def test_sweep_reports_every_problem_of_a_bad_rules_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[time_rules]]\nname = "x"\nafter = "soon"\nactions = [{ action = "nope" }]\n',
        encoding="utf-8",
    )
    code = main(["sweep", "--url", url, "--once", "--rules", str(rules)])
    assert code != 0
    err = capsys.readouterr().err
    assert "time_rules.x.after" in err
    assert "unknown action 'nope'" in err
