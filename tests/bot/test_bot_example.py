"""examples/bot_chat.py runs (in memory and on SQLite) and prints what docs/bot.md says."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bot_chat.py"


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_bot_chat_example_runs(storage, tmp_path, capsys):
    module = runpy.run_path(str(EXAMPLE))
    module["main"](None if storage == "memory" else f"sqlite:///{tmp_path / 'bot.db'}")
    out = capsys.readouterr().out
    assert "订单 SO20240611 已于昨天由顺丰发出，运单号 SF1234567890。" in out
    assert "A reset link is on its way to tom@example.com." in out
    assert "好的，正在为您转接人工客服。 当前人工客服不在线，您的问题已记录为工单 #1003" in out
    assert "原因: requested (客户要求转人工)" in out
    assert "#1003 waits in the queue: status new, assignee None" in out
    assert "relabelled: '退货政策是怎样的？' -> return_refund" in out
    assert "solved: ['#1001', '#1002']" in out
    assert "conversations 3, contained 2 (67%), handed off 1 {'requested': 1}" in out
