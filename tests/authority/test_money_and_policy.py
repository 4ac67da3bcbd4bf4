"""Money and authority policies: exact amounts, no silent conversion, validated limits."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.authority import AuthorityPolicy, Money, decide
from helpdesk_kit.errors import CurrencyMismatch, InvalidDefinition, InvalidInput

from .conftest import POLICY

# ------------------------------------------------------------------ money


def test_money_is_exact_and_refuses_floats():
    assert Money("150.00", "cny") == Money(150, "CNY") == Money(Decimal("150.0"), "CNY")
    assert str(Money("150.00", "CNY")) == "150.00 CNY"
    assert repr(Money("1.5", "USD")) == "Money('1.5', 'USD')"
    assert Money("0.1", "CNY") + Money("0.2", "CNY") == Money("0.3", "CNY")
    assert hash(Money("1", "CNY")) == hash(Money("1.00", "CNY"))
    with pytest.raises(InvalidInput, match="float"):
        Money(150.0, "CNY")
    with pytest.raises(InvalidInput, match="must be a number"):
        Money(True, "CNY")
    with pytest.raises(InvalidInput, match="finite"):
        Money("NaN", "CNY")
    with pytest.raises(InvalidInput, match="not a number"):
        Money("abc", "CNY")
    with pytest.raises(InvalidInput, match="three-letter"):
        Money("1", "RMB!")
    with pytest.raises(InvalidInput, match="Decimal, an int or text"):
        Money([1], "CNY")


def test_currency_mismatch_is_an_error():
    with pytest.raises(CurrencyMismatch, match="never converts"):
        Money("1", "CNY") + Money("1", "USD")
    with pytest.raises(CurrencyMismatch):
        Money("1", "CNY") - Money("1", "USD")
    with pytest.raises(CurrencyMismatch):
        assert Money("1", "CNY") < Money("2", "USD")
    assert Money("1", "CNY") != Money("1", "USD")
    with pytest.raises(InvalidInput, match="cannot add"):
        Money("1", "CNY") + 1


def test_parse_money_text():
    assert Money.parse("1,299.50 CNY") == Money("1299.50", "CNY")
    assert Money.parse(" 20 usd ") == Money(20, "USD")
    assert Money.parse("20", "EUR") == Money(20, "EUR")
    with pytest.raises(InvalidInput, match="no currency"):
        Money.parse("20")
    with pytest.raises(InvalidInput, match="not an amount"):
        Money.parse("twenty CNY")


@given(st.lists(st.decimals(min_value=0, max_value=10**6, places=2), max_size=20))
def test_sums_match_decimal_arithmetic(amounts):
    total = Money.zero("CNY")
    for a in amounts:
        total = total + Money(a, "CNY")
    assert total.amount == sum(amounts, Decimal(0))


# ------------------------------------------------------------------ policies


def test_policy_from_dict():
    policy = AuthorityPolicy.from_dict(POLICY)
    assert policy.actions == ["compensation", "coupon", "refund"]
    refund = policy.rule("refund")
    assert refund.currency == "CNY"
    assert refund.window == timedelta(hours=24)
    assert refund.scope == "customer"
    assert refund.limit_for({"agent"}) == (True, Money(200, "CNY"))
    assert refund.limit_for({"agent", "supervisor"}) == (True, Money(2000, "CNY"))
    assert refund.limit_for({"agent", "supervisor", "admin"}) == (True, None)
    assert refund.limit_for({"bot"}) == (False, None)
    coupon = policy.rule("coupon")
    assert (coupon.scope, coupon.window) == ("ticket", timedelta(days=7))
    comp = policy.rule("compensation")
    assert comp.limit_for({"bot"}) == (True, Money(500, "CNY"))  # "limit" covers every role
    assert AuthorityPolicy.from_dict(policy.to_dict()) == policy
    with pytest.raises(InvalidInput, match="no authority rule for action 'cashback'"):
        policy.rule("cashback")


def test_every_policy_problem_is_listed():
    with pytest.raises(InvalidDefinition) as info:
        AuthorityPolicy.from_dict(
            {
                "window": "soon",
                "colour": "red",
                "actions": {
                    "refund": {"limits": {"agent": 200.0, "intern": "10"}, "scope": "order"},
                    "coupon": {"limit": "-5", "currency": "CNY", "approvers": ["boss"]},
                    "Bad-Name": {"limit": "5 USD", "currency": "CNY", "period": "1d"},
                    "gift": {"currency": "CNY", "approval_limits": {"agent": "5"}},
                },
            }
        )
    text = "\n".join(info.value.problems)
    for words in [
        "unknown key 'colour'",
        "actions.refund: no currency",
        "'soon' is not a duration",
        "actions.refund.limits.agent 200.0 is a float",
        "unknown role 'intern'",
        "actions.refund.scope: 'order' is not one of customer, ticket",
        "actions.coupon.limit: a limit cannot be negative",
        "unknown role(s) boss",
        "actions.Bad-Name: an action name is lower-case",
        "'5 USD' is not in the rule's currency CNY",
        "unknown key 'period'",
        "actions.gift: no limits",
        "actions.gift.approval_limits: agent cannot approve",
    ]:
        assert words in text, words
    with pytest.raises(InvalidDefinition, match="no actions"):
        AuthorityPolicy.from_dict({"currency": "CNY"})


def test_policy_from_toml_and_file(tmp_path):
    text = """
    currency = "CNY"
    window = "12h"

    [actions.refund.limits]
    agent = "200"
    supervisor = 2000
    admin = "unlimited"
    """
    policy = AuthorityPolicy.from_toml(text)
    assert policy.rule("refund").limit_for({"supervisor"}) == (True, Money(2000, "CNY"))
    path = tmp_path / "authority.toml"
    path.write_text(text, encoding="utf-8")
    assert AuthorityPolicy.load(path) == policy
    with pytest.raises(InvalidInput, match="not valid TOML"):
        AuthorityPolicy.from_toml("[actions")
    with pytest.raises(InvalidDefinition, match="is a float"):
        AuthorityPolicy.from_toml('currency = "CNY"\n[actions.refund]\nlimit = 200.5\n')


def test_decide_outcomes():
    rule = AuthorityPolicy.from_dict(POLICY).rule("refund")
    zero = Money.zero("CNY")
    assert decide(rule, {"agent"}, Money(200, "CNY"), zero).outcome == "within_limit"
    over = decide(rule, {"agent"}, Money(51, "CNY"), Money(150, "CNY"))
    assert (over.allowed, over.outcome) == (False, "over_limit")
    assert "150 CNY already used + 51 CNY = 201 CNY is over the limit of 200 CNY" in over.message
    assert decide(rule, {"bot"}, Money(1, "CNY"), zero).outcome == "no_limit_for_role"
    assert decide(rule, {"admin"}, Money(10**9, "CNY"), zero).outcome == "unlimited"
    with pytest.raises(CurrencyMismatch):
        decide(rule, {"agent"}, Money(1, "USD"), zero)


@given(
    limit=st.integers(0, 1000),
    used=st.integers(0, 1000),
    amount=st.integers(1, 1000),
    roles=st.sets(st.sampled_from(["agent", "supervisor", "bot"]), min_size=1),
)
def test_decide_matches_a_brute_force_oracle(limit, used, amount, roles):
    policy = AuthorityPolicy.from_dict(
        {
            "currency": "CNY",
            "actions": {"x": {"limits": {"agent": str(limit), "supervisor": str(limit * 3)}}},
        }
    )
    caps = [c for r, c in (("agent", limit), ("supervisor", limit * 3)) if r in roles]
    expected = bool(caps) and used + amount <= max(caps)
    got = decide(policy.rule("x"), roles, Money(amount, "CNY"), Money(used, "CNY"))
    assert got.allowed == expected


def test_approval_rights():
    comp = AuthorityPolicy.from_dict(POLICY).rule("compensation")
    amount = Money(800, "CNY")
    assert comp.approval_problem({"agent"}, amount) == (
        "approving a compensation needs the role admin or supervisor"
    )
    assert comp.approval_problem({"agent", "supervisor"}, amount) is None
    assert "above your approval limit of 1000 CNY" in comp.approval_problem(
        {"agent", "supervisor"}, Money(1500, "CNY")
    )
    assert comp.approval_problem({"agent", "supervisor", "admin"}, Money(10**6, "CNY")) is None
