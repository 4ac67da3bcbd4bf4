from datetime import timedelta

import pytest

from helpdesk_kit import Actor
from helpdesk_kit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    GuardFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)


def kinds(desk, ticket):
    return [e.kind for e in desk.events(ticket)]


def test_ten_line_story(helpdesk, make_agent):
    ann = make_agent("Ann")
    customer = helpdesk.add_customer("Wang Fang", email="wang@example.cn")
    ticket = helpdesk.open_ticket(
        customer, "Where is my parcel?", "Ordered on Monday.", channel="email"
    )
    assert ticket.ref == "#1001"
    assert ticket.assignee_id == ann.id  # routed to the only online agent
    helpdesk.reply(ticket, "It leaves the warehouse today.", author=ann, transition="pend")
    helpdesk.transition(ticket, "solve", actor=ann)
    helpdesk.confirm_solution(ticket, actor=customer)
    closed = helpdesk.transition(ticket, "close", actor=ann)
    assert closed.status == "closed"
    assert kinds(helpdesk, ticket) == [
        "ticket.created",
        "message.received",
        "ticket.assigned",
        "reply.sent",
        "ticket.transitioned",
        "ticket.transitioned",
        "ticket.confirmed",
        "ticket.transitioned",
    ]
    assert [e.seq for e in helpdesk.events(ticket)] == list(range(1, 9))


def test_numbers_are_unique_and_increasing(helpdesk, make_ticket):
    numbers = [make_ticket().number for _ in range(5)]
    assert numbers == [1001, 1002, 1003, 1004, 1005]
    assert helpdesk.get_ticket("#1003").number == 1003
    assert helpdesk.get_ticket(1004).number == 1004
    with pytest.raises(NotFound, match="#999"):
        helpdesk.get_ticket("#999")


def test_first_response_is_the_first_agent_reply(helpdesk, helpdesk_clock, make_agent, make_ticket):
    ann = make_agent()
    ticket = make_ticket()
    helpdesk_clock.advance(minutes=5)
    helpdesk.add_note(ticket, "checking the warehouse", author=ann)
    assert helpdesk.get_ticket(ticket).first_response_at is None  # a note is not a response
    helpdesk.reply(ticket, "Hello from the bot", author=Actor.bot())
    assert helpdesk.get_ticket(ticket).first_response_at is None  # nor is the bot
    helpdesk_clock.advance(minutes=2)
    helpdesk.reply(ticket, "Hello!", author=ann)
    current = helpdesk.get_ticket(ticket)
    assert current.first_response_at - current.created_at == timedelta(minutes=7)
    assert current.status == "open"  # first agent reply on a new ticket opens it
    helpdesk_clock.advance(minutes=2)
    helpdesk.reply(ticket, "And again", author=ann)
    assert helpdesk.get_ticket(ticket).first_response_at == current.first_response_at


def test_notes_are_internal(helpdesk, make_agent, make_ticket):
    ann = make_agent()
    ticket = make_ticket()
    helpdesk.add_note(ticket, "VIP, be nice", author=ann)
    helpdesk.reply(ticket, "Hi", author=ann)
    assert [m.public for m in helpdesk.messages(ticket)] == [True, False, True]
    assert [m.text for m in helpdesk.messages(ticket, include_notes=False)] == [
        "I ordered last week and nothing arrived.",
        "Hi",
    ]


def test_customers_cannot_use_staff_commands(helpdesk, make_customer, make_ticket):
    customer = make_customer()
    ticket = make_ticket(customer=customer)
    with pytest.raises(PermissionDenied):
        helpdesk.reply(ticket, "hi", author=customer)
    with pytest.raises(PermissionDenied):
        helpdesk.assign(ticket, None, actor=customer)
    with pytest.raises(PermissionDenied):
        helpdesk.add_note(ticket, "x", author=customer)
    with pytest.raises(PermissionDenied):
        helpdesk.transition(ticket, "solve", actor=customer)


