from datetime import timedelta

import pytest

from helpdesk_kit import DeskSettings, Helpdesk, Identity, InboundMessage
from helpdesk_kit.errors import InvalidInput

WANG = Identity("email", "wang@example.cn")


def mail(text="hello", *, ext=None, refs=(), subject="Order", sender=WANG, **kw):
    return InboundMessage(
        "email", sender, text=text, subject=subject, external_id=ext, thread_refs=refs, **kw
    )


def test_new_message_opens_ticket_and_customer(helpdesk):
    r = helpdesk.receive(mail("where is my order", ext="m1", sender_name="王芳"))
    assert r.created
    assert r.ticket.subject == "Order"
    assert r.customer.name == "王芳"
    assert r.customer.email == "wang@example.cn"
    assert r.message.external_id == "m1"


def test_redelivery_is_idempotent(helpdesk):
    first = helpdesk.receive(mail(ext="m1"))
    again = helpdesk.receive(mail(ext="m1"))
    assert again.duplicate
    assert again.ticket.id == first.ticket.id
    assert again.message.id == first.message.id
    assert helpdesk.count_tickets() == 1
    assert len(helpdesk.messages(first.ticket)) == 1


def test_one_customer_per_address(helpdesk):
    a = helpdesk.receive(mail(ext="m1", sender=Identity("email", "Wang@Example.CN")))
    b = helpdesk.receive(mail(ext="m2", subject="Another thing"))
    assert a.customer.id == b.customer.id
    assert helpdesk.count_tickets() == 2


def test_reply_joins_thread_by_reference(helpdesk, make_agent):
    agent = make_agent()
    first = helpdesk.receive(mail(ext="m1"))
    helpdesk.reply(first.ticket, "Which order?", author=agent, transition="pend")
    second = helpdesk.receive(mail("SO123", ext="m2", refs=("m0", "m1")))
    assert not second.created
    assert second.ticket.id == first.ticket.id
    assert second.ticket.status == "open"  # the customer answered: pending -> open
    events = [e.kind for e in helpdesk.events(first.ticket)]
    assert events[-2:] == ["message.received", "ticket.transitioned"]


def test_ticket_number_in_subject_only_for_its_customer(helpdesk):
    first = helpdesk.receive(mail(ext="m1"))
    same = helpdesk.receive(mail("more", ext="m2", ticket_number=first.ticket.number))
    assert same.ticket.id == first.ticket.id
    stranger = Identity("email", "mallory@evil.example")
    other = helpdesk.receive(
        mail("let me in", ext="m3", sender=stranger, ticket_number=first.ticket.number)
    )
    assert other.created
    assert other.ticket.id != first.ticket.id


def test_cc_participants_may_join(helpdesk):
    colleague = Identity("email", "li@example.cn")
    first = helpdesk.receive(mail(ext="m1", cc=[colleague]))
    reply = helpdesk.receive(
        mail("I am Wang's colleague", ext="m2", sender=colleague, refs=("m1",))
    )
    assert reply.ticket.id == first.ticket.id
    assert reply.customer.id != first.customer.id


def test_unknown_sender_can_become_a_note(helpdesk_storage, helpdesk_clock):
    desk = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        load_entrypoints=False,
        settings=DeskSettings(unknown_sender="note"),
    )
    first = desk.receive(mail(ext="m1"))
    r = desk.receive(mail("hi", ext="m2", refs=("m1",), sender=Identity("email", "x@y.example")))
    assert r.ticket.id == first.ticket.id
    assert not r.message.public
    assert "not a participant" in r.message.text


def test_solved_ticket_reopens_within_window(helpdesk, helpdesk_clock, make_agent):
    agent = make_agent()
    first = helpdesk.receive(mail(ext="m1"))
    helpdesk.transition(first.ticket, "solve", actor=agent)
    helpdesk_clock.advance(days=2)
    r = helpdesk.receive(mail("still broken", ext="m2", refs=("m1",)))
    assert r.reopened
    assert r.ticket.status == "open"
    assert r.ticket.reopen_count == 1


def test_reply_after_reopen_window_opens_follow_up_ticket(helpdesk, helpdesk_clock, make_agent):
    agent = make_agent()
    first = helpdesk.receive(mail(ext="m1"))
    helpdesk.transition(first.ticket, "solve", actor=agent)
    helpdesk_clock.advance(days=8)
    r = helpdesk.receive(mail("again", ext="m2", refs=("m1",)))
    assert r.created
    assert r.ticket.custom_fields == {"follow_up_of": first.ticket.number}
    assert helpdesk.get_ticket(first.ticket).status == "solved"


