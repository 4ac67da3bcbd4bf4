"""The help centre in a real browser: search as you type in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk_kit.desk import Helpdesk

from .helpers import PageWatch, live_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(helpdesk: Helpdesk, web_app: Any) -> Iterator[str]:
    helpdesk.kb.import_starter()
    with live_server(web_app) as url:
        yield url


@pytest.mark.parametrize(
    ("lang", "typed", "title"),
    [
        ("zh", "退款", "退款多久能到账？"),
        ("en", "refu", "When will I get my refund?"),
    ],
)
def test_a_customer_searches_as_they_type(
    browser: Any, server: str, lang: str, typed: str, title: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = PageWatch()
    page = watch.attach(context.new_page())
    try:
        page.goto(f"{server}/help?lang={lang}")
        page.locator("#help-q").press_sequentially(typed, delay=40)
        suggestions = page.locator("#help-suggest")
        expect(suggestions).to_be_visible()
        expect(suggestions.get_by_role("link", name=title)).to_be_visible()
        suggestions.get_by_role("link", name=title).click()
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("#feedback")).to_be_visible()
        page.locator("#vote-yes").click()
        expect(page.locator("#feedback .thanks")).to_be_visible()
        expect(page.locator("#contact")).to_be_visible()
        assert watch.dialogs == []
        assert watch.errors == []
    finally:
        context.close()


def test_the_search_page_works_without_script(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{server}/help?lang=en")
        page.locator("#help-q").fill("charged twice")
        page.locator("#help-q").press("Enter")
        expect(page.locator("#results")).to_contain_text("I was charged twice for one order")
    finally:
        context.close()
