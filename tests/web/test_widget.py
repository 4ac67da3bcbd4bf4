"""The chat widget's server side: frame, WebSocket, HTTP fallback, uploads, surveys."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.feedback.settings import SurveySettings
from helpdesk_kit.web.hub import Hub
from helpdesk_kit.web.visitors import sign_visitor

from .helpers import visitor_token_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def frame_token(client: TestClient, query: str = "lang=en") -> str:
    page = client.get(f"/widget/frame?{query}")
    assert page.status_code == 200, page.text
    return visitor_token_of(page.text)


def until(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind!r} frame")


def test_the_frame_page_is_embeddable_and_has_no_inline_script(client: TestClient) -> None:
    page = client.get("/widget/frame?lang=zh")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors *" in csp
    assert "x-frame-options" not in page.headers
    assert "<script>" not in page.text
    assert "在线客服" in page.text


def test_other_pages_may_not_be_framed(client: TestClient) -> None:
    page = client.get("/help")
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN"


def test_a_visitor_chats_and_an_agent_answers(client: TestClient, helpdesk: Helpdesk) -> None:
    token = frame_token(client)
    agent = helpdesk.agents()[0]
    with client.websocket_connect(f"/widget/ws?vt={token}&lang=en") as ws:
        welcome = ws.receive_json()
        assert welcome["type"] == "welcome"
        assert welcome["status"] == "new"
        ws.send_json({"type": "message", "id": "m1", "text": "Where is my parcel?"})
        ack = until(ws, "ack")
        assert ack["id"] == "m1"
        assert until(ws, "status")["status"] == "queued"
        chat = helpdesk.channels["chat"]
        session = chat.session(welcome["session"])
        assert session.ticket is not None
        assert session.ticket.channel == "chat"
        chat.say(helpdesk, session.id, agent, "It is on its way.")
        answer = until(ws, "message")
        assert answer["author"] == "agent"
        assert answer["text"] == "It is on its way."
        assert answer["name"] == "Ann Agent"


def test_typing_reaches_the_agents_through_the_hub(
    client: TestClient, helpdesk: Helpdesk, web_app: Any
) -> None:
    hub: Hub = web_app.state.web.hub
    seen: list[tuple[str, dict[str, Any]]] = []
    original = hub.publish
    hub.publish = lambda topic, payload: seen.append((topic, dict(payload)))  # type: ignore[method-assign]
    try:
        token = frame_token(client)
        with client.websocket_connect(f"/widget/ws?vt={token}") as ws:
            session = ws.receive_json()["session"]
            ws.send_json({"type": "typing", "typing": True})
            ws.send_json({"type": "ping"})
            assert until(ws, "pong")
    finally:
        hub.publish = original  # type: ignore[method-assign]
    assert (f"chat:{session}", {"type": "typing", "typing": True, "name": ""}) in seen


def test_agent_typing_shows_in_the_widget(client: TestClient, helpdesk: Helpdesk) -> None:
    token = frame_token(client)
    agent = helpdesk.agents()[0]
    with client.websocket_connect(f"/widget/ws?vt={token}") as ws:
        session = ws.receive_json()["session"]
        helpdesk.channels["chat"].typing(session, agent, True)
        assert until(ws, "typing") == {"type": "typing", "name": "Ann Agent", "typing": True}


def test_no_agent_online_gives_the_offline_form_and_the_promise(
    client: TestClient, helpdesk: Helpdesk
) -> None:
    for agent in helpdesk.agents():
        helpdesk.set_agent_status(agent, "offline")
    page = client.get("/widget/frame?lang=en")
    assert 'data-online="false"' in page.text
    token = visitor_token_of(page.text)
    with client.websocket_connect(f"/widget/ws?vt={token}&lang=en") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "id": "1", "text": "Are you open on Sunday?"})
        status = until(ws, "status")
        assert status["status"] == "offline"
        assert status["ask_contact"] is True
        promise = until(ws, "message")
        assert promise["author"] == "bot"
        assert "offline" in promise["text"]
        assert status["ticket"] in promise["text"]
        ws.send_json({"type": "contact", "email": "li@example.com", "name": "Li"})
        assert until(ws, "status")["ask_contact"] is False
    customer = helpdesk.find_customer("email", "li@example.com")
    assert customer is not None


def test_the_visitor_ends_the_chat_and_rates_it(client: TestClient, helpdesk: Helpdesk) -> None:
    helpdesk.configure_surveys(SurveySettings(secret=b"s" * 32, per="interaction"))
    token = frame_token(client)
    with client.websocket_connect(f"/widget/ws?vt={token}") as ws:
        session = ws.receive_json()["session"]
        ws.send_json({"type": "message", "id": "1", "text": "thanks, that is all"})
        until(ws, "ack")
        ticket = helpdesk.channels["chat"].session(session).ticket
        ws.send_json({"type": "end"})
        survey = until(ws, "survey")
        assert survey["kind"] == "csat"
        assert until(ws, "ended")["by"] == "visitor"
        ws.send_json({"type": "rate", "token": survey["token"], "score": 5, "comment": "快"})
        assert until(ws, "rated") == {"type": "rated", "score": 5}
    rated = helpdesk.surveys(ticket)
    assert [(s.score, s.comment) for s in rated] == [(5, "快")]


def test_a_chat_the_agent_ends_still_asks_for_a_rating(
    client: TestClient, helpdesk: Helpdesk
) -> None:
    helpdesk.configure_surveys(SurveySettings(secret=b"s" * 32, per="interaction"))
    token = frame_token(client)
    with client.websocket_connect(f"/widget/ws?vt={token}") as ws:
        session = ws.receive_json()["session"]
        ws.send_json({"type": "message", "id": "1", "text": "hello"})
        until(ws, "ack")
        helpdesk.channels["chat"].end(helpdesk, session, by="agent")
        assert until(ws, "ended")["by"] == "agent"
        assert until(ws, "survey")["kind"] == "csat"


def test_the_http_fallback_carries_the_same_frames(client: TestClient, helpdesk: Helpdesk) -> None:
    token = frame_token(client)
    headers = {"X-Visitor-Token": token}
    session = client.post("/widget/api/connect", json={}, headers=headers).json()["session"]
    first = client.get(f"/widget/api/poll?session={session}&after=0", headers=headers).json()
    assert first["frames"][0]["type"] == "welcome"
    sent = client.post(
        "/widget/api/send",
        json={"session": session, "frame": {"type": "message", "id": "p1", "text": "by polling"}},
        headers=headers,
    )
    assert sent.status_code == 200
    later = client.get(
        f"/widget/api/poll?session={session}&after={first['last']}", headers=headers
    ).json()
    assert [f["type"] for f in later["frames"]][:1] == ["ack"]
    ticket = helpdesk.channels["chat"].session(session).ticket
    assert [m.text for m in helpdesk.messages(ticket)] == ["by polling"]


def test_widget_calls_need_the_visitor_token(client: TestClient) -> None:
    assert client.post("/widget/api/connect", json={}).status_code == 401
    forged = {"X-Visitor-Token": "eyJ2IjoiYW5vbi14In0.bad"}
    assert client.post("/widget/api/connect", json={}, headers=forged).status_code == 401


def test_a_visitor_cannot_use_another_visitors_session(client: TestClient) -> None:
    first = frame_token(client)
    session = client.post(
        "/widget/api/connect", json={}, headers={"X-Visitor-Token": first}
    ).json()["session"]
    client.cookies.clear()
    second = frame_token(client)
    assert second != first
    answer = client.post(
        "/widget/api/send",
        json={"session": session, "frame": {"type": "message", "text": "hi"}},
        headers={"X-Visitor-Token": second},
    )
    assert answer.status_code == 404
    taken = client.post(
        "/widget/api/connect", json={"session": session}, headers={"X-Visitor-Token": second}
    )
    assert taken.status_code in (403, 200)
    if taken.status_code == 200:  # a fresh session, never the other visitor's
        assert taken.json()["session"] != session


def test_the_anonymous_visitor_keeps_their_id_in_a_cookie(client: TestClient) -> None:
    first = client.get("/widget/frame")
    assert "hk_visitor" in first.cookies or "hk_visitor" in client.cookies
    from helpdesk_kit.web.security import unsign

    a = unsign("test-secret", "visitor", visitor_token_of(first.text))
    b = unsign("test-secret", "visitor", frame_token(client, ""))
    assert a is not None
    assert b is not None
    assert a["v"] == b["v"]
    assert a["v"].startswith("anon-")


def test_a_host_signed_visitor_is_accepted(client: TestClient) -> None:
    expires = int(time.time()) + 600
    sig = sign_visitor("host-secret", "cust-42", expires)
    token = frame_token(client, f"visitor=cust-42&expires={expires}&signature={sig}")
    from helpdesk_kit.web.security import unsign

    data = unsign("test-secret", "visitor", token)
    assert data is not None
    assert data["v"] == "site:cust-42"


@pytest.mark.parametrize(
    ("visitor", "offset", "secret"),
    [
        ("cust-42", 600, "wrong-secret"),  # forged
        ("cust-42", -10, "host-secret"),  # expired
    ],
)
def test_a_forged_or_expired_visitor_signature_is_rejected(
    client: TestClient, visitor: str, offset: int, secret: str
) -> None:
    expires = int(time.time()) + offset
    sig = sign_visitor(secret, visitor, expires)
    page = client.get(f"/widget/frame?visitor={visitor}&expires={expires}&signature={sig}")
    assert page.status_code == 403
    assert "data-token" not in page.text


def test_a_signature_for_one_visitor_does_not_fit_another(client: TestClient) -> None:
    expires = int(time.time()) + 600
    sig = sign_visitor("host-secret", "cust-42", expires)
    page = client.get(f"/widget/frame?visitor=cust-43&expires={expires}&signature={sig}")
    assert page.status_code == 403


def test_an_upload_becomes_a_chat_message_served_as_a_download(
    client: TestClient, helpdesk: Helpdesk
) -> None:
    token = frame_token(client)
    with client.websocket_connect(f"/widget/ws?vt={token}") as ws:
        session = ws.receive_json()["session"]
        answer = client.post(
            "/widget/api/upload",
            data={"session": session},
            files={"file": ("../../receipt <b>.png", PNG, "text/html")},
            headers={"X-Visitor-Token": token},
        )
        assert answer.status_code == 200, answer.text
        message = until(ws, "message")
    [attachment] = message["attachments"]
    assert attachment["filename"] == "receipt b.png"
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.content == PNG
    ticket = helpdesk.channels["chat"].session(session).ticket
    assert helpdesk.messages(ticket)[0].attachments[0].content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("image.png", b"<svg onload=alert(1)>"),
        ("empty.txt", b""),
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2_000_000),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
    ],
)
def test_uploads_of_a_wrong_type_or_size_are_refused(
    client: TestClient, helpdesk: Helpdesk, name: str, data: bytes
) -> None:
    token = frame_token(client)
    headers = {"X-Visitor-Token": token}
    session = client.post("/widget/api/connect", json={}, headers=headers).json()["session"]
    client.app.state.web.uploads.settings = type(client.app.state.web.settings)(
        secret_key="test-secret", upload_max_bytes=1_000_000
    )
    answer = client.post(
        "/widget/api/upload",
        data={"session": session},
        files={"file": (name, data, "image/png")},
        headers=headers,
    )
    assert answer.status_code in (400, 413)
    assert helpdesk.count_tickets() == 0


def test_an_unknown_file_is_not_found(client: TestClient) -> None:
    assert client.get("/widget/files/AAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/widget/files/..%2F..%2Fetc").status_code == 404


def test_the_demo_host_page_carries_one_script_tag(client: TestClient) -> None:
    page = client.get("/widget/demo?lang=en")
    assert page.text.count("/static/widget.js") >= 1
    script = client.get("/static/widget.js")
    assert script.status_code == 200
    for name in ("widget.js", "widget-frame.js"):
        code = client.get(f"/static/{name}").text
        assert ".innerHTML" not in code
        assert "insertAdjacentHTML" not in code
        assert "document.write" not in code