def test_reply_to_closed_ticket_opens_follow_up(helpdesk, make_agent):
    agent = make_agent()
    first = helpdesk.receive(mail(ext="m1"))
    helpdesk.transition(first.ticket, "mark_spam", actor=agent)
    r = helpdesk.receive(mail("hello?", ext="m2", refs=("m1",)))
    assert r.created
    assert r.ticket.custom_fields["follow_up_of"] == first.ticket.number


def test_chat_session_keeps_one_ticket(helpdesk):
    visitor = Identity("chat", "visitor-42")
    a = helpdesk.receive(InboundMessage("chat", visitor, text="hi", thread_key="s1"))
    b = helpdesk.receive(InboundMessage("chat", visitor, text="anyone?", thread_key="s1"))
    c = helpdesk.receive(InboundMessage("chat", visitor, text="new chat", thread_key="s2"))
    assert a.ticket.id == b.ticket.id != c.ticket.id
    assert a.ticket.subject == "hi"


def test_automatic_messages_never_open_tickets(helpdesk):
    r = helpdesk.receive(mail("I am out of office", ext="auto1", is_automatic=True))
    assert r.ticket is None
    assert r.message is None
    assert "automatic" in r.ignored
    assert helpdesk.count_tickets() == 0
    first = helpdesk.receive(mail(ext="m1"))
    bounce = helpdesk.receive(mail("delivery failed", ext="b1", refs=("m1",), is_automatic=True))
    assert bounce.ticket.id == first.ticket.id
    assert not bounce.message.public
    assert helpdesk.get_ticket(first.ticket).status == "new"


def test_long_and_empty_subjects(helpdesk):
    r = helpdesk.receive(mail("body", ext="m1", subject="x" * 5000))
    assert len(r.ticket.subject) == 1000
    assert r.ticket.subject.endswith("…")
    r2 = helpdesk.receive(mail("first line\nsecond", ext="m2", subject="  "))
    assert r2.ticket.subject == "first line"
    r3 = helpdesk.receive(mail("", ext="m3", subject=""))
    assert r3.ticket.subject == "(no subject)"


def test_receive_rejects_bad_input(helpdesk):
    with pytest.raises(InvalidInput, match="InboundMessage"):
        helpdesk.receive({"text": "hi"})
    with pytest.raises(InvalidInput):
        InboundMessage("", WANG)


def test_merged_ticket_redirects_replies(helpdesk, make_agent):
    agent = make_agent()
    a = helpdesk.receive(mail(ext="m1"))
    b = helpdesk.receive(mail(ext="m2", subject="dup"))
    helpdesk.merge(b.ticket, a.ticket, actor=agent)
    r = helpdesk.receive(mail("answer", ext="m3", refs=("m2",)))
    assert r.ticket.id == a.ticket.id


def test_auto_close_after_window(helpdesk, helpdesk_clock, make_agent):
    agent = make_agent()
    first = helpdesk.receive(mail(ext="m1"))
    helpdesk.transition(first.ticket, "solve", actor=agent)
    helpdesk_clock.advance(days=2)
    assert helpdesk.sweep().closed == []
    helpdesk_clock.advance(days=1, seconds=1)
    result = helpdesk.sweep()
    assert result.closed == [first.ticket.ref]
    closed = helpdesk.get_ticket(first.ticket)
    assert closed.status == "closed"
    assert helpdesk.events(first.ticket)[-1].actor == "system"
    assert helpdesk.sweep().closed == []  # once only


def test_auto_close_skips_tickets_with_open_followups(helpdesk, helpdesk_clock, make_agent):
    agent = make_agent()
    first = helpdesk.receive(mail(ext="m1"))
    helpdesk.add_followup(first.ticket, "call back")
    helpdesk.transition(first.ticket, "solve", actor=agent)
    helpdesk_clock.advance(days=4)
    result = helpdesk.sweep()
    assert result.closed == []
    assert "follow-up" in result.skipped[first.ticket.ref]
    assert helpdesk_clock.now() - first.ticket.created_at > timedelta(days=3)


def test_auto_close_at_exactly_the_window(helpdesk, helpdesk_clock, make_agent):
    agent = make_agent()
    first = helpdesk.receive(mail(ext="m1"))
    helpdesk.transition(first.ticket, "solve", actor=agent)
    helpdesk_clock.advance(days=3)
    assert helpdesk.sweep().closed == [first.ticket.ref]
