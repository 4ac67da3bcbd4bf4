import pytest

from helpdesk_kit.errors import InvalidInput, StorageError
from helpdesk_kit.tickets import TicketEvent


def test_reactor_runs_inside_the_unit_of_work(helpdesk, make_agent, make_ticket):
    seen = []

    def tag_refunds(desk, work, events):
        for e in events:
            seen.append(e.kind)
            if e.kind == "reply.sent":
                t = work.ticket(e.ticket_id)
                work.save(t, t, [TicketEvent(t.id, "test.reacted", work.now, "system", {})])

    helpdesk.add_reactor("test", tag_refunds)
    agent = make_agent()
    ticket = make_ticket()
    helpdesk.reply(ticket, "hi", author=agent)
    kinds = [e.kind for e in helpdesk.events(ticket)]
    assert kinds[-2:] == ["ticket.transitioned", "test.reacted"]
    assert "test.reacted" in seen  # a second round showed the reactor its own event
    with pytest.raises(InvalidInput, match="already installed"):
        helpdesk.add_reactor("test", tag_refunds)


def test_a_failing_reactor_undoes_the_command(helpdesk, make_agent, make_ticket):
    agent = make_agent()
    ticket = make_ticket()

    def refuse(desk, work, events):
        if any(e.kind == "reply.sent" for e in events):
            raise InvalidInput("no replies today")

    helpdesk.add_reactor("refuse", refuse)
    with pytest.raises(InvalidInput):
        helpdesk.reply(ticket, "hi", author=agent)
    assert len(helpdesk.messages(ticket)) == 1


def test_endless_reactions_are_stopped(helpdesk, make_ticket):
    def echo(desk, work, events):
        for e in events:
            t = work.ticket(e.ticket_id)
            work.save(t, t, [TicketEvent(t.id, "echo", work.now, "system", {})])

    helpdesk.add_reactor("echo", echo)
    with pytest.raises(StorageError, match="triggers itself"):
        make_ticket()
    assert helpdesk.count_tickets() == 0


def test_sweepers_run_on_sweep(helpdesk, helpdesk_clock):
    calls = []
    helpdesk.add_sweeper("count", lambda desk, now: calls.append(now) or len(calls))
    assert helpdesk.sweep().results == {"count": 1}
    assert calls == [helpdesk_clock.now()]
    with pytest.raises(InvalidInput):
        helpdesk.add_sweeper("count", lambda desk, now: None)
