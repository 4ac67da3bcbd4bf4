"""The example script of docs/search.md runs and prints what the docs say."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kb_search.py"


def test_kb_search_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "52 articles indexed" in out
    assert "refund-time:zh-CN" in out
    assert "reset-password:en" in out
    assert "gift-wrap:en" in out
