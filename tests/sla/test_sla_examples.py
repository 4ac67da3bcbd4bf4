"""examples/sla_guide.py runs and shows what it claims."""

from __future__ import annotations

import runpy
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_sla_guide_example(capsys) -> None:
    namespace = runpy.run_path(str(ROOT / "examples" / "sla_guide.py"), run_name="sla_guide")
    facts = namespace["main"]()
    out = capsys.readouterr().out
    assert facts["promise"] == "我们将在 11月26日 10:30 前回复您"
    chat = facts["chat"]
    assert chat.status.value == "met"
    assert chat.started_at == datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)  # the hand-off
    assert facts["email_events"] == [
        ("sla.warning", "first_response"),
        ("sla.warning", "next_response"),
        ("sla.breached", "next_response"),
    ]
    assert "chat   first_response  cycle 1  paused" in out
    assert "Sat 17:01  sweep: 1 warning(s), 1 breach(es)" in out
