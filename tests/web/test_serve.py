"""``helpdesk-kit serve``: the prepared desk, the demo logins, the command line."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from helpdesk_kit.cli import build_parser
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.web import serve

from .helpers import csrf_of


def test_serve_prepares_an_empty_desk_once(helpdesk: Helpdesk) -> None:
    first = serve.prepare_desk(helpdesk)
    articles = helpdesk.kb.count_articles()
    assert articles > 0
    assert helpdesk.macros()
    assert helpdesk.survey_settings.per == "interaction"
    assert serve.prepare_desk(helpdesk) == first
    assert helpdesk.kb.count_articles() == articles
    assert len(helpdesk.agents()) == 2


def test_the_demo_logins_sign_in(helpdesk: Helpdesk) -> None:
    app, logins = serve.serve_app(helpdesk, password="pw-123")
    assert {login.login for login in logins} == {"admin", "agent"}
    with TestClient(app) as client:
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={"login": "admin", "password": "pw-123", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert "Admin" in client.get("/help").text


def test_the_serve_command_runs_uvicorn_on_the_desk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    args = build_parser().parse_args(
        ["serve", "--url", f"sqlite:///{tmp_path / 'desk.db'}", "--port", "8123", "--password", "x"]
    )
    assert args.handler(args) == 0
    assert served["port"] == 8123
    assert served["host"] == "127.0.0.1"
    out = capsys.readouterr().out
    assert "login 'admin' password 'x'" in out
    assert "http://127.0.0.1:8123/widget/demo" in out
