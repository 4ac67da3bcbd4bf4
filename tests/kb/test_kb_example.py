"""examples/kb_starter.py runs and prints what docs/knowledge-base.md says."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kb_starter.py"


def test_kb_starter_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "starter pack: 52 created" in out
    assert "gift wrapping: version 4, published" in out
    assert "search '退款多久到账': refund-time (zh-CN)" in out
    assert "search 'pasword reset': reset-password (en)" in out
    assert "suggested for #1001 : ['refund-time'" in out
    assert "unanswered: can i pay with bitcoin x2" in out
