"""Reply templates (one per name, a body per locale) and macros (a reply plus field changes)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.macros.syntax import ValueFormatter, parse, render_nodes
from helpdesk_kit.macros.variables import RenderContext, TemplateVariables
from helpdesk_kit.tickets.model import Priority

__all__ = [
    "MACRO_ACTIONS",
    "Macro",
    "RenderedTemplate",
    "Template",
    "TemplateBody",
    "locale_candidates",
    "normalize_locale",
    "normalize_shortcode",
    "render_template",
    "validate_template",
]

_NAME = re.compile(r"^[\w][\w.\-]{0,199}$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_SHORTCODE = re.compile(r"^/[^\s/{}|]{1,40}$")
#: Fields a macro's ``set_fields`` may change (the ones ``Helpdesk.update_fields`` takes).
SETTABLE_FIELDS = ("subject", "category", "language", "custom_fields")


def normalize_locale(tag: str) -> str:
    """``zh_CN`` -> ``zh-cn``; ``InvalidInput`` for something that is not a language tag."""
    if not isinstance(tag, str):
        raise InvalidInput(f"a locale must be a language tag like 'zh' or 'en-GB', got {tag!r}")
    norm = tag.strip().replace("_", "-").lower()
    if not _LOCALE.match(norm):
        raise InvalidInput(f"not a language tag: {tag!r} (write e.g. 'zh', 'zh-CN', 'en')")
    return norm


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(_NAME.match(value))


def normalize_shortcode(code: str) -> str:
    """``refund`` or ``/Refund`` -> ``/refund``; ``InvalidInput`` when it cannot be one."""
    if not isinstance(code, str):
        raise InvalidInput(f"a short code must be text like '/refund', got {code!r}")
    norm = code.strip().lower()
    if not norm.startswith("/"):
        norm = "/" + norm
    if not _SHORTCODE.match(norm):
        raise InvalidInput(
            f"not a short code: {code!r} (a '/' and up to 40 characters without spaces, "
            "e.g. '/refund' or '/退款')"
        )
    return norm


@attrs.frozen
class TemplateBody:
    """A template's text in one locale, and optionally its HTML form."""

    text: str
    html: str | None = None


def _to_body(value: Any) -> TemplateBody:
    if isinstance(value, TemplateBody):
        return value
    if isinstance(value, str):
        return TemplateBody(value)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"text", "html"})
        if unknown:
            raise InvalidInput(f"a template body has 'text' and 'html', not {unknown}")
        text = value.get("text")
        page = value.get("html")
        if not isinstance(text, str) or (page is not None and not isinstance(page, str)):
            raise InvalidInput("a template body needs 'text' (and optionally 'html') as text")
        return TemplateBody(text, page)
    raise InvalidInput(f"a template body is text or {{'text': ..., 'html': ...}}, got {value!r}")


def _to_bodies(value: Any) -> dict[str, TemplateBody]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidInput(
            "a template needs its text per locale, e.g. {'zh': '您好…', 'en': 'Hello…'}"
        )
    out: dict[str, TemplateBody] = {}
    for tag, body in value.items():
        locale = normalize_locale(tag)
        if locale in out:
            raise InvalidInput(f"locale {locale!r} is given twice")
        out[locale] = _to_body(body)
    return out


def _opt_aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


@attrs.frozen
class Template:
    """A named reply template with a body per locale (``zh``, ``en``, ...).

    ``kind`` says which variables it may use (``reply`` by default; ``note`` for internal
    notes). ``default_locale`` is used when none of the reader's locales has a body (the
    first locale given, unless set). ``version``, ``updated_at`` and ``author`` are set by
    the desk when it saves the template.
    """

    name: str
    bodies: dict[str, TemplateBody] = attrs.field(converter=_to_bodies, hash=False)
    kind: str = "reply"
    description: str = ""
    default_locale: str = ""
    version: int = 1
    updated_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    author: str | None = None

    def __attrs_post_init__(self) -> None:
        if not _is_name(self.name):
            raise InvalidInput(
                f"a template name is letters, digits, '_', '.' or '-' (up to 200), "
                f"got {self.name!r}"
            )
        default = normalize_locale(self.default_locale) if self.default_locale else ""
        if not default:
            default = next(iter(self.bodies))
        if default not in self.bodies:
            raise InvalidInput(
                f"template {self.name!r}: default locale {default!r} has no body "
                f"(locales: {', '.join(self.bodies)})"
            )
        object.__setattr__(self, "default_locale", default)

    @property
    def locales(self) -> list[str]:
        """The locales it has a body in."""
        return list(self.bodies)

    def choose_locale(self, *preferred: str | None) -> str:
        """The first of ``preferred`` it has (exactly, or by language), else the default."""
        for tag in locale_candidates(*preferred):
            if tag in self.bodies:
                return tag
        return self.default_locale

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what :meth:`from_dict` and the TOML packs take)."""
        return {
            "kind": self.kind,
            "description": self.description,
            "default_locale": self.default_locale,
            "bodies": {
                k: ({"text": b.text, "html": b.html} if b.html is not None else b.text)
                for k, b in self.bodies.items()
            },
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Template:
        """Build from plain data: ``{"bodies": {"zh": "...", "en": "..."}, "kind": ...}``.

        The locales may also be given at the top level (``{"zh": "...", "en": "..."}``).
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(f"template {name!r} must be a table, got {data!r}")
        meta = {"kind", "description", "default_locale", "bodies"}
        bodies = dict(data.get("bodies") or {})
        for key, value in data.items():
            if key not in meta:
                bodies[key] = value
        try:
            return cls(
                name=name,
                bodies=bodies,
                kind=str(data.get("kind", "reply")),
                description=str(data.get("description", "")),
                default_locale=str(data.get("default_locale", "")),
            )
        except InvalidInput as exc:
            raise InvalidDefinition(f"template {name!r}", [str(exc)]) from None


