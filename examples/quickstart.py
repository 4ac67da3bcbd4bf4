"""The ten-line tour: a desk, a customer's message, an agent, a reply, a lifecycle, the audit."""

from helpdesk_kit import FrozenClock, Helpdesk, Identity, InboundMessage

desk = Helpdesk(clock=FrozenClock())
ann = desk.add_agent("Ann", email="ann@shop.example")
li = Identity("email", "li@example.cn")
ticket = desk.receive(
    InboundMessage(
        "email",
        li,
        subject="Where is my order?",
        text="Ordered SO42 on Monday.",
        external_id="<m1@mail>",
    )
).ticket
desk.reply(ticket, "It ships today; tracking follows.", author=ann, transition="pend")
desk.clock.advance(hours=3)
desk.receive(InboundMessage("email", li, text="Got it, thanks!", thread_refs=["<m1@mail>"]))
desk.transition(ticket, "solve", actor=ann)
for event in desk.events(ticket):
    print(
        event.seq,
        event.at.strftime("%H:%M"),
        event.actor.split(":")[0],
        event.kind,
        event.data.get("to", ""),
    )
