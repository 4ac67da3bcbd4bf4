"""The code in docs/calendars.md and examples/business_hours.py runs and says what it claims."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_calendar_docs_code_blocks_run() -> None:
    text = (ROOT / "docs" / "calendars.md").read_text(encoding="utf-8")
    blocks = list(re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL))
    assert len(blocks) >= 8
    namespace: dict[str, object] = {}
    for block in blocks:  # one namespace: later blocks use earlier imports, like a reader
        line = text.count("\n", 0, block.start(1))
        code = "\n" * line + block.group(1)  # so tracebacks point at the right line
        exec(compile(code, str(ROOT / "docs" / "calendars.md"), "exec"), namespace)


def test_business_hours_example(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "business_hours.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "received Fri 2025-09-26 17:00  due Sun 2025-09-28 10:00" in out
    assert "received Tue 2025-09-30 17:00  due Thu 2025-10-09 10:00" in out
    assert "received Fri 2026-09-25 17:00  due Mon 2026-09-28 11:00" in out
    assert "24 business hours from Tue 09-30 17:00: Sat 2025-10-11 14:00" in out