def locale_candidates(*preferred: str | None) -> list[str]:
    """Tags to try in order: each preferred tag, then its shorter forms (``zh-cn`` -> ``zh``)."""
    out: list[str] = []
    for tag in preferred:
        if not tag:
            continue
        try:
            norm = normalize_locale(tag)
        except InvalidInput:
            continue
        parts = norm.split("-")
        for i in range(len(parts), 0, -1):
            cand = "-".join(parts[:i])
            if cand not in out:
                out.append(cand)
    return out


@attrs.frozen
class RenderedTemplate:
    """A template filled in for one ticket: plain text and HTML (values escaped in HTML)."""

    text: str
    html: str
    locale: str
    template: str
    version: int
    has_html: bool = False


def validate_template(template: Template, variables: TemplateVariables) -> list[str]:
    """Every problem of ``template`` against the variables offered to its kind."""
    problems: list[str] = []
    if template.kind not in variables.kinds():
        problems.append(
            f"unknown kind {template.kind!r} (kinds: {', '.join(sorted(variables.kinds()))})"
        )
    for loc in template.bodies:
        problems += _body_problems(template, loc, variables)
    return problems


def _body_problems(template: Template, loc: str, variables: TemplateVariables) -> list[str]:
    body = template.bodies[loc]
    problems: list[str] = []
    if not body.text.strip():
        problems.append(f"{loc}: the text is empty")
    for label, source in (("text", body.text), ("html", body.html)):
        if source is None:
            continue
        parsed = parse(source)
        prefix = f"{loc} {label}" if label == "html" else loc
        found = [(_where(p), p) for p in parsed.problems]
        for ph in parsed.placeholders:
            problem = variables.check(ph, template.kind)
            if problem:
                found.append(
                    ((ph.line, ph.column), f"line {ph.line}, column {ph.column}: {problem}")
                )
        problems += [f"{prefix}: {p}" for _, p in sorted(found, key=lambda f: f[0])]
    return problems


_WHERE = re.compile(r"^line (\d+), column (\d+)")


def _where(problem: str) -> tuple[int, int]:
    match = _WHERE.match(problem)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def render_template(
    template: Template,
    ctx: RenderContext,
    variables: TemplateVariables,
    *,
    locale: str | None = None,
) -> RenderedTemplate:
    """Fill in ``template`` for ``ctx`` in ``locale`` (else the ticket's, else the customer's).

    Raises ``InvalidDefinition`` if the template does not fit the variables (it was saved
    on a desk with other providers) and ``RenderError`` when a value it needs is absent.
    """
    chosen = template.choose_locale(locale, ctx.ticket.language, ctx.customer.locale)
    kind_problem = (
        [] if template.kind in variables.kinds() else validate_template(template, variables)
    )
    problems = kind_problem or _body_problems(template, chosen, variables)
    if problems:
        raise InvalidDefinition(f"template {template.name!r}", problems)
    ctx.locale = chosen
    body = template.bodies[chosen]
    cache: dict[str, Any] = {}
    formatter = ValueFormatter(chosen, ctx.timezone)

    def resolve(ph: Any) -> Any:
        return variables.resolve(ph, ctx, cache)

    what = f"template {template.name!r} ({chosen})"
    text = render_nodes(parse(body.text).nodes, resolve, formatter, what=what)
    if body.html is not None:
        page = render_nodes(parse(body.html).nodes, resolve, formatter, escape=True, what=what)
    else:
        page = html.escape(text, quote=False).replace("\n", "<br>\n")
    return RenderedTemplate(
        text, page, chosen, template.name, template.version, has_html=body.html is not None
    )


# ---------------------------------------------------------------------------------- macros

#: The keys of a macro definition besides its name, shortcode, description and template.
MACRO_ACTIONS = (
    "set_priority",
    "add_tags",
    "remove_tags",
    "set_fields",
    "assign_group",
    "note",
    "transition",
)


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise InvalidInput(f"tags must be a list of text, got {value!r}")
    return tuple(sorted({str(v).strip() for v in value}))


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


