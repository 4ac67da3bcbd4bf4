"""Security of the web app: CSRF, CSP, logins and roles, rate limits, signed values."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.web import SimpleAuth, SimpleUser, WebSettings, create_app, hash_password
from helpdesk_kit.web.auth import require_user, verify_password
from helpdesk_kit.web.i18n import Translations, pick_language
from helpdesk_kit.web.security import RateLimiter, sign, unsign
from helpdesk_kit.web.uploads import safe_filename, sniff_type

from .helpers import PASSWORD, csrf_of

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "helpdesk_kit" / "web" / "templates"


def test_every_page_has_a_strict_content_security_policy(client: TestClient) -> None:
    for path in ("/help", "/login", "/widget/frame", "/widget/demo", "/help/search?q=x"):
        page = client.get(path)
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert "object-src 'none'" in csp, path
        assert page.headers["x-content-type-options"] == "nosniff"


def test_templates_have_no_inline_script_or_event_handler() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"{template.name}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: inline event handler"
        assert "|safe" not in text.replace(" ", ""), f"{template.name}: |safe bypasses escaping"


def test_login_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/login")
    answer = client.post(
        "/login", data={"login": "agent", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    wrong = client.post(
        "/login",
        data={"login": "agent", "password": PASSWORD, "csrf_token": "x" * 43},
        follow_redirects=False,
    )
    assert wrong.status_code == 403


def test_a_csrf_token_of_another_browser_does_not_work(web_app: Any) -> None:
    with TestClient(web_app) as one, TestClient(web_app) as other:
        token = csrf_of(one.get("/login").text)
        other.get("/login")
        answer = other.post(
            "/login",
            data={"login": "agent", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 403


def test_login_with_a_wrong_password_fails(client: TestClient) -> None:
    page = client.get("/login?lang=en")
    answer = client.post(
        "/login",
        data={"login": "agent", "password": "nope", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert "wrong" in answer.text
    assert "hk_session" not in answer.cookies


def test_login_never_redirects_off_site(client: TestClient) -> None:
    page = client.get("/login")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = client.post(
            "/login",
            data={
                "login": "agent",
                "password": PASSWORD,
                "csrf_token": csrf_of(page.text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/desk"


def test_the_session_cookie_is_http_only_and_tamper_proof(client: TestClient, login: Any) -> None:
    login("agent")
    cookie = client.cookies["hk_session"]
    body, mac = cookie.split(".")
    client.cookies.set("hk_session", body + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"))
    assert "Ann Agent" not in client.get("/help").text


def _guarded_app(desk: Helpdesk, web_users: dict[str, SimpleUser]) -> Any:
    app = create_app(desk, SimpleAuth(web_users), settings=WebSettings(secret_key="k"))
    ctx = app.state.web

    async def page(request: Request) -> PlainTextResponse:
        user = require_user(ctx, request, "manager")
        return PlainTextResponse(f"hello {user.name}")

    app.router.routes.insert(0, Route("/secret", page))
    app.router.routes.insert(0, Route("/api/secret", page))
    return app


def test_require_user_redirects_refuses_or_forbids(
    helpdesk: Helpdesk, web_users: dict[str, SimpleUser]
) -> None:
    with TestClient(_guarded_app(helpdesk, web_users)) as client:
        page = client.get("/secret", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login?next=%2Fsecret")
        assert client.get("/api/secret").status_code == 401
        form = client.get("/login")
        client.post(
            "/login",
            data={"login": "agent", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        assert client.get("/secret").status_code == 403
        client.cookies.clear()
        form = client.get("/login")
        client.post(
            "/login",
            data={"login": "manager", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        assert client.get("/secret").text == "hello Mia Manager"


def test_logout_needs_csrf_and_ends_the_session(client: TestClient, login: Any) -> None:
    login("agent")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    token = csrf_of(client.get("/help").text)
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert "Ann Agent" not in client.get("/help").text


def test_passwords_are_salted_hashes() -> None:
    one, two = hash_password("secret"), hash_password("secret")
    assert one != two
    assert verify_password("secret", one)
    assert not verify_password("Secret", one)
    assert not verify_password("secret", "md5$x$y$z")


def test_signed_values_refuse_tampering_and_expiry() -> None:
    value = sign("key", "purpose", {"v": "a", "exp": int(time.time()) + 60})
    assert unsign("key", "purpose", value) == {"v": "a", "exp": pytest.approx(time.time(), abs=70)}
    assert unsign("other", "purpose", value) is None
    assert unsign("key", "other-purpose", value) is None
    assert unsign("key", "purpose", "x" + value) is None
    assert unsign("key", "purpose", sign("key", "purpose", {"exp": 1})) is None
    assert unsign("key", "purpose", None) is None


def test_the_rate_limiter_is_a_token_bucket() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=3, rate=1.0, clock=lambda: now[0])
    assert [limiter.allow("ip", "r") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("ip", "r") == pytest.approx(1.0)
    assert limiter.allow("other-ip", "r") == 0.0
    assert limiter.allow("ip", "other-route") == 0.0
    now[0] = 2.0
    assert limiter.allow("ip", "r") == 0.0
    assert limiter.allow("ip", "r") == 0.0
    assert limiter.allow("ip", "r") > 0


def test_public_endpoints_answer_429_over_the_limit(helpdesk: Helpdesk) -> None:
    app = create_app(helpdesk, settings=WebSettings(rate_burst=5, rate_per_second=0.01))
    with TestClient(app) as client:
        codes = [client.get("/help/api/suggest?q=refund").status_code for _ in range(7)]
        assert codes[:5] == [200] * 5
        assert codes[5:] == [429, 429]
        limited = client.get("/help/api/suggest?q=refund")
        assert int(limited.headers["retry-after"]) >= 1


def test_upload_types_are_read_from_the_bytes() -> None:
    assert sniff_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert sniff_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_type(b"%PDF-1.7") == "application/pdf"
    assert sniff_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_type("订单号 12345".encode()) == "text/plain"
    assert sniff_type(b"<!doctype html><script>") is None
    assert sniff_type(b"hello <b>") is None
    assert sniff_type(b"\x00\x01\x02") is None


def test_upload_names_are_made_safe() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\x\\a.png") == "a.png"
    assert safe_filename('"><img src=x onerror=alert(1)>.png') == "img src=x onerror=alert(1).png"
    assert safe_filename("\x00\n") == "file"
    assert len(safe_filename("a" * 500)) == 120


def test_language_comes_from_query_cookie_then_header(client: TestClient) -> None:
    assert 'lang="en"' in client.get("/help?lang=en").text
    assert 'lang="en"' in client.get("/help").text  # remembered in a cookie
    client.cookies.clear()
    assert 'lang="zh-CN"' in client.get("/help", headers={"Accept-Language": "zh-CN"}).text
    page = client.get("/help", headers={"Accept-Language": "fr, en;q=0.8, zh;q=0.5"})
    assert 'lang="en"' in page.text


def test_pick_language_reads_accept_language_weights() -> None:
    def request(header: str) -> Request:
        return Request(
            {
                "type": "http",
                "headers": [(b"accept-language", header.encode())],
                "query_string": b"",
            }
        )

    assert pick_language(request("en-GB,zh;q=0.9")) == "en"
    assert pick_language(request("zh;q=0.4,en;q=0.5")) == "en"
    assert pick_language(request("zh-TW")) == "zh"
    assert pick_language(request("de")) == "zh"
    assert pick_language(request("de"), default="en") == "en"


def test_translations_fall_back_to_english_then_the_key() -> None:
    texts = Translations()
    texts.add({"en": {"a": "Hello {name}", "b": "only English"}, "zh": {"a": "你好 {name}"}})
    assert texts.get("zh", "a", name="李") == "你好 李"
    assert texts.get("zh", "b") == "only English"
    assert texts.get("zh", "missing") == "missing"
    assert texts.get("en", "a") == "Hello {name}"
