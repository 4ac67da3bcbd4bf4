"""A host application plugin for the template tests: orders and a signature."""

from decimal import Decimal

import pytest

from helpdesk_kit.plugins import hookimpl

BACKENDS = ["memory", "sqlite", "postgresql"]


class Shop:
    """Gives customers orders (by e-mail) and can sign replies."""

    def __init__(self):
        self.orders = {}
        self.signature = None
        self.asked = 0

    @hookimpl
    def customer_context(self, desk, customer):
        self.asked += 1
        orders = self.orders.get(customer.email)
        return {"orders": orders, "member_since": "2024"} if orders is not None else None

    @hookimpl
    def render_message(self, desk, ticket, text, actor):
        return None if self.signature is None else f"{text}\n-- {self.signature}"


@pytest.fixture
def shop():
    shop = Shop()
    shop.orders["wang@example.cn"] = [
        {"id": "SO-2", "status": "已发货", "amount": Decimal("299.00"), "currency": "CNY"},
        {"id": "SO-1", "status": "已签收", "amount": Decimal("59.90"), "currency": "CNY"},
    ]
    return shop


@pytest.fixture
def helpdesk_plugins(shop):
    return [shop]


@pytest.fixture
def wang(helpdesk):
    return helpdesk.add_customer("王芳", email="wang@example.cn", locale="zh-CN")


@pytest.fixture
def tom(helpdesk):
    return helpdesk.add_customer("Tom <b>Lee</b> & Co", email="tom@example.com", locale="en-GB")


@pytest.fixture
def ann(helpdesk):
    helpdesk.add_group("support")
    helpdesk.add_group("finance")
    return helpdesk.add_agent("Ann", groups=["support"], languages=["zh", "en"])
