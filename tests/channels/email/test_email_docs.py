"""The example in docs/email.md and examples/email_channel.py really run."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_docs_example_runs() -> None:
    text = (ROOT / "docs" / "email.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    runnable = [b for b in blocks if "assert" in b]
    assert runnable, "docs/email.md lost its runnable example"
    for block in runnable:
        exec(compile(block, "docs/email.md", "exec"), {})


def test_example_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "email_channel.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert (
        "'Where is my order?': open ticket=True, reply text='My order A123 has not arrived yet.'"
        in out
    )
    assert "'Automatic reply: [#7] Your refund': open ticket=False" in out
    assert (
        "sent 'Re: [#1042] Where is my order?' to alice@example.org, in reply to q1@example.org"
        in out
    )
