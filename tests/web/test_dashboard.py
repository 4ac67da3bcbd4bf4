"""The manager dashboard: today's KPIs, SLA at risk, queues, agents, trends and reports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.web.dashboard import dashboard_data

from .workspace_support import agent_id, make_app, make_desk, signed_in

XSS = "<script>alert(1)</script>"


@pytest.fixture
def desk(helpdesk_storage, helpdesk_clock) -> Helpdesk:
    made = make_desk(helpdesk_storage, helpdesk_clock)
    ana = made.get_agent(agent_id(made, "Ana"))
    cust = made.add_customer(XSS)
    for i in range(6):
        t = made.open_ticket(
            cust, f"{XSS} {i}", "hi", channel="chat" if i % 2 else "email", group="sales"
        )
        helpdesk_clock.advance(timedelta(minutes=10))
        if i < 4:
            made.reply(t, "answer", author=ana, transition="solve" if i < 2 else None)
    made.open_ticket(cust, "urgent one", "now", priority="urgent", group="billing")
    helpdesk_clock.advance(timedelta(minutes=20))
    return made


BACKENDS = pytest.mark.parametrize(
    "helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True
)


@BACKENDS
def test_dashboard_numbers_match_the_kpi_api(desk: Helpdesk) -> None:
    data = dashboard_data(desk)
    cards = {c.key: c for c in data["cards"]}
    assert cards["volume"].value == "7"
    assert cards["first_response"].values == {"n": 4}
    assert cards["backlog"].value == "5"  # 7 tickets, 2 solved
    assert cards["sla_achievement"].value.endswith("%")
    assert dict(data["by_group"]) == {"sales": 4, "billing": 1}
    assert sum(n for _, n in data["by_channel"]) == 5
    assert [r.ticket.subject for r in data["at_risk"].rows] == ["urgent one"]
    lines = {line.agent.name: line for line in data["agents"]}
    assert lines["Ana"].responses == 4
    assert lines["Ana"].open == 0


def test_dashboard_page_for_managers_only(desk: Helpdesk) -> None:
    app = make_app(desk)
    ana, _ = signed_in(app, "ana")
    assert ana.get("/dashboard").status_code == 403
    boss, _ = signed_in(app, "boss")
    page = boss.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert "<svg" in html
    assert ' style="' not in html  # the CSP forbids inline styles
    assert "<script>alert" not in html
    assert "urgent one" in html
    assert "/dashboard/report?period=" in html
    part = boss.get("/dashboard?part=1")
    assert "<html" not in part.text
    assert 'data-kpi="volume"' in part.text
    zh = boss.get("/dashboard?lang=zh").text
    assert "数据看板" in zh


def test_report_links(desk: Helpdesk) -> None:
    app = make_app(desk)
    boss, _ = signed_in(app, "boss")
    month = desk.now().strftime("%Y-%m")
    html = boss.get(f"/dashboard/report?period={month}&format=html")
    assert html.status_code == 200
    assert "script-src" not in html.headers["content-security-policy"]
    assert "default-src 'none'" in html.headers["content-security-policy"]
    csv = boss.get(f"/dashboard/report?period={month}&format=csv")
    assert csv.headers["content-disposition"].startswith("attachment")
    assert boss.get(f"/dashboard/report?period={month}&format=json").json()
    assert boss.get("/dashboard/report?period=nonsense").status_code == 400
    assert boss.get(f"/dashboard/report?period={month}&format=exe").status_code == 400


def test_chart_titles_are_escaped(desk: Helpdesk) -> None:
    from helpdesk_kit.web.dashboard import _trend_charts

    titles = dict.fromkeys(("volume", "first_response", "csat"), XSS)
    charts = _trend_charts(desk, desk.now().date(), titles)
    assert all("<script>" not in str(svg) for svg in charts)
    assert all("&lt;script&gt;" in str(svg) for svg in charts)