def test_transition_errors(helpdesk, make_agent, make_ticket):
    ann = make_agent()
    ticket = make_ticket()
    with pytest.raises(TransitionNotAllowed, match=r"'close' is not allowed from 'new'"):
        helpdesk.transition(ticket, "close", actor=ann)
    helpdesk.transition(ticket, "solve", actor=ann)
    with pytest.raises(GuardFailed, match="customer_confirmed_or_timed_out"):
        helpdesk.transition(ticket, "close", actor=ann)
    assert helpdesk.can_transition(ticket, "close", actor=ann) is not None
    assert helpdesk.can_transition(ticket, "reopen", actor=ann) is None
    assert helpdesk.available_transitions(ticket, actor=ann) == ["reopen", "close"]


def test_followups_block_close(helpdesk, make_agent, make_ticket, helpdesk_clock):
    ann = make_agent()
    ticket = make_ticket()
    followup = helpdesk.add_followup(ticket, "refund the shipping fee", reason="process")
    helpdesk.transition(ticket, "solve", actor=ann)
    helpdesk.confirm_solution(ticket)
    with pytest.raises(GuardFailed, match="1 follow-up"):
        helpdesk.transition(ticket, "close", actor=ann)
    helpdesk.complete_followup(followup, actor=ann)
    assert helpdesk.transition(ticket, "close", actor=ann).status == "closed"
    assert [f.is_open for f in helpdesk.followups(ticket)] == [False]


def test_assign_priority_tags_fields(helpdesk, make_agent, make_ticket):
    ann, bob = make_agent("Ann"), make_agent("Bob")
    group = helpdesk.add_group("billing")
    ticket = make_ticket()
    t = helpdesk.assign(ticket, bob, group="billing", actor=ann)
    assert (t.assignee_id, t.group_id) == (bob.id, group.id)
    assert helpdesk.assign(t, bob, actor=ann).version == t.version  # no change, no event
    t = helpdesk.set_priority(t, "urgent", actor=ann)
    t = helpdesk.tag(t, add=["refund", "vip"], actor=ann)
    t = helpdesk.tag(t, remove=["vip"], actor=ann)
    t = helpdesk.update_fields(t, category="billing", custom_fields={"order": "SO1"}, actor=ann)
    assert t.priority == "urgent"
    assert t.tags == {"refund"}
    assert t.category == "billing"
    assert t.custom_fields == {"order": "SO1"}
    events = helpdesk.events(t)
    assert events[-1].data == {
        "changes": {"category": [None, "billing"], "custom_fields": [{}, {"order": "SO1"}]}
    }
    with pytest.raises(InvalidInput, match="unknown priority"):
        helpdesk.set_priority(t, "critical", actor=ann)
    with pytest.raises(InvalidInput, match="cannot change status"):
        helpdesk.update_fields(t, status="closed", actor=ann)
    with pytest.raises(NotFound):
        helpdesk.assign(t, "no-such-agent", actor=ann)


def test_stale_update_raises_and_stores_nothing(helpdesk, make_agent, make_ticket):
    ann = make_agent()
    ticket = make_ticket()
    seen = helpdesk.get_ticket(ticket)
    helpdesk.tag(ticket, add=["x"], actor=ann)  # someone else changed it meanwhile
    before = len(helpdesk.events(ticket))
    with pytest.raises(ConcurrencyConflict, match="reload it and retry"):
        helpdesk.reply(seen, "hello", author=ann, expected_version=seen.version)
    assert len(helpdesk.events(ticket)) == before
    assert len(helpdesk.messages(ticket)) == 1  # the reply was not stored
    helpdesk.reply(ticket, "hello", author=ann, expected_version=seen.version + 1)


def test_nothing_half_done_when_a_later_step_fails(helpdesk, make_agent, make_ticket):
    ann = make_agent()
    ticket = make_ticket()
    with pytest.raises(TransitionNotAllowed):
        helpdesk.reply(ticket, "solved?", author=ann, transition="close")
    assert len(helpdesk.messages(ticket)) == 1
    assert helpdesk.get_ticket(ticket).first_response_at is None
    assert kinds(helpdesk, ticket)[-1] == "ticket.assigned"


