import subprocess
import sys

import pytest

from helpdesk_kit import __version__
from helpdesk_kit.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"helpdesk-kit {__version__}"


def test_demo_prints_a_timeline(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Ticket #1001" in out
    for expected in (
        "opened",
        "wrote (email)",
        "wrote (chat)",
        "assigned to Lin Yi (routing)",
        "replied",
        "pend: new → pending",
        "resume: pending → open",
        "solve: open → solved",
        "close: solved → closed",
    ):
        assert expected in out, expected


def test_lifecycle_show_mermaid(capsys):
    assert main(["lifecycle", "show", "support", "--mermaid"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stateDiagram-v2")
    assert "pending --> open: resume" in out


def test_lifecycle_show_text_and_errors(capsys, tmp_path):
    assert main(["lifecycle", "show", "complaint"]) == 0
    assert "acknowledge" in capsys.readouterr().out
    assert main(["lifecycle", "show", "nope"]) == 1
    assert "no lifecycle 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "initial": "a", "states": {"a": "new"}, "transitions": []}')
    assert main(["lifecycle", "check", str(bad)]) == 1
    assert "is invalid" in capsys.readouterr().err


def test_console_script_runs():
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk_kit.cli", "lifecycle", "show", "support", "--mermaid"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "stateDiagram-v2" in done.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: helpdesk-kit" in capsys.readouterr().out
