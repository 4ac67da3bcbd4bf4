"""In Chromium: the manager dashboard renders (SVG charts included) without a CSP violation,
a script error or a dialog, and the inbox shows SLA-at-risk tickets."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.feedback import SurveySettings
from helpdesk_kit.storage.sql import SqlStorage

from .browser_support import Watch, served, shot, sign_in
from .workspace_support import PASSWORD, agent_id, make_app, make_desk

SUBJECTS = [
    "订单还没发货",
    "Refund for order SO-{n}",
    "修改收货地址",
    "Coupon does not apply",
    "发票怎么开",
    "Item arrived damaged",
]


def _history(desk: Helpdesk, clock: FrozenClock) -> None:
    """Two weeks of tickets: replies, solves, a few CSAT answers, some still open."""
    rng = random.Random(7)
    agents = [desk.get_agent(agent_id(desk, n)) for n in ("Ana", "Bo")]
    customers = [desk.add_customer(f"客户 {i}") for i in range(12)]
    desk.configure_surveys(SurveySettings(secret=b"d" * 32, per="solve"))
    start = clock.now()
    for day in range(14):
        clock.set(start + timedelta(days=day))
        for n in range(rng.randint(3, 8)):
            clock.advance(timedelta(minutes=rng.randint(20, 80)))
            t = desk.open_ticket(
                rng.choice(customers),
                SUBJECTS[n % len(SUBJECTS)].format(n=day * 10 + n),
                "…",
                channel=rng.choice(["chat", "email", "web", "wechat"]),
                group=rng.choice(["sales", "billing"]),
                priority=rng.choice(["normal", "normal", "high", "urgent"]),
            )
            if rng.random() < 0.8:
                clock.advance(timedelta(minutes=rng.randint(2, 50)))
                agent = rng.choice(agents)
                desk.assign(t, agent, actor=agent)
                solve = rng.random() < 0.6 or day < 12
                desk.reply(t, "好的", author=agent, transition="solve" if solve else None)
                if solve and rng.random() < 0.5:
                    survey = next(iter(desk.surveys(t)), None)
                    if survey is not None:
                        desk.rate_survey(
                            desk.survey_token(survey), score=rng.choice([3, 4, 5, 5, 2])
                        )
    desk.sweep()  # breaches are recorded: the at-risk list holds what can still be saved
    for subject in ("账户被锁定", "Payment failed twice"):
        clock.advance(timedelta(minutes=15))
        desk.open_ticket(customers[0], subject, "急", channel="chat", priority="urgent")
    clock.advance(timedelta(minutes=10))


@pytest.fixture
def live(tmp_path) -> Iterator[tuple[str, Helpdesk]]:
    clock = FrozenClock(datetime(2026, 11, 13, 1, 0, tzinfo=UTC))
    desk = make_desk(SqlStorage(f"sqlite:///{tmp_path / 'dash.db'}"), clock)
    _history(desk, clock)
    with served(make_app(desk)) as base:
        yield base, desk
    desk.close()


def test_dashboard_and_inbox_render_cleanly(live, browser) -> None:
    base, _desk = live
    manager_ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = manager_ctx.new_page()
    watch = Watch(page)
    page.goto(f"{base}/login?next=/dashboard")
    page.fill("input[name=login]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    page.locator(".kpi").first.wait_for()
    assert page.locator(".charts svg").count() == 3
    assert page.locator('.kpi[data-kpi="volume"] .value').inner_text().strip() != ""
    shot(page, "dashboard.png", full_page=True)
    page.goto(f"{base}/dashboard?lang=en")
    page.locator(".kpi").first.wait_for()
    shot(page, "dashboard-en.png", full_page=True)
    agent_ctx = browser.new_context(viewport={"width": 1366, "height": 800})
    agent = agent_ctx.new_page()
    agent_watch = Watch(agent)
    sign_in(agent, base, "ana", PASSWORD)
    agent.goto(f"{base}/desk/inbox/group?lang=en")
    agent.locator("table.inbox").wait_for()
    shot(agent, "workspace-inbox-group.png")
    watch.check()
    agent_watch.check()
    manager_ctx.close()
    agent_ctx.close()
