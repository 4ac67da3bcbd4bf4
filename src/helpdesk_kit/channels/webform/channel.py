"""The web-form channel: a validated submission becomes a ticket; replies go out by e-mail."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.channels.base import (
    AttachmentStore,
    Capability,
    send_through,
    store_attachment,
)
from helpdesk_kit.channels.webform.definition import FormDefinition, FormSubmission, Upload
from helpdesk_kit.errors import AlreadyExists, InvalidInput
from helpdesk_kit.tickets.model import Actor, Customer, Message, Ticket

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk

__all__ = ["FormChannel", "FormResult"]

log = logging.getLogger("helpdesk_kit.channels.webform")


@attrs.frozen
class FormResult:
    """What a submission did: the ticket it opened (None for spam) and its customer.

    ``duplicate``: the same ``submission_id`` was taken in before (the earlier ticket is
    returned); ``spam``: why it was dropped (show the usual thank-you page anyway).
    """

    ticket: Ticket | None
    customer: Customer | None
    submission: FormSubmission
    duplicate: bool = False
    spam: str | None = None


class FormChannel:
    """The ``form`` channel: web-form submissions in, replies relayed through ``reply_via``.

    A form cannot answer by itself: public replies go out through the channel named
    ``reply_via`` (``"email"`` by default; ``None`` to keep answers in the host
    application's portal, where the customer reads them — then ``send`` records nothing
    sent). ``attachment_store`` keeps uploaded files (without one only metadata is kept).
    """

    capabilities = frozenset({Capability.RELAYED, Capability.ATTACHMENTS})

    def __init__(
        self,
        forms: Iterable[FormDefinition] = (),
        *,
        reply_via: str | None = "email",
        attachment_store: AttachmentStore | None = None,
        name: str = "form",
    ) -> None:
        self.name = name
        self.reply_via = reply_via
        self.attachment_store = attachment_store
        self.forms: dict[str, FormDefinition] = {}
        for form in forms:
            self.add_form(form)

    def __repr__(self) -> str:
        return f"FormChannel(forms={sorted(self.forms)}, reply_via={self.reply_via!r})"

    def add_form(self, form: FormDefinition | Mapping[str, Any]) -> FormDefinition:
        """Register a form (a definition or its dict); names are unique."""
        definition = form if isinstance(form, FormDefinition) else FormDefinition.from_dict(form)
        if definition.name in self.forms:
            raise InvalidInput(f"a form named {definition.name!r} is already registered")
        self.forms[definition.name] = definition
        return definition

    def form(self, name: str) -> FormDefinition:
        """The registered form called ``name``."""
        try:
            return self.forms[name]
        except KeyError:
            raise InvalidInput(
                f"no form {name!r} (registered: {', '.join(sorted(self.forms)) or 'none'})"
            ) from None

    def submit(
        self,
        desk: Helpdesk,
        form: FormDefinition | str,
        data: Mapping[str, Any],
        files: Mapping[str, Sequence[Upload]] | None = None,
        *,
        rendered_at: datetime | None = None,
        submission_id: str | None = None,
        locale: str | None = None,
    ) -> FormResult:
        """Validate a submission and open its ticket.

        ``FormInvalid`` (an ``InvalidInput``) lists every problem per field. Spam (the
        honeypot filled, or sent sooner than the form's ``min_fill_seconds`` after
        ``rendered_at``) opens nothing and says why. The customer is found by the e-mail
        address, else the phone number, or created with both. ``submission_id`` (e.g. a
        hidden field made when the form was shown) makes a double submit open one ticket.
        """
        definition = form if isinstance(form, FormDefinition) else self.form(form)
        sub = definition.validate(data, files, now=desk.now(), rendered_at=rendered_at)
        if sub.spam is not None:
            log.info("form %s: submission dropped as spam (%s)", definition.name, sub.spam)
            return FormResult(None, None, sub, spam=sub.spam)
        if submission_id is not None:
            seen = self._seen(desk, submission_id)
            if seen is not None:
                return FormResult(seen[0], seen[1], sub, duplicate=True)
        customer = self._customer(desk, sub, locale)
        attachments = [
            store_attachment(self.attachment_store, up.safe_filename, up.content_type, up.content)
            for ups in sub.files.values()
            for up in ups
        ]
        try:
            ticket = desk.open_ticket(
                customer,
                sub.subject,
                sub.text,
                channel=self.name,
                priority=sub.priority or "normal",
                category=sub.category,
                tags=definition.tags,
                group=definition.group,
                lifecycle=definition.lifecycle,
                language=locale,
                custom_fields={"form": definition.name, **sub.custom_fields},
                attachments=attachments,
                external_id=submission_id,
                actor=Actor.customer(customer.id),
            )
        except AlreadyExists:
            # the same submission arrived twice at once: the other one won
            if submission_id is None:
                raise
            seen = self._seen(desk, submission_id)
            if seen is None:
                raise
            return FormResult(seen[0], seen[1], sub, duplicate=True)
        return FormResult(ticket, customer, sub)

    def _seen(self, desk: Helpdesk, submission_id: str) -> tuple[Ticket, Customer] | None:
        with desk.storage.unit_of_work() as uow:
            found = uow.messages.find_by_external_id(self.name, submission_id)
            if found is None:
                return None
            ticket = uow.tickets.get(found.ticket_id)
            return ticket, uow.customers.get(ticket.customer_id)

    def _customer(self, desk: Helpdesk, sub: FormSubmission, locale: str | None) -> Customer:
        idents = sub.identities
        for ident in idents:
            found = desk.find_customer(ident.kind, ident.value)
            if found is not None:
                return found
        try:
            return desk.add_customer(sub.name, identities=idents, locale=locale)
        except AlreadyExists:
            # created meanwhile by a concurrent submission (or another channel)
            for ident in idents:
                found = desk.find_customer(ident.kind, ident.value)
                if found is not None:
                    return found
            raise

    def send(self, desk: Helpdesk, ticket: Ticket, message: Message, customer: Customer) -> Any:
        """Relay a reply through ``reply_via`` (or leave it to the portal when that is None)."""
        if self.reply_via is None:
            return None
        return send_through(
            desk,
            self.reply_via,
            ticket,
            message,
            customer,
            why="a web form cannot answer by itself",
        )
