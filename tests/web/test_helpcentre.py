"""The help centre: categories, articles, search (zh and en), feedback, contact options."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.web import WebSettings, create_app
from helpdesk_kit.web.markdown import render_markdown

from .helpers import csrf_of


@pytest.fixture
def kb_client(helpdesk: Helpdesk) -> TestClient:
    helpdesk.kb.import_starter()
    settings = WebSettings(
        secret_key="k", rate_burst=1000, contact_email="help@shop.example", contact_phone="400-800"
    )
    return TestClient(create_app(helpdesk, settings=settings))


def article_ids(html: str) -> list[str]:
    return re.findall(r"/help/article/(\w+)\?", html)


def test_the_index_lists_categories_in_the_pages_language(kb_client: TestClient) -> None:
    zh = kb_client.get("/help?lang=zh")
    en = kb_client.get("/help?lang=en")
    assert zh.status_code == en.status_code == 200
    assert "退款多久能到账？" in zh.text
    assert "When will I get my refund?" not in zh.text
    assert "When will I get my refund?" in en.text
    assert 'href="/help/category/' in en.text
    assert "help@shop.example" in en.text  # contact options


def test_a_category_page_lists_its_articles(kb_client: TestClient, helpdesk: Helpdesk) -> None:
    category = helpdesk.kb.categories()[0]
    page = kb_client.get(f"/help/category/{category.key}?lang=en")
    assert page.status_code == 200
    assert article_ids(page.text)
    assert kb_client.get("/help/category/no-such-thing").status_code == 404


def test_an_article_page_counts_a_view_and_offers_contact(
    kb_client: TestClient, helpdesk: Helpdesk
) -> None:
    article = helpdesk.kb.find_article("refund-time", "en")
    assert article is not None
    page = kb_client.get(f"/help/article/{article.id}?lang=en")
    assert page.status_code == 200
    assert "<h1>When will I get my refund?</h1>" in page.text
    assert "Did this help?" in page.text
    assert "Still need help?" in page.text
    assert "tel:400-800" in page.text
    assert helpdesk.kb.stats(article).views == 1


def test_an_article_follows_the_page_language(kb_client: TestClient, helpdesk: Helpdesk) -> None:
    en = helpdesk.kb.find_article("refund-time", "en")
    zh = helpdesk.kb.find_article("refund-time", "zh-CN")
    assert en is not None
    assert zh is not None
    moved = kb_client.get(f"/help/article/{en.id}?lang=zh", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/help/article/{zh.id}?lang=zh"


def test_unpublished_articles_are_not_shown(kb_client: TestClient, helpdesk: Helpdesk) -> None:
    draft = helpdesk.kb.create_article("Secret plans", "not yet", locale="en")
    assert kb_client.get(f"/help/article/{draft.id}").status_code == 404
    assert kb_client.get("/help/article/nope").status_code == 404


def test_did_this_help_records_a_vote(kb_client: TestClient, helpdesk: Helpdesk) -> None:
    article = helpdesk.kb.find_article("refund-time", "en")
    assert article is not None
    page = kb_client.get(f"/help/article/{article.id}?lang=en")
    answer = kb_client.post(
        f"/help/article/{article.id}/vote",
        data={"csrf_token": csrf_of(page.text), "helpful": "no", "reason": "no bank times"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    thanks = kb_client.get(answer.headers["location"] + "&lang=en")
    assert "Sorry to hear that" in thanks.text
    [vote] = helpdesk.kb.votes(article)
    assert vote.helpful is False
    assert vote.reason == "no bank times"
    refused = kb_client.post(f"/help/article/{article.id}/vote", data={"helpful": "yes"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("zh", "退款", "退款多久能到账？"),
        ("zh", "密码忘了", "忘记密码怎么重置？"),
        ("en", "refund", "When will I get my refund?"),
        ("en", "forgot password", "How do I reset my password?"),
    ],
)
def test_search_finds_articles_in_chinese_and_english(
    kb_client: TestClient, helpdesk: Helpdesk, lang: str, query: str, expected: str
) -> None:
    page = kb_client.get("/help/search", params={"q": query, "lang": lang})
    assert page.status_code == 200
    titles = re.findall(r'<a href="/help/article/\w+\?lang=\w+">([^<]+)</a>', page.text)
    assert any(expected in title for title in titles), titles


@pytest.mark.parametrize(
    ("lang", "prefix", "expected"),
    [("zh", "退", "退"), ("en", "refu", "refund"), ("en", "passw", "password")],
)
def test_search_as_you_type_suggests_from_a_prefix(
    kb_client: TestClient, lang: str, prefix: str, expected: str
) -> None:
    answer = kb_client.get("/help/api/suggest", params={"q": prefix, "lang": lang}).json()
    assert answer["results"]
    assert all(r["url"].startswith("/help/article/") for r in answer["results"])
    assert any(expected in (r["title"] + r["snippet"]).lower() for r in answer["results"])


def test_the_search_box_echo_is_escaped(kb_client: TestClient) -> None:
    payload = '"><script>alert(1)</script>'
    page = kb_client.get("/help/search", params={"q": payload, "lang": "en"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_markdown_rendering_escapes_everything_first() -> None:
    html = str(
        render_markdown("# Title\n\n**bold** <img src=x onerror=alert(1)>\n\n- [a](javascript:x)")
    )
    assert "<strong>bold</strong>" in html
    assert "<img" not in html
    assert "javascript:" not in html
    assert "<h2>Title</h2>" in html
