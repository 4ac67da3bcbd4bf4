"""Helpers for the workspace and dashboard tests: a desk with agents, an app, a signed-in client."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from helpdesk_kit import Helpdesk
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.sla import SlaPolicy, SlaTarget
from helpdesk_kit.web.app import create_app
from helpdesk_kit.web.auth import SimpleAuth, SimpleUser, hash_password
from helpdesk_kit.web.settings import WebSettings

PASSWORD = "s3cret-pass"
_HASH = hash_password(PASSWORD, salt=b"w" * 16)
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def make_desk(storage: Any, clock: Any) -> Helpdesk:
    """A desk with SLA on, two groups and three agents (no auto-assignment)."""
    from datetime import timedelta

    desk = Helpdesk(
        storage, clock, settings=DeskSettings(auto_assign=False), load_entrypoints=False
    )
    h = timedelta(hours=1)
    desk.configure_sla(
        [
            SlaPolicy("urgent", {"priority": {"urgent"}}, "24x7", {"first_response": SlaTarget(h)}),
            SlaPolicy(
                "normal",
                {},
                "24x7",
                {"first_response": SlaTarget(4 * h), "resolution": SlaTarget(24 * h)},
            ),
        ]
    )
    desk.add_group("sales")
    desk.add_group("billing")
    desk.add_agent("Ana", groups=["sales"], email="ana@example.com")
    desk.add_agent("Bo", groups=["sales", "billing"], email="bo@example.com")
    return desk


def agent_id(desk: Helpdesk, name: str) -> str:
    """The id of the agent called ``name``."""
    return next(a.id for a in desk.agents() if a.name == name)


def make_auth(desk: Helpdesk) -> SimpleAuth:
    """Users ``ana`` and ``bo`` (agents), ``boss`` (manager) and ``eve`` (no role)."""
    return SimpleAuth(
        {
            "ana": SimpleUser(_HASH, {"agent"}, agent_id(desk, "Ana"), "Ana"),
            "bo": SimpleUser(_HASH, {"agent"}, agent_id(desk, "Bo"), "Bo"),
            "boss": SimpleUser(_HASH, {"manager"}, None, "Boss"),
            "eve": SimpleUser(_HASH, {"visitor"}, None, "Eve"),
        },
        secret="test-secret",
    )


def make_app(desk: Helpdesk) -> Any:
    """The web app on ``desk`` with the test users."""
    return create_app(desk, make_auth(desk), settings=WebSettings(secret_key="k" * 32))


def csrf_of(html: str) -> str:
    """The CSRF token a page embeds."""
    found = _CSRF.search(html)
    assert found, "the page has no csrf-token meta tag"
    return found.group(1)


def signed_in(app: Any, login: str) -> tuple[TestClient, str]:
    """A client signed in as ``login`` and its CSRF token."""
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    token = csrf_of(page.text)
    r = client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": token, "next": "/desk"}
    )
    assert r.status_code == 303, r.text
    return client, token
