"""Fixtures of the web tests: apps on the ``helpdesk`` desk, a live server, a browser.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``) with Playwright; they skip
with a clear message when either is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the web tests need the 'web' extra")

from starlette.applications import Starlette
from starlette.testclient import TestClient

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.web import (
    SimpleAuth,
    SimpleUser,
    WebSettings,
    create_app,
    hash_password,
)

from .helpers import CHROMIUM, PASSWORD, csrf_of


@pytest.fixture
def web_settings() -> WebSettings:
    """Settings of the test apps (generous rate limits; tests of limits make their own)."""
    return WebSettings(secret_key="test-secret", widget_secret="host-secret", rate_burst=1000)


@pytest.fixture
def web_users(helpdesk: Helpdesk) -> dict[str, SimpleUser]:
    """``agent`` (an online desk agent), ``manager`` and ``admin`` logins, one password."""
    agent = helpdesk.add_agent("Ann Agent", email="ann@shop.example", languages=["zh", "en"])
    hashed = hash_password(PASSWORD)
    return {
        "agent": SimpleUser(hashed, {"agent"}, agent_id=agent.id, name="Ann Agent"),
        "manager": SimpleUser(hashed, {"manager"}, name="Mia Manager"),
        "admin": SimpleUser(hashed, {"admin", "manager", "agent"}, agent_id=agent.id),
    }


@pytest.fixture
def web_app(
    helpdesk: Helpdesk, web_users: dict[str, SimpleUser], web_settings: WebSettings
) -> Starlette:
    """The web app on the ``helpdesk`` desk with SimpleAuth users."""
    return create_app(helpdesk, SimpleAuth(web_users), settings=web_settings)


@pytest.fixture
def client(web_app: Starlette) -> Iterator[TestClient]:
    """A test client of ``web_app``."""
    with TestClient(web_app) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient) -> Callable[[str], TestClient]:
    """``login("agent")``: sign the client in as one of ``web_users``."""

    def sign_in(user: str) -> TestClient:
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={"login": user, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client

    return sign_in


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright (skips when either is missing)."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install playwright)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()
