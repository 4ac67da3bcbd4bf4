"""``helpdesk-kit sweep``."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_kit.cli import main
from helpdesk_kit.cli.sweep import run_sweeps
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.sla import guide_policies
from helpdesk_kit.tickets import events as ev

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # long before the machine's clock


def _desk_with_tickets(url: str) -> list[str]:
    with Helpdesk.from_url(url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        desk.configure_sla(guide_policies())
        customer = desk.add_customer("c", email="c@example.com")
        return [desk.open_ticket(customer, f"t{n}", "hello", channel="email").id for n in range(3)]


def _breaches(url: str, ids: list[str]) -> int:
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        return sum(1 for tid in ids for e in desk.events(tid) if e.kind == ev.SLA_BREACHED)


def test_sweep_once_with_the_guide_policies(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    ids = _desk_with_tickets(url)
    assert main(["sweep", "--url", url, "--once", "--sla", "guide"]) == 0
    out = capsys.readouterr().out
    assert "sla: 3 ticket(s), 3 warning(s), 3 breach(es)" in out
    assert _breaches(url, ids) == 3
    assert main(["sweep", "--url", url, "--once", "--sla", "guide"]) == 0  # nothing twice
    assert "sla: 0 ticket(s)" in capsys.readouterr().out
    assert _breaches(url, ids) == 3


def test_sweep_reads_policies_from_a_file_or_the_environment(tmp_path, capsys, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    ids = _desk_with_tickets(url)
    policy = tmp_path / "sla.toml"
    policy.write_text(
        '[[policies]]\nname = "all"\ntargets = { first_response = "1h" }\n', encoding="utf-8"
    )
    monkeypatch.setenv("HELPDESK_KIT_SLA", str(policy))
    assert main(["sweep", "--url", url, "--rounds", "1"]) == 0
    assert "3 breach(es)" in capsys.readouterr().out
    assert _breaches(url, ids) == 3
    monkeypatch.delenv("HELPDESK_KIT_SLA")
    assert main(["sweep", "--url", url, "--once"]) == 0  # no SLA: auto-close only
    assert "sla" not in capsys.readouterr().out


def test_bad_arguments(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    assert main(["sweep", "--url", url, "--every", "soon"]) == 1
    assert "not a duration" in capsys.readouterr().err
    assert main(["sweep", "--url", url, "--every", "0s"]) == 1
    assert main(["sweep", "--url", url, "--rounds", "0"]) == 1
    assert main(["sweep", "--url", url, "--once", "--sla", str(tmp_path / "none.toml")]) == 1
    assert "cannot read SLA policy file" in capsys.readouterr().err


def test_the_loop_sleeps_between_sweeps_and_survives_errors() -> None:
    clock = FrozenClock(T0)
    desk = Helpdesk(clock=clock, load_entrypoints=False)
    desk.configure_sla(guide_policies())
    calls = []

    def flaky(name, now):
        calls.append(now)
        if len(calls) == 2:
            from helpdesk_kit.errors import StorageError

            raise StorageError("database restarting")
        return "ok"

    desk.add_sweeper("flaky", flaky)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    out = io.StringIO()
    assert run_sweeps(desk, every=timedelta(seconds=30), rounds=3, out=out, sleep=sleep) == 3
    lines = out.getvalue().splitlines()
    assert slept == [30.0, 30.0]
    assert calls == [T0, T0 + timedelta(seconds=30), T0 + timedelta(seconds=60)]
    assert "error: database restarting" in lines[1]
    assert lines[2].startswith("2026-11-02 09:01:00Z closed 0")
    assert "flaky: ok" in lines[2]


@pytest.mark.parametrize("argv", [["sweep", "--help"]])
def test_help(argv, capsys) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    assert "--every" in capsys.readouterr().out
