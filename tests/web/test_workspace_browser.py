"""In Chromium (the session's ``browser`` fixture of conftest.py): a visitor chats from the
widget (desktop and phone), an agent answers from the workspace in another browser context,
the visitor rates; a second agent on the same ticket sees a warning; XSS payloads sent by
the visitor render escaped in the workspace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.feedback import SurveySettings
from helpdesk_kit.sla import SlaPolicy, SlaTarget
from helpdesk_kit.storage.sql import SqlStorage

from .browser_support import Watch, served, shot, sign_in
from .workspace_support import PASSWORD, make_app

PAYLOADS = [
    '<script>alert("chat")</script>',
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(2)>',
    "javascript:alert(3)",
    "<iframe src=javascript:alert(4)></iframe>",
    "{{7*7}} ${alert(5)}",
]
IPHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


class Shop:
    """Orders beside the conversation (the customer-context hook)."""

    from helpdesk_kit.plugins import hookimpl

    @hookimpl
    def customer_context(self, desk: Helpdesk, customer: Any) -> dict[str, Any]:
        return {"orders": [{"id": "SO-2001", "amount": "299.00", "status": "shipped"}]}


@pytest.fixture
def live(tmp_path) -> Iterator[tuple[str, Helpdesk]]:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'desk.db'}")
    desk = Helpdesk(
        storage,
        settings=DeskSettings(auto_assign=False),
        plugins=[Shop()],
        load_entrypoints=False,
    )
    desk.add_group("sales")
    desk.add_agent("Ana", groups=["sales"])
    desk.add_agent("Bo", groups=["sales"])
    desk.configure_surveys(SurveySettings(secret=b"s" * 32, per="interaction"))
    desk.install_starter_macros()
    desk.configure_sla(
        [
            SlaPolicy(
                "chat",
                {},
                "24x7",
                {
                    "first_response": SlaTarget(timedelta(minutes=5)),
                    "resolution": SlaTarget(timedelta(hours=8)),
                },
            )
        ]
    )
    desk.kb.import_starter()
    with served(make_app(desk)) as base:
        yield base, desk
    desk.close()


def _visitor_says(page: Any, base: str, text: str) -> Any:
    page.goto(f"{base}/widget/demo?lang=en")
    page.click("#hk-launcher")
    frame = page.frame_locator("#hk-frame")
    frame.locator("#hk-text").fill(text)
    frame.locator("#hk-send").click()
    frame.locator("#hk-log").get_by_text(text, exact=False).first.wait_for()
    return frame


def _open_ticket_from_inbox(agent: Any, base: str, subject_part: str) -> None:
    """Wait on the unassigned view until the chat shows up live, then open it."""
    link = agent.locator("table.inbox td.subject a", has_text=subject_part).first
    link.wait_for(timeout=15000)
    link.click()
    agent.wait_for_url(re.compile(r".*/desk/tickets/\d+$"))


def _answer(agent: Any, text: str) -> None:
    agent.fill("#reply-text", text)
    agent.click("#reply-send")
    agent.locator("#conversation").get_by_text(text).first.wait_for()


def test_visitor_chats_agent_answers_from_workspace_visitor_rates(live, browser) -> None:
    base, desk = live
    agent_ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    agent = agent_ctx.new_page()
    agent_watch = Watch(agent)
    sign_in(agent, base, "ana", PASSWORD)
    agent.goto(f"{base}/desk/inbox/unassigned?lang=en")

    # desktop visitor
    visitor_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    visitor = visitor_ctx.new_page()
    visitor_watch = Watch(visitor)
    frame = _visitor_says(visitor, base, "Where is my parcel SO-2001?")
    _open_ticket_from_inbox(agent, base, "parcel")
    assert agent.locator(".customer").get_by_text("SO-2001").count() >= 1  # orders beside it
    # a second agent opens the same ticket: both see the warning
    bo_ctx = browser.new_context()
    bo = bo_ctx.new_page()
    bo_watch = Watch(bo)
    sign_in(bo, base, "bo", PASSWORD)
    bo.goto(agent.url)
    agent.locator("#presence").get_by_text("Bo").wait_for(timeout=10000)
    bo.locator("#presence").get_by_text("Ana").wait_for(timeout=10000)
    shot(agent, "workspace-ticket.png", full_page=True)
    bo_ctx.close()
    agent.locator("#presence").wait_for(state="hidden", timeout=10000)

    # typing, both ways: the visitor's shows on the ticket page, the agent's in the widget
    frame.locator("#hk-text").press_sequentially("It was", delay=30)
    agent.locator("#customer-typing").wait_for(state="visible", timeout=10000)
    agent.locator("#reply-text").press_sequentially("Let me", delay=30)
    frame.locator("#hk-typing").wait_for(state="visible", timeout=10000)
    agent.fill("#reply-text", "")
    # a new visitor message appears on the agent's page without a reload
    frame.locator("#hk-text").fill("It was due yesterday")
    frame.locator("#hk-send").click()
    agent.locator("#conversation").get_by_text("It was due yesterday").wait_for(timeout=10000)

    # insert into reply: a macro's rendered reply, then a knowledge-base article's link
    name = agent.locator('#macro-name option[data-template="1"]').first.get_attribute("value")
    agent.select_option("#macro-name", value=name)
    agent.click("#macro-insert")
    agent.wait_for_function("document.getElementById('reply-text').value.length > 0")
    agent.locator(".insert-article").first.click()
    assert "/help/article/" in agent.input_value("#reply-text")
    _answer(agent, "It ships today, sorry for the wait!")
    frame.locator("#hk-log").get_by_text("It ships today").wait_for(timeout=15000)

    # the chat ends, the visitor rates it
    frame.locator("#hk-end").click()
    frame.locator("#hk-rate").wait_for(timeout=15000)
    frame.locator("#hk-rate label.hk-star", has_text="5").click()
    frame.locator("#hk-rate button[type=submit]").click()
    frame.locator("#hk-rate").wait_for(state="hidden", timeout=15000)
    ticket = next(iter(desk.list_tickets(channel="chat").items))
    scores = [s.score for s in desk.surveys(ticket) if s.rated_at is not None]
    assert scores == [5]

    # phone-sized visitor: the chat is full screen; the agent answers again
    phone_ctx = browser.new_context(**IPHONE)
    phone = phone_ctx.new_page()
    phone_watch = Watch(phone)
    pframe = _visitor_says(phone, base, "Phone here: can I change the address?")
    box = phone.locator("#hk-frame").bounding_box()
    assert box is not None
    assert box["width"] == pytest.approx(390, abs=1)
    assert box["height"] == pytest.approx(844, abs=1)
    agent.goto(f"{base}/desk/inbox/unassigned?lang=en")
    _open_ticket_from_inbox(agent, base, "change the address")
    _answer(agent, "Yes, tell me the new address.")
    pframe.locator("#hk-log").get_by_text("tell me the new address").wait_for(timeout=15000)

    agent.goto(f"{base}/desk/inbox/mine?lang=en")
    shot(agent, "workspace-inbox.png")
    for w in (agent_watch, visitor_watch, bo_watch, phone_watch):
        w.check()
    for c in (agent_ctx, visitor_ctx, phone_ctx):
        c.close()


def test_xss_payloads_render_escaped_in_the_workspace(live, browser) -> None:
    base, desk = live
    visitor_ctx = browser.new_context()
    visitor = visitor_ctx.new_page()
    visitor_watch = Watch(visitor)
    frame = _visitor_says(visitor, base, PAYLOADS[0])
    for payload in PAYLOADS[1:]:
        frame.locator("#hk-text").fill(payload)
        frame.locator("#hk-send").click()
    frame.locator("#hk-log").get_by_text(PAYLOADS[-1]).wait_for()
    ticket = next(iter(desk.list_tickets(channel="chat").items))
    # the visitor's name, as a host site or the offline form would set it
    desk.update_customer(ticket.customer_id, name=PAYLOADS[1])

    agent_ctx = browser.new_context()
    agent = agent_ctx.new_page()
    agent_watch = Watch(agent)
    sign_in(agent, base, "ana", PASSWORD)
    for url in (
        f"{base}/desk/inbox/unassigned",
        f"{base}/desk/tickets/{ticket.number}",
    ):
        agent.goto(url)
        agent.wait_for_load_state("networkidle")
    conversation = agent.locator("#conversation")
    for payload in PAYLOADS:
        conversation.get_by_text(payload, exact=True).first.wait_for(timeout=10000)
    # a live update swaps the conversation in again: still text only
    frame.locator("#hk-text").fill('<b onmouseover=alert("late")>late</b>')
    frame.locator("#hk-send").click()
    conversation = agent.locator("#conversation")
    conversation.get_by_text('<b onmouseover=alert("late")>late</b>').wait_for(timeout=10000)
    assert agent.locator("#conversation script, #conversation img, #conversation svg").count() == 0
    agent.locator("#conversation").hover()
    agent_watch.check()
    visitor_watch.check()
    agent_ctx.close()
    visitor_ctx.close()
