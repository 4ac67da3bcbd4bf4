"""examples/escalation_path.py runs and shows the guide's path."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from helpdesk_kit.cli import main
from helpdesk_kit.desk import Helpdesk

ROOT = Path(__file__).resolve().parents[2]


def test_escalation_path_example(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = runpy.run_path(str(ROOT / "examples" / "escalation_path.py"), run_name="example")
    facts = namespace["main"]()
    out = capsys.readouterr().out
    first, second = facts["first"], facts["second"]
    assert (first.lifecycle, first.priority.value) == ("complaint", "urgent")
    assert facts["levels"] == {
        first.ref: ["complaint_words", "manager"],
        second.ref: ["team_lead"],
    }
    assert second.priority.value == "high"
    assert "notify Zhou (team lead): Escalation team_lead" in out
    assert "notify managers: Escalation manager" in out
    assert out.count("escalation team_lead") == 1


def test_sweep_cli_with_the_guide_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    policy = tmp_path / "esc.toml"
    policy.write_text(
        '[[policies]]\nname = "p"\n[[policies.levels]]\nname = "w"\n'
        'when = { waiting = "1s" }\nactions = ["notify"]\n',
        encoding="utf-8",
    )
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        desk.configure_escalation(policy)  # the ticket's due item is scheduled on opening
        customer = desk.add_customer("C", email="c@example.com")
        desk.open_ticket(customer, "Parcel", "where is it")
    import time

    time.sleep(1.1)
    assert main(["sweep", "--url", url, "--once", "--escalation", str(policy)]) == 0
    assert "escalation: 1 ticket(s), 1 level(s) fired" in capsys.readouterr().out
    assert main(["sweep", "--url", url, "--once", "--escalation", str(policy)]) == 0
    assert "escalation: 0 ticket(s), 0 level(s) fired" in capsys.readouterr().out
    assert main(["sweep", "--url", url, "--once", "--escalation", "guide"]) == 0
    assert "escalation: 0 ticket(s), 0 level(s) fired" in capsys.readouterr().out
