"""The widget in a real browser (Playwright + Debian's Chromium): desktop and phone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk_kit.channels.webchat import ChatSession
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.feedback.settings import SurveySettings

from .helpers import DOCS_IMG, PageWatch, live_server

pytestmark = pytest.mark.slow

IPHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    ),
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def server(helpdesk: Helpdesk, web_app: Any) -> Iterator[str]:
    helpdesk.configure_surveys(SurveySettings(secret=b"s" * 32, per="interaction"))
    with live_server(web_app) as url:
        yield url


def wait_for_session(desk: Helpdesk, timeout: float = 10) -> ChatSession:
    """The chat session whose visitor has written (the browser works in its own threads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for session in desk.channels["chat"].sessions():
            if session.ticket is not None:
                return session
        time.sleep(0.05)
    raise AssertionError("the visitor's message never reached the desk")


def chat_and_rate(
    browser: Any, server: str, desk: Helpdesk, device: dict[str, Any], shot: str, lang: str
) -> dict[str, Any]:
    from playwright.sync_api import expect

    context = browser.new_context(**device)
    watch = PageWatch()
    page = watch.attach(context.new_page())
    try:
        page.goto(f"{server}/widget/demo?lang={lang}")
        launcher = page.locator("#hk-launcher")
        expect(launcher).to_be_visible()
        box = launcher.bounding_box()
        width, height = device["viewport"]["width"], device["viewport"]["height"]
        assert box["x"] + box["width"] >= width - 40  # bottom-right corner
        assert box["y"] + box["height"] >= height - 40
        assert box["width"] <= 64  # small: it does not cover the page
        assert box["height"] <= 64
        launcher.click()
        frame_box = page.locator("#hk-frame").bounding_box()
        chat = page.frame_locator("#hk-frame")
        expect(chat.locator("#hk-text")).to_be_visible()
        question = "我的包裹到哪了？" if lang == "zh" else "Where is my parcel?"
        chat.locator("#hk-text").fill(question)
        chat.locator("#hk-text").press("Enter")
        session = wait_for_session(desk)
        agent = desk.agents()[0]
        desk.channels["chat"].typing(session.id, agent, True)
        expect(chat.locator("#hk-typing")).to_be_visible()
        answer = "今天发货。" if lang == "zh" else "It ships today."
        desk.channels["chat"].say(desk, session.id, agent, answer)
        expect(chat.locator(".hk-msg.hk-agent .hk-text")).to_have_text(answer)
        expect(chat.locator("#hk-typing")).to_be_hidden()
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / shot))
        chat.locator("#hk-end").click()
        expect(chat.locator("#hk-rate")).to_be_visible()
        chat.locator(".hk-star").nth(4).click()
        chat.locator("#hk-rate textarea").fill("很快" if lang == "zh" else "quick")
        chat.locator("#hk-rate button[type=submit]").click()
        expect(chat.locator(".hk-thanks")).to_be_visible()
        assert watch.dialogs == []
        assert [e for e in watch.errors if "favicon" not in e] == []
        ticket = session.ticket
        assert ticket is not None
        [survey] = desk.surveys(ticket)
        assert survey.score == 5
        return {"frame": frame_box, "viewport": device["viewport"]}
    finally:
        context.close()


def test_a_visitor_chats_on_a_desktop_and_rates_the_chat(
    browser: Any, server: str, helpdesk: Helpdesk
) -> None:
    seen = chat_and_rate(browser, server, helpdesk, DESKTOP, "widget-desktop.png", "en")
    frame = seen["frame"]
    assert frame["width"] < 500  # a panel above the launcher, the page stays usable
    assert frame["x"] > 600


def test_a_visitor_chats_on_a_phone_full_screen(
    browser: Any, server: str, helpdesk: Helpdesk
) -> None:
    seen = chat_and_rate(browser, server, helpdesk, IPHONE, "widget-phone.png", "zh")
    frame = seen["frame"]
    assert frame["x"] == 0
    assert frame["y"] == 0
    assert frame["width"] == 390
    assert frame["height"] == 844


def test_the_widget_falls_back_to_polling(browser: Any, server: str, helpdesk: Helpdesk) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{server}/widget/demo?lang=en&transport=poll")
        page.locator("#hk-launcher").click()
        chat = page.frame_locator("#hk-frame")
        chat.locator("#hk-text").fill("polling works?")
        chat.locator("#hk-send").click()
        session = wait_for_session(helpdesk)
        helpdesk.channels["chat"].say(helpdesk, session.id, helpdesk.agents()[0], "It does.")
        expect(chat.locator(".hk-msg.hk-agent .hk-text")).to_have_text("It does.")
    finally:
        context.close()


def test_the_close_button_hides_the_chat(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**IPHONE)
    page = context.new_page()
    try:
        page.goto(f"{server}/widget/demo?lang=en")
        page.locator("#hk-launcher").click()
        expect(page.locator("#hk-launcher")).to_be_hidden()  # the chat covers the phone
        page.frame_locator("#hk-frame").locator("#hk-close").click()
        expect(page.locator("#hk-frame")).to_be_hidden()
        expect(page.locator("#hk-launcher")).to_be_visible()
    finally:
        context.close()
