"""A host application for the authority tests: payments that can fail, and notifications."""

import pytest

from helpdesk_kit.plugins import hookimpl

BACKENDS = ["memory", "sqlite", "postgresql"]

POLICY = {
    "currency": "CNY",
    "window": "24h",
    "approvers": ["supervisor"],
    "actions": {
        "refund": {"limits": {"agent": "200", "supervisor": "2000", "admin": "unlimited"}},
        "coupon": {"limits": {"agent": "50"}, "scope": "ticket", "window": "7d"},
        "compensation": {
            "limit": "500",
            "approvers": ["supervisor", "admin"],
            "approval_limits": {"supervisor": "1000"},
        },
    },
}


class Payments:
    """The host's actions; ``fail`` makes the next calls raise (or report failure)."""

    def __init__(self):
        self.done = []
        self.fail = None  # None, "raise" or "report"
        self.notified = []
        self.verdict = None

    @hookimpl
    def register_authority_actions(self, register):
        for name in ("refund", "coupon", "compensation"):
            register(name, self._run)

    def _run(self, desk, request):
        if self.fail == "raise":
            raise ConnectionError("payment gateway timed out")
        if self.fail == "report":
            return {"ok": False, "error": "card expired"}
        self.done.append(request)
        return {"reference": f"{request.action}-{len(self.done)}"}

    @hookimpl
    def notify(self, desk, notification):
        self.notified.append(notification)

    @hookimpl
    def check_authority(self, desk, actor, action, amount, ticket):
        return self.verdict


@pytest.fixture
def payments():
    return Payments()


@pytest.fixture
def helpdesk_plugins(payments):
    return [payments]


@pytest.fixture
def desk(helpdesk):
    helpdesk.configure_authority(POLICY)
    return helpdesk


@pytest.fixture
def team(desk):
    """A group with its supervisor Lu, agents Ann and Bo, and admin Max."""
    lu = desk.add_agent("Lu", role="supervisor", status="away")
    desk.add_group("support", supervisor=lu)
    ann = desk.add_agent("Ann", groups=["support"])
    bo = desk.add_agent("Bo", groups=["support"], status="away")
    mia = desk.add_agent("Mia", role="supervisor", status="away")
    max_ = desk.add_agent("Max", role="admin", status="away")
    return {"lu": lu, "ann": ann, "bo": bo, "mia": mia, "max": max_}


@pytest.fixture
def wang(desk):
    return desk.add_customer("王芳", email="wang@example.cn")


@pytest.fixture
def ticket(desk, team, wang):
    return desk.open_ticket(wang, "屏幕碎了", "收到的手机屏幕是碎的", group="support")
