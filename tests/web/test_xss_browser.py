"""XSS payloads through every customer input never execute (Playwright + Chromium).

Inputs: chat text, the offline form's name, e-mail and message, the contact e-mail, the
upload's file name, and the help centre's search box (page and search as you type). The
test listens for dialogs (alert, confirm, prompt), page errors, CSP reports of blocked
inline code, and a global the payloads would set; then it checks how the stored texts come
back (the transcript after a reload) and that the desk kept them verbatim.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk_kit.desk import Helpdesk

from .helpers import PageWatch, live_server

pytestmark = pytest.mark.slow

PAYLOADS = [
    '<script>alert("xss-1")</script>',
    "<img src=x onerror=\"alert('xss-2');window.top.__xss=2\">",
    '"><svg onload=alert("xss-3")>',
    "javascript:alert('xss-4')",
    '<iframe srcdoc="<script>parent.alert(5)</script>"></iframe>',
    "'-alert('xss-6')-'",
    '<a href="javascript:alert(7)">click</a><b onmouseover=alert(7)>hover</b>',
    "{{ 7*7 }}${alert(8)}",
    '<details open ontoggle="alert(9)">',
    "</textarea><script>alert(10)</script>",
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def server(helpdesk: Helpdesk, web_app: Any) -> Iterator[str]:
    helpdesk.kb.import_starter()
    with live_server(web_app) as url:
        yield url


def blocked(watch: PageWatch) -> list[str]:
    """Dialogs, page errors and blocked inline code: signs a payload was parsed as HTML."""
    signs = [f"dialog: {d}" for d in watch.dialogs]
    for error in watch.errors:
        if error.startswith("pageerror") or "Content Security Policy" in error:
            signs.append(error)
    return signs


def no_global(page: Any) -> None:
    assert page.evaluate("() => window.__xss") is None
    for frame in page.frames:
        assert frame.evaluate("() => window.__xss === undefined ? null : window.__xss") is None


def test_chat_offline_form_contact_and_upload_payloads_never_run(
    browser: Any, server: str, helpdesk: Helpdesk
) -> None:
    from playwright.sync_api import expect

    for agent in helpdesk.agents():
        helpdesk.set_agent_status(agent, "offline")  # the offline form shows
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = PageWatch()
    page = watch.attach(context.new_page())
    try:
        page.goto(f"{server}/widget/demo?lang=en")
        page.locator("#hk-launcher").click()
        chat = page.frame_locator("#hk-frame")
        offline = chat.locator("#hk-offline")
        expect(offline).to_be_visible()
        offline.locator("input[name=name]").fill(PAYLOADS[1])
        email = offline.locator("input[name=email]")
        email.evaluate("e => { e.type = 'text'; }")  # past the browser's own check
        email.fill(PAYLOADS[2])
        offline.locator("textarea[name=message]").fill(PAYLOADS[0])
        offline.locator("button[type=submit]").click()
        expect(chat.locator(".hk-msg.hk-bot")).to_be_visible()  # the out-of-hours promise
        for payload in PAYLOADS:
            chat.locator("#hk-text").fill(payload)
            chat.locator("#hk-send").click()
        expect(chat.locator(".hk-error").first).to_contain_text(PAYLOADS[2])  # refused, as text
        contact = chat.locator("#hk-contact")
        expect(contact).to_be_visible()  # no address yet: the widget asks again
        contact.locator("input").evaluate("e => { e.type = 'text'; }")
        contact.locator("input").fill(PAYLOADS[4])
        contact.locator("button").click()
        chat.locator("#hk-file").set_input_files(
            files=[{"name": PAYLOADS[1] + ".png", "mimeType": "image/png", "buffer": PNG}]
        )
        expect(chat.locator(".hk-file")).to_have_count(1)
        deadline = time.monotonic() + 10
        session = None
        while time.monotonic() < deadline:
            live = [s for s in helpdesk.channels["chat"].sessions() if s.ticket is not None]
            if live:
                session = live[0]
                texts = [m.text for m in helpdesk.messages(session.ticket)]
                if sum(p in texts for p in PAYLOADS) == len(PAYLOADS):
                    break
            time.sleep(0.1)
        assert session is not None
        texts = [m.text for m in helpdesk.messages(session.ticket)]
        for payload in PAYLOADS:
            assert payload in texts  # kept verbatim: escaping happens when shown
        page.wait_for_timeout(300)
        log = chat.locator("#hk-log")
        for payload in PAYLOADS:
            expect(log).to_contain_text(payload)  # shown as text
        assert chat.locator("#hk-log img, #hk-log svg, #hk-log iframe, #hk-log script").count() == 0
        assert blocked(watch) == []
        no_global(page)
        page.reload()  # the transcript comes back from the desk
        page.locator("#hk-launcher").click()
        chat = page.frame_locator("#hk-frame")
        expect(chat.locator("#hk-log")).to_contain_text(PAYLOADS[-1])
        assert chat.locator("#hk-log img, #hk-log svg, #hk-log iframe, #hk-log script").count() == 0
        assert blocked(watch) == []
        no_global(page)
        customer = helpdesk.get_customer(session.ticket.customer_id)
        assert customer.name == PAYLOADS[1]
    finally:
        context.close()


def test_search_box_payloads_never_run(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    watch = PageWatch()
    page = watch.attach(context.new_page())
    try:
        for payload in PAYLOADS:
            page.goto(f"{server}/help?lang=en")
            page.locator("#help-q").fill(payload)
            page.wait_for_timeout(200)  # search as you type
            page.locator("#help-q").press("Enter")
            expect(page.locator("#results-title")).to_contain_text(payload)
            assert page.locator("main img, main svg, main iframe, main details").count() == 0
            assert page.locator("#help-q").input_value() == payload
        assert blocked(watch) == []
        no_global(page)
    finally:
        context.close()
