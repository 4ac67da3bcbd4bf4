import json

import pytest

from helpdesk_kit.errors import InvalidDefinition, InvalidInput, TransitionNotAllowed
from helpdesk_kit.lifecycle import COMPLAINT, SUPPORT, Lifecycle

MINI = {
    "name": "mini",
    "initial": "new",
    "states": {"new": "new", "done": "closed"},
    "transitions": [{"name": "finish", "from": "new", "to": "done"}],
}


def test_minimal_lifecycle_builds():
    lc = Lifecycle.from_dict(MINI)
    assert lc.initial == "new"
    assert lc.available("new") == ["finish"]
    assert lc.transition("new", "finish").target == "done"


def test_every_problem_is_reported_at_once():
    bad = {
        "name": "broken",
        "initial": "start",
        "states": {
            "new": {"category": "new"},
            "open": {"category": "opened"},
            "limbo": {"category": "pending"},
            "solved": {"category": "solved"},
        },
        "transitions": [
            {"name": "go", "from": ["new"], "to": "solved"},
            {"name": "go", "from": ["new"], "to": "solved"},
            {"name": "jump", "from": ["nowhere"], "to": "solved"},
            {"name": "fly", "from": ["new"], "to": "moon"},
            {"name": "who", "from": ["new"], "to": "solved", "roles": ["wizard"]},
        ],
    }
    with pytest.raises(InvalidDefinition) as info:
        Lifecycle.from_dict(bad)
    problems = info.value.problems
    text = "\n".join(problems)
    assert "unknown category 'opened'" in text
    assert "initial state 'start' is not a state" in text
    assert "duplicate transition from 'new'" in text
    assert "unknown source state(s) 'nowhere'" in text
    assert "unknown target state 'moon'" in text
    assert "unknown role(s) wizard" in text
    assert "no state has category 'closed'" in text
    assert len(problems) == 7
    assert str(info.value).startswith("lifecycle 'broken' is invalid (7 problem(s))")


def test_unreachable_states_are_reported():
    data = dict(MINI, states={"new": "new", "done": "closed", "island": "open"})
    with pytest.raises(InvalidDefinition, match="unreachable from 'new': island"):
        Lifecycle.from_dict(data)


def test_reply_settings_are_checked():
    data = dict(MINI, settings={"on_customer_reply": {"done": "reopen", "ghost": "finish"}})
    with pytest.raises(InvalidDefinition) as info:
        Lifecycle.from_dict(data)
    assert "no transition 'reopen' from 'done'" in str(info.value)
    assert "unknown state 'ghost'" in str(info.value)


def test_bad_shapes():
    with pytest.raises(InvalidDefinition, match="expected a mapping"):
        Lifecycle.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(InvalidDefinition) as info:
        Lifecycle.from_dict({"name": "", "states": {}, "transitions": [], "bogus": 1})
    text = str(info.value)
    assert "'name' is missing" in text
    assert "unknown key(s): bogus" in text
    assert "'states' must be a non-empty mapping" in text
    assert "'transitions' must be a non-empty list" in text


def test_star_means_every_other_state():
    data = dict(
        MINI,
        states={"new": "new", "open": "open", "done": "closed"},
        transitions=[
            {"name": "work", "from": "new", "to": "open"},
            {"name": "finish", "from": "*", "to": "done"},
        ],
    )
    lc = Lifecycle.from_dict(data)
    assert {t for t in lc.transitions if t.name == "finish"}.pop().sources == {"new", "open"}


def test_transition_not_allowed_names_the_allowed_ones():
    lc = Lifecycle.from_dict(SUPPORT)
    with pytest.raises(TransitionNotAllowed) as info:
        lc.transition("new", "close")
    assert str(info.value) == (
        "transition 'close' is not allowed from 'new' (allowed: open, pend, hold, solve, mark_spam)"
    )
    assert info.value.allowed == ["open", "pend", "hold", "solve", "mark_spam"]


def test_round_trip_through_dict_and_files(tmp_path):
    for data in (SUPPORT, COMPLAINT):
        lc = Lifecycle.from_dict(data)
        again = Lifecycle.from_dict(lc.to_dict())
        assert again.to_dict() == lc.to_dict()
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(MINI))
    assert Lifecycle.from_file(path).name == "mini"
    toml = tmp_path / "mini.toml"
    toml.write_text(
        'name = "mini"\ninitial = "new"\n[states]\nnew = "new"\ndone = "closed"\n'
        '[[transitions]]\nname = "finish"\nfrom = "new"\nto = "done"\n'
    )
    assert Lifecycle.from_file(toml).available("new") == ["finish"]
    with pytest.raises(InvalidInput, match=r"must end in \.toml or \.json"):
        Lifecycle.from_file(tmp_path / "x.yaml")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InvalidInput, match="not valid"):
        Lifecycle.from_file(tmp_path / "bad.json")


def test_mermaid():
    text = Lifecycle.from_dict(SUPPORT).to_mermaid()
    assert text.startswith("stateDiagram-v2\n    [*] --> new\n")
    assert "    solved --> closed: close [problem_solved, customer_confirmed_or_timed_out, " in text
    assert "    closed --> [*]" in text


def test_unknown_state_lookup():
    lc = Lifecycle.from_dict(MINI)
    with pytest.raises(InvalidInput, match="has no state 'x'"):
        lc.state("x")