def test_merge(helpdesk, make_agent, make_customer, make_ticket):
    ann = make_agent()
    customer = make_customer()
    a = make_ticket("first", customer=customer, tags=["a"])
    b = make_ticket("second", "more details", customer=customer, tags=["b"])
    target = helpdesk.merge(b, a, actor=ann)
    assert target.tags == {"a", "b"}
    source = helpdesk.get_ticket(b)
    assert source.merged_into == a.id
    assert source.status == "closed"
    assert [m.text for m in helpdesk.messages(a)] == [
        "I ordered last week and nothing arrived.",
        "more details",
    ]
    assert helpdesk.events(a)[-1].kind == "ticket.merged_from"
    assert helpdesk.events(b)[-1].kind == "ticket.merged_into"
    assert helpdesk.count_tickets(customer_id=customer.id) == 1  # merged ones are hidden
    with pytest.raises(InvalidInput, match="was merged"):
        helpdesk.reply(b, "hi", author=ann)
    with pytest.raises(InvalidInput, match="into itself"):
        helpdesk.merge(a, a, actor=ann)


def test_customers_and_identities(helpdesk):
    c = helpdesk.add_customer("Li", email="Li@Example.COM", phone="+86 138-0000-0000")
    assert helpdesk.find_customer("email", "li@example.com").id == c.id
    assert helpdesk.find_customer("phone", "+8613800000000").id == c.id
    with pytest.raises(AlreadyExists):
        helpdesk.add_customer("Other", email="LI@example.com")
    with pytest.raises(InvalidInput, match="not an email"):
        helpdesk.add_customer("Bad", email="nope")
    updated = helpdesk.update_customer(c, tier="vip")
    assert updated.tier == "vip"


def test_list_filters_and_pagination(helpdesk, helpdesk_clock, make_agent, make_ticket):
    ann = make_agent()
    made = []
    for i in range(7):
        helpdesk_clock.advance(minutes=1)
        made.append(make_ticket(f"t{i}", channel="chat" if i % 2 else "email"))
    page = helpdesk.list_tickets(limit=3)
    seen = [t.subject for t in page.items]
    while page.next_cursor:
        page = helpdesk.list_tickets(limit=3, after=page.next_cursor)
        seen += [t.subject for t in page.items]
    assert seen == [f"t{i}" for i in range(7)]
    assert [t.subject for t in helpdesk.list_tickets(channel="chat").items] == ["t1", "t3", "t5"]
    assert helpdesk.count_tickets(assignee_id=ann.id) == 7
    assert helpdesk.count_tickets(assignee_id="") == 0
    newest = helpdesk.list_tickets(limit=2, newest_first=True)
    assert [t.subject for t in newest.items] == ["t6", "t5"]
    after = helpdesk.list_tickets(limit=10, newest_first=True, after=newest.next_cursor)
    assert [t.subject for t in after.items] == ["t4", "t3", "t2", "t1", "t0"]
    with pytest.raises(InvalidInput, match="unknown ticket filter"):
        helpdesk.list_tickets(colour="red")
    with pytest.raises(InvalidInput, match="cursor"):
        helpdesk.list_tickets(after="garbage")


def test_customer_history_newest_first(helpdesk, helpdesk_clock, make_customer, make_ticket):
    c = make_customer()
    for subject in ("a", "b", "c"):
        helpdesk_clock.advance(hours=1)
        make_ticket(subject, customer=c)
    make_ticket("someone else")
    assert [t.subject for t in helpdesk.customer_history(c)] == ["c", "b", "a"]


def test_bad_input(helpdesk, make_customer):
    c = make_customer()
    with pytest.raises(InvalidInput, match="subject is 1001 characters"):
        helpdesk.open_ticket(c, "x" * 1001)
    with pytest.raises(InvalidInput, match="unknown priority"):
        helpdesk.open_ticket(c, "x", priority="asap")
    with pytest.raises(InvalidInput, match="no lifecycle 'nope'"):
        helpdesk.open_ticket(c, "x", lifecycle="nope")
    with pytest.raises(NotFound):
        helpdesk.open_ticket("missing-customer", "x")
    with pytest.raises(InvalidInput, match="not a ticket reference"):
        helpdesk.get_ticket(3.5)
    with pytest.raises(InvalidInput, match="unknown agent status"):
        helpdesk.set_agent_status(helpdesk.add_agent("Z"), "busy")
    assert helpdesk.count_tickets() == 0  # nothing stored by the failures
