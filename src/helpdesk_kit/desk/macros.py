"""Desk commands for reply templates and macros (mixed into :class:`~helpdesk_kit.Helpdesk`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import (
    ConcurrencyConflict,
    InvalidDefinition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from helpdesk_kit.macros.model import (
    Macro,
    RenderedTemplate,
    Template,
    locale_candidates,
    normalize_shortcode,
    render_template,
    validate_template,
)
from helpdesk_kit.macros.pack import MacroPack, load_pack
from helpdesk_kit.macros.starter import starter_pack
from helpdesk_kit.macros.variables import (
    Provider,
    RenderContext,
    TemplateVariables,
    VariableSpec,
    default_variables,
)
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    AuthorKind,
    Customer,
    Message,
    Priority,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk, TicketRef

__all__ = ["MACRO_APPLIED", "MacroCommands", "MacroResult"]

#: Recorded first when a macro is applied; data: macro, version, shortcode, template.
MACRO_APPLIED = "macro.applied"

AgentLike = Agent | Actor | str | None


@attrs.frozen
class MacroResult:
    """What applying a macro did: the ticket after it, the reply and note sent, the events."""

    ticket: Ticket
    reply: Message | None
    note: Message | None
    rendered: RenderedTemplate | None
    events: list[TicketEvent]


def _desk(obj: object) -> Helpdesk:
    return cast("Helpdesk", obj)


def _author(author: Agent | Actor | Customer | str | None) -> str | None:
    if author is None or isinstance(author, str):
        return author
    if isinstance(author, Agent):
        return str(Actor.of_agent(author))
    if isinstance(author, Customer):
        return str(Actor.customer(author.id))
    return str(author)


class MacroCommands:
    """Templates, variable providers, macros and short codes on a desk."""

    _template_variables: TemplateVariables | None = None

    # ------------------------------------------------------------------ variables

    @property
    def template_variables(self) -> TemplateVariables:
        """The namespaces templates may use (customer, ticket, agent, order, and added ones)."""
        if self._template_variables is None:
            self._template_variables = default_variables()
        return self._template_variables

    def add_template_variables(
        self,
        name: str,
        provider: Provider,
        *,
        fields: Iterable[str],
        kinds: Iterable[str] | None = None,
        description: str = "",
        replace: bool = False,
    ) -> VariableSpec:
        """Offer ``{name.field}`` to templates: ``provider(ctx)`` returns the values.

        ``fields`` are the field names templates may use (checked when a template is saved);
        ``kinds`` limits the namespace to templates of those kinds. ``replace=True`` swaps an
        existing namespace (e.g. ``order`` with more fields).
        """
        return self.template_variables.add(
            name, provider, fields=fields, kinds=kinds, description=description, replace=replace
        )

    # ------------------------------------------------------------------ templates

    def validate_template(self, template: Template) -> list[str]:
        """Every problem ``template`` has on this desk (empty when it can be saved)."""
        return validate_template(template, self.template_variables)

    def save_template(
        self,
        template: Template | str,
        bodies: Mapping[str, Any] | None = None,
        *,
        kind: str = "reply",
        description: str = "",
        default_locale: str = "",
        author: Agent | Actor | Customer | str | None = None,
        expected_version: int | None = None,
    ) -> Template:
        """Save a template (a new version when it exists); every problem is reported at once.

        ``save_template("first_reply", {"zh": "您好，{customer.name}", "en": "Hi ..."})`` or
        ``save_template(Template(...))``. An unknown variable, a bad filter or a syntax error
        in any locale raises ``InvalidDefinition`` listing them all. ``expected_version`` is
        the version the editor saw (``ConcurrencyConflict`` if another was saved since; 0 for
        "must be new"). Saving identical content changes nothing.
        """
        desk = _desk(self)
        if isinstance(template, Template):
            if bodies is not None:
                raise InvalidInput("give a Template or a name and bodies, not both")
            draft = template
        else:
            try:
                draft = Template(
                    name=template,
                    bodies=bodies or {},
                    kind=kind,
                    description=description,
                    default_locale=default_locale,
                )
            except InvalidInput as exc:
                raise InvalidDefinition(f"template {template!r}", [str(exc)]) from None
        problems = self.validate_template(draft)
        if problems:
            raise InvalidDefinition(f"template {draft.name!r}", problems)
        with desk._work() as work:
            return self._store_template(work, draft, _author(author), expected_version)

    def _store_template(
        self, work: Work, draft: Template, author: str | None, expected_version: int | None
    ) -> Template:
        repo = work.uow.templates
        current = repo.find(draft.name)
        seen = 0 if current is None else current.version
        if expected_version is not None and expected_version != seen:
            raise ConcurrencyConflict("template", draft.name, expected_version, seen)
        if current is not None:
            if current.to_dict() == draft.to_dict():
                return current
            new = attrs.evolve(
                draft, version=current.version + 1, updated_at=work.now, author=author
            )
            return repo.update(new, expected_version=current.version)
        history = repo.history(draft.name)
        version = history[-1].version + 1 if history else 1
        return repo.add(attrs.evolve(draft, version=version, updated_at=work.now, author=author))

    def get_template(self, name: str) -> Template:
        """The current version of a template; ``NotFound`` if there is none."""
        with _desk(self).storage.unit_of_work() as uow:
            return uow.templates.get(name)

    def templates(self, *, kind: str | None = None) -> list[Template]:
        """The templates, by name (of one kind when given)."""
        with _desk(self).storage.unit_of_work() as uow:
            return uow.templates.list(kind=kind)

    def template_history(self, name: str) -> list[Template]:
        """Every saved version of a template, oldest first."""
        with _desk(self).storage.unit_of_work() as uow:
            return uow.templates.history(name)

    def delete_template(self, name: str) -> bool:
        """Delete a template (its history stays); refused while a macro uses it."""
        with _desk(self)._work() as work:
            users = [m.name for m in work.uow.macros.list() if m.template == name]
            if users:
                raise InvalidInput(
                    f"template {name!r} is used by macro(s) {', '.join(users)}; "
                    "change or delete them first"
                )
            return work.uow.templates.delete(name)

    def render_template(
        self,
        name: str | Template,
        ticket: TicketRef,
        agent: AgentLike = None,
        locale: str | None = None,
    ) -> RenderedTemplate:
        """Fill in a template for a ticket (nothing is stored or sent).

        The locale is ``locale`` if given and present, else the ticket's language, else the
        customer's locale, else the template's default. A value the template needs that is
        absent for this ticket raises ``RenderError``.
        """
        desk = _desk(self)
        with desk.storage.unit_of_work() as uow:
            work = Work(uow, desk.now())
            t = desk._load_ticket(work, ticket)
            _, agent_obj = self._agent(work, agent, t)
            template = name if isinstance(name, Template) else uow.templates.get(name)
            return self._render(work, template, t, agent_obj, locale)

    def _render(
        self,
        work: Work,
        template: Template,
        ticket: Ticket,
        agent: Agent | None,
        locale: str | None,
    ) -> RenderedTemplate:
        desk = _desk(self)
        customer = work.uow.customers.get(ticket.customer_id)
        ctx = RenderContext(
            ticket=ticket,
            customer=customer,
            agent=agent,
            now=work.now,
            timezone=desk.settings.timezone,
            kind=template.kind,
            customer_context=lambda: desk.customer_context(customer),
            desk=desk,
            work=work,
        )
        return render_template(template, ctx, self.template_variables, locale=locale)

    def _agent(self, work: Work, agent: AgentLike, ticket: Ticket) -> tuple[Actor, Agent | None]:
        """The acting actor and the agent whose name templates show.

        An agent (object, id or agent Actor) acts as themselves; the desk itself (None or
        ``Actor.system()``) or the bot acts on behalf of the ticket's assignee, if any.
        """
        desk = _desk(self)
        if isinstance(agent, Agent):
            return Actor.of_agent(agent), agent
        if isinstance(agent, str):
            found = work.uow.agents.get(agent)
            return Actor.of_agent(found), found
        who = desk._actor(agent)
        if who.kind is AuthorKind.AGENT and who.id is not None:
            found = work.uow.agents.get(who.id)
            return (who if who.roles else Actor.of_agent(found)), found
        if who.kind is AuthorKind.CUSTOMER:
            raise PermissionDenied(f"{who} cannot use reply templates")
        assignee = None
        if ticket.assignee_id is not None:
            try:
                assignee = work.uow.agents.get(ticket.assignee_id)
            except NotFound:
                assignee = None
        return who, assignee

    # ------------------------------------------------------------------ macros

    def save_macro(
        self,
        macro: Macro | str,
        *,
        author: Agent | Actor | Customer | str | None = None,
        expected_version: int | None = None,
        **definition: Any,
    ) -> Macro:
        """Save a macro (a new version when it exists), checked against this desk.

        ``save_macro("refund", shortcode="/refund", template="refund_started",
        set_priority="high", add_tags=["refund"], transition="pend")`` or
        ``save_macro(Macro(...))``. Its template must exist, its group and transition must be
        known, its note must be a valid template; all problems are listed in one
        ``InvalidDefinition``. A short code taken by another macro is ``AlreadyExists``.
        """
        desk = _desk(self)
        if isinstance(macro, Macro):
            if definition:
                raise InvalidInput("give a Macro or a name and its definition, not both")
            draft = macro
        else:
            draft = Macro.from_dict(macro, definition)
        with desk._work() as work:
            problems = self._macro_problems(work, draft)
            if problems:
                raise InvalidDefinition(f"macro {draft.name!r}", problems)
            return self._store_macro(work, draft, _author(author), expected_version)

    def _macro_problems(self, work: Work, macro: Macro) -> list[str]:
        desk = _desk(self)
        problems: list[str] = []
        if macro.template is not None:
            template = work.uow.templates.find(macro.template)
            if template is None:
                problems.append(f"template {macro.template!r} does not exist; save it first")
            elif template.kind != "reply":
                problems.append(
                    f"template {macro.template!r} is a {template.kind!r} template, not a reply"
                )
        if (
            macro.assign_group is not None
            and work.uow.groups.get_by_name(macro.assign_group) is None
        ):
            known = ", ".join(g.name for g in work.uow.groups.list()) or "none"
            problems.append(f"assign_group: no group {macro.assign_group!r} (groups: {known})")
        if macro.transition is not None:
            names = {t.name for lc in desk.lifecycles.values() for t in lc.transitions}
            if macro.transition not in names:
                problems.append(
                    f"transition: no lifecycle has a transition {macro.transition!r} "
                    f"(transitions: {', '.join(sorted(names))})"
                )
        if macro.note is not None:
            note = Template(name=f"{macro.name}.note", bodies={"en": macro.note}, kind="note")
            problems += [f"note: {p.removeprefix('en: ')}" for p in self.validate_template(note)]
        return problems

    def _store_macro(
        self, work: Work, draft: Macro, author: str | None, expected_version: int | None
    ) -> Macro:
        repo = work.uow.macros
        current = repo.find(draft.name)
        seen = 0 if current is None else current.version
        if expected_version is not None and expected_version != seen:
            raise ConcurrencyConflict("macro", draft.name, expected_version, seen)
        if current is not None:
            if current.to_dict() == draft.to_dict():
                return current
            new = attrs.evolve(
                draft, version=current.version + 1, updated_at=work.now, author=author
            )
            return repo.update(new, expected_version=current.version)
        history = repo.history(draft.name)
        version = history[-1].version + 1 if history else 1
        return repo.add(attrs.evolve(draft, version=version, updated_at=work.now, author=author))

    def get_macro(self, name_or_shortcode: str) -> Macro:
        """A macro by name or short code (``"/refund"``); ``NotFound`` if there is none."""
        with _desk(self).storage.unit_of_work() as uow:
            return _find_macro(uow, name_or_shortcode)

    def macros(self, prefix: str | None = None) -> list[Macro]:
        """The macros by name; with ``prefix`` (``"/re"``) those whose short code starts so."""
        with _desk(self).storage.unit_of_work() as uow:
            found = uow.macros.list()
        if prefix is None:
            return found
        start = prefix.strip().lower()
        start = start if start.startswith("/") else "/" + start
        return [m for m in found if m.shortcode is not None and m.shortcode.startswith(start)]

    def macro_history(self, name: str) -> list[Macro]:
        """Every saved version of a macro, oldest first."""
        with _desk(self).storage.unit_of_work() as uow:
            return uow.macros.history(name)

    def delete_macro(self, name: str) -> bool:
        """Delete a macro (its history stays)."""
        with _desk(self)._work() as work:
            return work.uow.macros.delete(name)

    def install_pack(
        self,
        pack: MacroPack | Mapping[str, Any] | str | Path,
        *,
        author: Agent | Actor | Customer | str | None = None,
    ) -> MacroPack:
        """Save a pack of templates and macros in one unit of work (all or nothing).

        Every problem of every entry is listed in one ``InvalidDefinition``. Entries that
        exist get a new version; identical ones are left alone.
        """
        desk = _desk(self)
        loaded = pack if isinstance(pack, MacroPack) else load_pack(pack)
        problems: list[str] = []
        for t in loaded.templates:
            problems += [f"templates.{t.name}: {p}" for p in self.validate_template(t)]
        who = _author(author)
        with desk._work() as work:
            if problems:
                raise InvalidDefinition("macro pack", problems)
            saved_templates = [self._store_template(work, t, who, None) for t in loaded.templates]
            for m in loaded.macros:
                problems += [f"macros.{m.name}: {p}" for p in self._macro_problems(work, m)]
            if problems:
                raise InvalidDefinition("macro pack", problems)
            saved_macros = [self._store_macro(work, m, who, None) for m in loaded.macros]
        return MacroPack(tuple(saved_templates), tuple(saved_macros))

    def install_starter_macros(
        self, *, author: Agent | Actor | Customer | str | None = None
    ) -> MacroPack:
        """Save the guide's first-reply, pending-reminder, apology and closing templates
        (Chinese and English) and their macros ``/greet``, ``/remind``, ``/sorry``, ``/close``.
        """
        return self.install_pack(starter_pack(), author=author)

    def expand_shortcode(
        self,
        shortcode: str,
        ticket: TicketRef,
        agent: AgentLike = None,
        locale: str | None = None,
    ) -> RenderedTemplate:
        """What a short code's reply would say on this ticket (for the agent's composer)."""
        desk = _desk(self)
        with desk.storage.unit_of_work() as uow:
            work = Work(uow, desk.now())
            macro = _find_macro(uow, shortcode)
            if macro.template is None:
                raise InvalidInput(f"macro {macro.name!r} has no reply template to expand")
            t = desk._load_ticket(work, ticket)
            _, agent_obj = self._agent(work, agent, t)
            template = work.uow.templates.get(macro.template)
            return self._render(work, template, t, agent_obj, locale)

    def apply_macro(
        self,
        ticket: TicketRef,
        name_or_shortcode: str | Macro,
        *,
        agent: AgentLike,
        locale: str | None = None,
        expected_version: int | None = None,
    ) -> MacroResult:
        """Apply a macro to a ticket: its field changes, note, reply and transition in ONE
        unit of work. Any failure (a transition not allowed from the ticket's state, a value
        the template needs that is absent, a vetoing plugin) stores nothing.

        ``agent`` is the agent applying it (an ``Agent``, an agent id or an agent ``Actor``);
        ``None`` or ``Actor.system()`` applies it as the desk (automation), with the ticket's
        assignee as ``{agent.name}``.
        """
        desk = _desk(self)
        with desk._work() as work:
            t = desk._load_ticket(work, ticket)
            who, agent_obj = self._agent(work, agent, t)
            desk._require_staff(who, "applying a macro")
            macro = (
                name_or_shortcode
                if isinstance(name_or_shortcode, Macro)
                else _find_macro(work.uow, name_or_shortcode)
            )
            return self.apply_macro_in(
                work,
                t,
                macro,
                actor=who,
                agent=agent_obj,
                locale=locale,
                expected_version=expected_version,
            )

    def apply_macro_in(
        self,
        work: Work,
        ticket: Ticket,
        macro: Macro | str,
        *,
        actor: Actor,
        agent: Agent | None = None,
        locale: str | None = None,
        expected_version: int | None = None,
    ) -> MacroResult:
        """Apply a macro inside a unit of work that is already open (automation rules,
        reactors). The caller commits; see :meth:`apply_macro` for the order of actions.
        Without ``agent``, ``{agent.*}`` is the acting agent, else the ticket's assignee.
        """
        desk = _desk(self)
        if isinstance(macro, str):
            macro = _find_macro(work.uow, macro)
        old = work.ticket(ticket.id)
        if agent is None:
            _, agent = self._agent(work, actor, old)
        desk._check_not_merged(old)
        if expected_version is not None and expected_version != old.version:
            raise ConcurrencyConflict("ticket", old.ref, expected_version, old.version)
        first_event = len(work.events)
        work.record(
            [
                desk._event(
                    work,
                    old,
                    MACRO_APPLIED,
                    actor,
                    macro=macro.name,
                    version=macro.version,
                    shortcode=macro.shortcode,
                    template=macro.template,
                )
            ]
        )
        current = old
        if macro.set_priority is not None:
            prio = Priority(macro.set_priority)
            if current.priority is not prio:
                event = desk._event(
                    work,
                    current,
                    ev.PRIORITY_CHANGED,
                    actor,
                    **{"from": current.priority.value, "to": prio.value},
                )
                current = work.save(current, attrs.evolve(current, priority=prio), [event])
        if macro.add_tags or macro.remove_tags:
            tags = (current.tags | set(macro.add_tags)) - set(macro.remove_tags)
            if tags != current.tags:
                event = desk._event(
                    work,
                    current,
                    ev.TAGS_CHANGED,
                    actor,
                    added=sorted(tags - current.tags),
                    removed=sorted(current.tags - tags),
                )
                current = work.save(current, attrs.evolve(current, tags=tags), [event])
        if macro.set_fields:
            current = self._set_fields(work, current, macro.set_fields, actor)
        if macro.assign_group is not None:
            group = desk._group(work, macro.assign_group)
            assert group is not None
            keep = None
            if current.assignee_id is not None:
                holder = work.uow.agents.get(current.assignee_id)
                keep = holder if group.id in holder.groups else None
            current = desk._assign(work, current, keep, group, actor, reason="macro")
            if keep is None:
                current = desk._auto_route(work, current)
        note = None
        if macro.note is not None:
            note_template = Template(
                name=f"{macro.name}.note",
                bodies={_note_locale(agent, current): macro.note},
                kind="note",
            )
            rendered_note = self._render(work, note_template, current, agent, None)
            note = Message(
                ticket_id=current.id,
                author_kind=actor.kind,
                author_id=actor.id,
                text=rendered_note.text,
                created_at=work.now,
                channel=None,
                public=False,
            )
            work.uow.messages.add(note)
            event = desk._event(work, current, ev.NOTE_ADDED, actor, message_id=note.id)
            current = work.save(current, current, [event])
        reply = None
        rendered = None
        if macro.template is not None:
            template = work.uow.templates.get(macro.template)
            rendered = self._render(work, template, current, agent, locale)
            reply, current = self._template_reply_in(
                work, current, rendered, actor, transition=macro.transition
            )
        elif macro.transition is not None:
            current = desk._fire(work, current, macro.transition, actor)
        return MacroResult(current, reply, note, rendered, list(work.events[first_event:]))

    def _set_fields(
        self, work: Work, current: Ticket, fields: Mapping[str, Any], actor: Actor
    ) -> Ticket:
        desk = _desk(self)
        values = dict(fields)
        if "custom_fields" in values:
            values["custom_fields"] = {**current.custom_fields, **dict(values["custom_fields"])}
        diff = {
            k: [_plain(getattr(current, k)), _plain(v)]
            for k, v in values.items()
            if getattr(current, k) != v
        }
        if not diff:
            return current
        event = desk._event(work, current, ev.FIELDS_CHANGED, actor, changes=diff)
        return work.save(current, attrs.evolve(current, **values), [event])

    # ------------------------------------------------------------------ replies

    def reply_with_template(
        self,
        ticket: TicketRef,
        template: str,
        *,
        author: AgentLike,
        locale: str | None = None,
        transition: str | None = None,
    ) -> Message:
        """Send a template as a public reply (like :meth:`reply`, in one unit of work)."""
        desk = _desk(self)
        with desk._work() as work:
            t = desk._load_ticket(work, ticket)
            who, agent_obj = self._agent(work, author, t)
            return self.reply_with_template_in(
                work,
                t,
                template,
                actor=who,
                agent=agent_obj,
                locale=locale,
                transition=transition,
            )

    def reply_with_template_in(
        self,
        work: Work,
        ticket: Ticket,
        template: str | Template,
        *,
        actor: Actor,
        agent: Agent | None = None,
        locale: str | None = None,
        transition: str | None = None,
    ) -> Message:
        """Send a template as a public reply inside an open unit of work (automation rules)."""
        current = work.ticket(ticket.id)
        _desk(self)._check_not_merged(current)
        if agent is None:
            _, agent = self._agent(work, actor, current)
        found = template if isinstance(template, Template) else work.uow.templates.get(template)
        rendered = self._render(work, found, current, agent, locale)
        message, _ = self._template_reply_in(work, current, rendered, actor, transition=transition)
        return message

    def _template_reply_in(
        self,
        work: Work,
        old: Ticket,
        rendered: RenderedTemplate,
        who: Actor,
        *,
        transition: str | None,
    ) -> tuple[Message, Ticket]:
        """A public reply with a rendered template in ``work`` (``Helpdesk._reply_in``)."""
        return _desk(self)._reply_in(
            work,
            old,
            rendered.text,
            who,
            html=rendered.html if rendered.has_html else None,
            transition=transition,
            event_data={
                "template": rendered.template,
                "template_version": rendered.version,
                "locale": rendered.locale,
            },
        )


def _find_macro(uow: Any, ref: str) -> Macro:
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidInput(f"name a macro or a short code like '/refund', got {ref!r}")
    if ref.strip().startswith("/"):
        found: Macro | None = uow.macros.find_by_shortcode(normalize_shortcode(ref))
    else:
        found = uow.macros.find(ref)
    if found is None:
        raise NotFound("macro", ref)
    return found


def _note_locale(agent: Agent | None, ticket: Ticket) -> str:
    for tag in (*sorted(agent.languages if agent else ()), ticket.language, "en"):
        candidates = locale_candidates(tag)
        if candidates:
            return candidates[0]
    return "en"


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value
