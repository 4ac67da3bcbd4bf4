"""The example scripts of templates, macros and authority limits run and show their story."""

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_macros_example(capsys):
    runpy.run_path(str(EXAMPLES / "macros.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "status: solved" in out
    assert "王芳，订单 SO20261120-0042 的退款（2999.00 元）已提交" in out
    assert "noted (internal): 林一 已为 SO20261120-0042 发起退款" in out
    assert "This is 林一 from the support team" in out


def test_authority_example(capsys):
    runpy.run_path(str(EXAMPLES / "authority.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "refund      100 CNY  pending   (over_limit; used before: 150 CNY)" in out
    assert "the host said: the card on file has expired" in out
    assert out.count("authority.executed") == 3