@attrs.frozen
class Macro:
    """A canned action for agents: an optional reply template plus field changes.

    Applied as one unit of work in this order: ``set_priority``, ``add_tags`` /
    ``remove_tags``, ``set_fields``, ``assign_group``, ``note`` (an internal note, itself a
    template of kind ``note``), the reply from ``template``, then ``transition`` (which, as
    with ``reply(transition=...)``, replaces the lifecycle's automatic reply transition).
    """

    name: str
    shortcode: str | None = None
    description: str = ""
    template: str | None = None
    set_priority: str | None = None
    add_tags: tuple[str, ...] = attrs.field(default=(), converter=_tags)
    remove_tags: tuple[str, ...] = attrs.field(default=(), converter=_tags)
    set_fields: dict[str, Any] = attrs.field(factory=dict, converter=dict, hash=False)
    assign_group: str | None = None
    note: str | None = attrs.field(default=None, converter=_opt_text)
    transition: str | None = None
    version: int = 1
    updated_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    author: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = self.shape_problems()
        if problems:
            raise InvalidDefinition(f"macro {self.name!r}", problems)
        if self.shortcode is not None:
            object.__setattr__(self, "shortcode", normalize_shortcode(self.shortcode))

    def shape_problems(self) -> list[str]:
        """Problems that need no desk to find (names, priority, tags, fields)."""
        problems: list[str] = []
        if not _is_name(self.name):
            problems.append(
                f"a macro name is letters, digits, '_', '.' or '-' (up to 200), got {self.name!r}"
            )
        if self.shortcode is not None:
            try:
                normalize_shortcode(self.shortcode)
            except InvalidInput as exc:
                problems.append(str(exc))
        if self.template is not None and not _is_name(self.template):
            problems.append(f"template {self.template!r} is not a template name")
        if self.set_priority is not None and self.set_priority not in {p.value for p in Priority}:
            problems.append(
                f"set_priority: unknown priority {self.set_priority!r} "
                f"(use {', '.join(p.value for p in Priority)})"
            )
        for tag in (*self.add_tags, *self.remove_tags):
            if not tag:
                problems.append("tags must be non-empty")
                break
        both = sorted(set(self.add_tags) & set(self.remove_tags))
        if both:
            problems.append(f"tags both added and removed: {', '.join(both)}")
        unknown = sorted(set(self.set_fields) - set(SETTABLE_FIELDS))
        if unknown:
            problems.append(
                f"set_fields: cannot set {', '.join(unknown)} "
                f"(settable: {', '.join(SETTABLE_FIELDS)})"
            )
        cf = self.set_fields.get("custom_fields")
        if cf is not None and not isinstance(cf, Mapping):
            problems.append("set_fields: custom_fields must be a table of values")
        if self.note is not None and not self.note.strip():
            problems.append("note: the text is empty")
        if self.transition is not None and not _is_name(self.transition):
            problems.append(f"transition {self.transition!r} is not a transition name")
        if self.assign_group is not None and not str(self.assign_group).strip():
            problems.append("assign_group: the group name is empty")
        if self.is_empty:
            problems.append("the macro does nothing: give a template and/or actions")
        return problems

    @property
    def is_empty(self) -> bool:
        """True when it neither replies nor changes anything."""
        return not (
            self.template
            or self.set_priority
            or self.add_tags
            or self.remove_tags
            or self.set_fields
            or self.assign_group
            or self.note
            or self.transition
        )

    def actions(self) -> dict[str, Any]:
        """The actions as plain data (only those it has)."""
        out: dict[str, Any] = {}
        for key in MACRO_ACTIONS:
            value = getattr(self, key)
            if value:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what :meth:`from_dict` and the TOML packs take)."""
        out: dict[str, Any] = {"description": self.description}
        if self.shortcode:
            out["shortcode"] = self.shortcode
        if self.template:
            out["template"] = self.template
        out.update(self.actions())
        return out

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Macro:
        """Build from plain data; unknown keys and bad values are listed together."""
        if not isinstance(data, Mapping):
            raise InvalidDefinition(f"macro {name!r}", [f"must be a table, got {data!r}"])
        allowed = {"shortcode", "description", "template", *MACRO_ACTIONS}
        unknown = sorted(set(data) - allowed)
        problems = [f"unknown key {k!r} (keys: {', '.join(sorted(allowed))})" for k in unknown]
        kwargs = {k: v for k, v in data.items() if k in allowed}
        if "set_fields" in kwargs and not isinstance(kwargs["set_fields"], Mapping):
            problems.append("set_fields must be a table, e.g. {category = 'refund'}")
            kwargs.pop("set_fields")
        try:
            macro = cls(name=name, **kwargs)
        except InvalidDefinition as exc:
            raise InvalidDefinition(f"macro {name!r}", problems + exc.problems) from None
        except (InvalidInput, TypeError) as exc:
            raise InvalidDefinition(f"macro {name!r}", [*problems, str(exc)]) from None
        if problems:
            raise InvalidDefinition(f"macro {name!r}", problems)
        return macro
