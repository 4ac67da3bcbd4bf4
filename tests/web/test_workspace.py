"""The agent workspace over HTTP: views, ticket page, commands, roles, CSRF and escaping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.plugins import hookimpl

from .workspace_support import agent_id, make_app, make_desk, signed_in

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Shop:
    """The host shop: orders for the customer-context hook."""

    @hookimpl
    def customer_context(self, desk, customer):
        return {
            "orders": [
                {"id": "SO-1001", "amount": "199.00", "status": "shipped", "note": XSS},
                {"id": "SO-1002", "amount": "58.50", "status": "paid", "note": ""},
            ],
            "vip": True,
        }


@pytest.fixture
def desk(helpdesk_storage, helpdesk_clock) -> Helpdesk:
    made = make_desk(helpdesk_storage, helpdesk_clock)
    made.plugin_manager.register(Shop())
    made.install_starter_macros()
    return made


@pytest.fixture
def app(desk):
    return make_app(desk)


def test_pages_need_an_agent_sign_in(app) -> None:
    from starlette.testclient import TestClient

    anon = TestClient(app, follow_redirects=False)
    r = anon.get("/desk/inbox/mine")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    eve, _ = signed_in(app, "eve")
    assert eve.get("/desk/inbox/mine").status_code == 403
    boss, _ = signed_in(app, "boss")
    assert boss.get("/desk/inbox/mine").status_code == 403


def test_inbox_views_list_the_agents_tickets(app, desk: Helpdesk) -> None:
    cust = desk.add_customer("Li Lei")
    desk.open_ticket(cust, "my parcel", "where?", assignee=agent_id(desk, "Ana"))
    desk.open_ticket(cust, "invoice please", "hi", group="sales")
    client, _ = signed_in(app, "ana")
    mine = client.get("/desk/inbox/mine")
    assert mine.status_code == 200
    assert "my parcel" in mine.text
    assert "invoice please" not in mine.text
    assert "invoice please" in client.get("/desk/inbox/group").text
    assert "invoice please" in client.get("/desk/inbox/unassigned").text
    assert client.get("/desk/inbox/at_risk").status_code == 200
    assert client.get("/desk/inbox/everything").status_code == 404
    assert client.get("/desk/inbox/mine?after=garbage").status_code == 400
    part = client.get("/desk/inbox/mine?part=1")
    assert "<html" not in part.text
    assert "my parcel" in part.text
    assert client.get("/desk").headers["location"].endswith("/desk/inbox/mine")


def test_inbox_pages_with_cursors(app, desk: Helpdesk) -> None:
    cust = desk.add_customer("Wang")
    for i in range(30):
        desk.open_ticket(cust, f"question {i:02d}", "x", assignee=agent_id(desk, "Ana"))
    client, _ = signed_in(app, "ana")
    first = client.get("/desk/inbox/mine").text
    assert "question 00" in first
    assert "question 25" not in first
    import re

    cursor = re.search(r'rel="next" href="\?after=([^"&]+)', first)
    assert cursor
    second = client.get(f"/desk/inbox/mine?after={cursor.group(1)}").text
    assert "question 25" in second
    assert "question 00" not in second


def test_ticket_page_shows_conversation_customer_orders_and_timers(app, desk: Helpdesk) -> None:
    cust = desk.add_customer("Han Meimei", identities=[("email", "han@example.com")])
    old = desk.open_ticket(cust, "earlier question", "x", channel="email")
    t = desk.open_ticket(cust, "broken kettle", "it leaks", channel="chat")
    desk.add_note(t, "called the warehouse", author=desk.get_agent(agent_id(desk, "Bo")))
    client, _ = signed_in(app, "ana")
    page = client.get(f"/desk/tickets/{t.number}")
    assert page.status_code == 200
    html = page.text
    assert "broken kettle" in html
    assert "it leaks" in html
    assert "called the warehouse" in html
    assert "note" in html
    assert "SO-1001" in html
    assert "199.00" in html
    assert old.ref in html  # history
    assert "First response" in html or "首次回复" in html
    assert "/greet" in html  # starter macros
    assert 'data-transition="' in html
    assert client.get("/desk/tickets/99999").status_code == 404


def test_reply_note_transition_macro_and_take(app, desk: Helpdesk) -> None:
    cust = desk.add_customer("Zhao", identities=[("email", "zhao@example.com")])
    t = desk.open_ticket(cust, "refund", "I want my money back")
    client, token = signed_in(app, "ana")
    r = client.post(f"/desk/tickets/{t.number}/take", data={"csrf_token": token})
    assert r.status_code == 303
    assert desk.get_ticket(t).assignee_id == agent_id(desk, "Ana")
    r = client.post(f"/desk/tickets/{t.number}/reply", data={"csrf_token": token, "text": "On it!"})
    assert r.status_code == 303
    assert "done=1" in r.headers["location"]
    client.post(f"/desk/tickets/{t.number}/note", data={"csrf_token": token, "text": "VIP"})
    texts = [(m.text, m.public) for m in desk.messages(t)]
    assert ("On it!", True) in texts
    assert ("VIP", False) in texts
    assert desk.get_ticket(t).first_response_at is not None
    names = desk.available_transitions(t, actor=desk.get_agent(agent_id(desk, "Ana")))
    name = names[0]
    client.post(f"/desk/tickets/{t.number}/transition", data={"csrf_token": token, "name": name})
    assert desk.get_ticket(t).status != "open" or name == "open"
    # a transition that is not allowed says why and changes nothing
    before = desk.get_ticket(t)
    r = client.post(
        f"/desk/tickets/{t.number}/transition", data={"csrf_token": token, "name": "nonsense"}
    )
    assert "error=" in r.headers["location"]
    assert desk.get_ticket(t).version == before.version
    # macro preview for the composer, then applying one
    preview = client.get(f"/desk/tickets/{t.number}/macros/greet")
    assert preview.status_code == 200
    assert preview.json()["text"]


def test_commands_need_the_csrf_token(app, desk: Helpdesk) -> None:
    t = desk.open_ticket(desk.add_customer("Q"), "x", "y")
    client, _ = signed_in(app, "ana")
    r = client.post(f"/desk/tickets/{t.number}/reply", data={"text": "forged"})
    assert r.status_code == 403
    assert [m.text for m in desk.messages(t)] == ["y"]


def test_customer_text_is_escaped_everywhere(app, desk: Helpdesk) -> None:
    cust = desk.add_customer(XSS)
    t = desk.open_ticket(cust, XSS, XSS, channel="chat", assignee=agent_id(desk, "Ana"))
    client, _ = signed_in(app, "ana")
    for url in ("/desk/inbox/mine", f"/desk/tickets/{t.number}", "/desk/inbox/mine?part=1"):
        html = client.get(url).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;" in html
    parts = client.get(f"/desk/tickets/{t.number}/parts").json()
    assert "<script>alert" not in parts["conversation"]


def test_live_socket_pushes_events_and_presence(app, desk: Helpdesk) -> None:
    t = desk.open_ticket(desk.add_customer("P"), "live", "hello")
    ana, ana_token = signed_in(app, "ana")
    bo, bo_token = signed_in(app, "bo")
    with ana.websocket_connect(f"/desk/live?csrf={ana_token}&ticket={t.id}") as ws_a:
        first = ws_a.receive_json()
        assert first["kind"] == "presence"
        assert [v["name"] for v in first["viewers"]] == ["Ana"]
        with bo.websocket_connect(f"/desk/live?csrf={bo_token}&ticket={t.id}") as ws_b:
            seen = ws_a.receive_json()
            assert seen["kind"] == "presence"
            assert sorted(v["name"] for v in seen["viewers"]) == ["Ana", "Bo"]
            ws_b.receive_json()
            desk.reply(t, "pushed", author=desk.get_agent(agent_id(desk, "Bo")))
            kinds = set()
            for _ in range(5):
                got = ws_a.receive_json()
                kinds.add(got["kind"])
                if "reply.sent" in kinds:
                    break
            assert "reply.sent" in kinds
        gone = ws_a.receive_json()
        while gone["kind"] != "presence":  # the reply's other events come first
            gone = ws_a.receive_json()
        assert gone["kind"] == "presence"
        assert [v["name"] for v in gone["viewers"]] == ["Ana"]


def test_live_socket_refuses_strangers(app, desk: Helpdesk) -> None:
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    anon = TestClient(app)
    with pytest.raises(WebSocketDisconnect), anon.websocket_connect("/desk/live?csrf=x") as ws:
        ws.receive_json()
    ana, _ = signed_in(app, "ana")
    with (
        pytest.raises(WebSocketDisconnect),
        ana.websocket_connect("/desk/live?csrf=wrong") as ws,
    ):
        ws.receive_json()


def test_at_risk_view_over_http(app, desk: Helpdesk, helpdesk_clock) -> None:
    cust = desk.add_customer("R")
    t = desk.open_ticket(cust, "urgent thing", "now!", priority="urgent")
    helpdesk_clock.advance(timedelta(minutes=50))
    client, _ = signed_in(app, "ana")
    html = client.get("/desk/inbox/at_risk").text
    assert "urgent thing" in html
    assert t.ref in html


def test_applying_a_macro_runs_it_in_one_go(app, desk: Helpdesk) -> None:
    t = desk.open_ticket(desk.add_customer("Sun"), "late parcel", "where is it")
    client, token = signed_in(app, "ana")
    macro = next(m for m in desk.macros() if m.template is not None)
    r = client.post(
        f"/desk/tickets/{t.number}/macro", data={"csrf_token": token, "name": macro.name}
    )
    assert "done=1" in r.headers["location"]
    replies = [m for m in desk.messages(t) if m.public and m.author_kind.value == "agent"]
    assert len(replies) == 1
    r = client.post(f"/desk/tickets/{t.number}/macro", data={"csrf_token": token, "name": "nope"})
    assert "error=" in r.headers["location"]
    assert client.get(f"/desk/tickets/{t.number}/macros/nope").status_code == 400


def test_a_sign_in_without_an_agent_reads_but_cannot_answer(desk: Helpdesk) -> None:
    from helpdesk_kit.web import SimpleAuth, SimpleUser, WebSettings, create_app

    from .workspace_support import _HASH

    auth = SimpleAuth({"admin": SimpleUser(_HASH, {"admin"}, None, "Root")}, secret="s")
    app = create_app(desk, auth, settings=WebSettings(secret_key="k" * 32))
    t = desk.open_ticket(desk.add_customer("Tan"), "question", "hello")
    client, token = signed_in(app, "admin")
    page = client.get(f"/desk/tickets/{t.number}")
    assert page.status_code == 200
    assert 'id="reply-form"' not in page.text
    r = client.post(f"/desk/tickets/{t.number}/reply", data={"csrf_token": token, "text": "hi"})
    assert r.status_code == 403
    assert client.get("/desk/inbox/mine").status_code == 200  # shows the unassigned view


def test_agent_sets_own_status_and_errors_are_signed(app, desk: Helpdesk) -> None:
    client, token = signed_in(app, "ana")
    r = client.post(
        "/desk/status",
        data={"csrf_token": token, "status": "away", "next": "https://evil.example/"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/desk/inbox/mine"
    assert desk.get_agent(agent_id(desk, "Ana")).status.value == "away"
    assert client.post("/desk/status", data={"csrf_token": token, "status": "x"}).status_code == 400
    t = desk.open_ticket(desk.add_customer("F"), "flash", "x")
    r = client.post(
        f"/desk/tickets/{t.number}/transition", data={"csrf_token": token, "name": "nonsense"}
    )
    shown = client.get(r.headers["location"]).text
    assert "nonsense" in shown
    forged = client.get(f"/desk/tickets/{t.number}?error=Refund+approved").text
    assert "Refund approved" not in forged


def test_group_counts_are_per_group_not_shared(app, desk: Helpdesk) -> None:
    cust = desk.add_customer("G")
    desk.open_ticket(cust, "s1", "x", group="sales")
    desk.open_ticket(cust, "s2", "x", group="sales")
    desk.open_ticket(cust, "b1", "x", group="billing")
    ana, _ = signed_in(app, "ana")  # sales
    bo, _ = signed_in(app, "bo")  # billing and sales: billing first by name
    assert 'data-count="group">2<' in ana.get("/desk/inbox/mine").text
    assert 'data-count="group">1<' in bo.get("/desk/inbox/mine").text
    assert 'data-count="unassigned">3<' in bo.get("/desk/inbox/mine").text
