"""Web-form definitions: typed fields, validation of a submission, spam checks.

A :class:`FormDefinition` is data (build it in code, from a dict or from TOML) and is checked
when it is built: every problem is listed in one ``InvalidDefinition``. ``validate`` turns
what a browser posted into a :class:`FormSubmission` with typed values, or raises
:class:`~helpdesk_kit.errors.FormInvalid` with every problem of every field.
"""

from __future__ import annotations

import enum
import fnmatch
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import FormInvalid, InvalidDefinition, InvalidInput
from helpdesk_kit.tickets.model import MAX_SUBJECT_LENGTH, Identity, Priority

__all__ = [
    "Choice",
    "FieldType",
    "FormDefinition",
    "FormField",
    "FormSubmission",
    "Target",
    "Upload",
    "forms_from_toml",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Default length limits of text fields (single line, multiline).
TEXT_LIMIT = 500
MULTILINE_LIMIT = 20_000


class FieldType(enum.StrEnum):
    """The kinds of fields a form can have."""

    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    NUMBER = "number"
    DATE = "date"
    FILE = "file"


class Target(enum.StrEnum):
    """What a field's value becomes on the ticket (anything else is a custom field)."""

    SUBJECT = "subject"
    MESSAGE = "message"
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    CATEGORY = "category"
    PRIORITY = "priority"


#: Which field types may feed which target.
_TARGET_TYPES = {
    Target.SUBJECT: {FieldType.TEXT, FieldType.CHOICE},
    Target.MESSAGE: {FieldType.TEXT},
    Target.NAME: {FieldType.TEXT},
    Target.EMAIL: {FieldType.EMAIL},
    Target.PHONE: {FieldType.PHONE},
    Target.CATEGORY: {FieldType.CHOICE},
    Target.PRIORITY: {FieldType.CHOICE},
}


@attrs.frozen
class Choice:
    """One option of a choice field: the stored ``value`` and the ``label`` people see."""

    value: str
    label: str = ""

    @property
    def shown(self) -> str:
        """The label, or the value when there is none."""
        return self.label or self.value


def _choices(values: Any) -> tuple[Choice, ...]:
    out = []
    for item in values or ():
        if isinstance(item, Choice):
            out.append(item)
        elif isinstance(item, str):
            out.append(Choice(item))
        elif isinstance(item, Mapping):
            out.append(Choice(str(item.get("value", "")), str(item.get("label", ""))))
        else:
            out.append(Choice(str(item)))
    return tuple(out)


def _strs(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(str(v) for v in values or ())


def _opt_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"not a date (YYYY-MM-DD): {value!r}") from None


@attrs.frozen
class FormField:
    """One field of a form.

    ``type`` is a :class:`FieldType`; ``target`` says what the value becomes on the ticket
    (subject, message, the customer's name/email/phone, category, priority), else it is kept
    in the ticket's ``custom_fields`` under ``name``. Limits by type: text ``min_length``,
    ``max_length``, ``pattern`` (a regular expression the whole value must match),
    ``multiline``; choices ``choices`` (values or ``{value, label}``), multi-choice
    ``min_selected``/``max_selected``; number ``minimum``/``maximum``/``integer``; date
    ``min_date``/``max_date``; file ``max_files``, ``max_size`` (bytes per file),
    ``content_types`` (``"image/*"``, ``"application/pdf"``) and ``extensions``
    (``".jpg"``).
    """

    name: str
    type: FieldType = attrs.field(converter=FieldType)
    label: str = ""
    required: bool = False
    help: str = ""
    target: Target | None = attrs.field(default=None, converter=attrs.converters.optional(Target))
    min_length: int = 0
    max_length: int | None = None
    pattern: str | None = None
    multiline: bool = False
    choices: tuple[Choice, ...] = attrs.field(default=(), converter=_choices)
    min_selected: int = 0
    max_selected: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    min_date: date | None = attrs.field(default=None, converter=_opt_date)
    max_date: date | None = attrs.field(default=None, converter=_opt_date)
    max_files: int = 1
    max_size: int = 10 * 1024 * 1024
    content_types: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    extensions: tuple[str, ...] = attrs.field(default=(), converter=_strs)

    @property
    def shown(self) -> str:
        """The label, or the name when there is none."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def text_limit(self) -> int:
        """The longest text accepted."""
        if self.max_length is not None:
            return self.max_length
        return MULTILINE_LIMIT if self.multiline else TEXT_LIMIT

    def problems(self) -> list[str]:
        """What is inconsistent in this field's definition."""
        p: list[str] = []
        where = f"field {self.name!r}"
        if not _NAME.match(self.name):
            p.append(f"{where}: names are lower-case letters, digits and _ (e.g. 'order_no')")
        if self.min_length < 0 or (self.max_length is not None and self.max_length < 1):
            p.append(f"{where}: lengths must be positive")
        if self.max_length is not None and self.min_length > self.max_length:
            p.append(f"{where}: min_length {self.min_length} > max_length {self.max_length}")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                p.append(f"{where}: pattern is not a regular expression ({exc})")
        choice_types = (FieldType.CHOICE, FieldType.MULTI_CHOICE)
        if self.type in choice_types:
            values = [c.value for c in self.choices]
            if not values:
                p.append(f"{where}: a {self.type.value} field needs choices")
            if any(not v for v in values):
                p.append(f"{where}: choice values must not be empty")
            if len(set(values)) != len(values):
                p.append(f"{where}: choice values must be unique")
        elif self.choices:
            p.append(f"{where}: only choice fields have choices")
        if self.type is FieldType.MULTI_CHOICE:
            top = len(self.choices) if self.max_selected is None else self.max_selected
            if self.min_selected < 0 or self.min_selected > top:
                p.append(f"{where}: min_selected must be between 0 and {top}")
        for bound in (self.minimum, self.maximum):
            if bound is not None and not math.isfinite(bound):
                p.append(f"{where}: number bounds must be finite")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            p.append(f"{where}: minimum {self.minimum} > maximum {self.maximum}")
        if self.min_date and self.max_date and self.min_date > self.max_date:
            p.append(f"{where}: min_date {self.min_date} > max_date {self.max_date}")
        if self.type is FieldType.FILE:
            if self.max_files < 1:
                p.append(f"{where}: max_files must be at least 1")
            if self.max_size < 1:
                p.append(f"{where}: max_size must be at least 1 byte")
            bad = [c for c in self.content_types if "/" not in c]
            if bad:
                p.append(f"{where}: content types look like 'image/png' or 'image/*', got {bad}")
            bad = [e for e in self.extensions if not e.startswith(".")]
            if bad:
                p.append(f"{where}: extensions start with a dot ('.pdf'), got {bad}")
        if self.target is not None and self.type not in _TARGET_TYPES[self.target]:
            allowed = ", ".join(sorted(t.value for t in _TARGET_TYPES[self.target]))
            p.append(
                f"{where}: a {self.type.value} field cannot be the {self.target.value}"
                f" (use a {allowed} field)"
            )
        if self.target is Target.PRIORITY:
            bad = [c.value for c in self.choices if c.value not in {x.value for x in Priority}]
            if bad:
                p.append(f"{where}: priority choices must be priorities, not {bad}")
        return p

    # ------------------------------------------------------------------ values

    def clean(self, raw: Any, files: Sequence[Upload]) -> tuple[Any, list[str]]:
        """The typed value of a submitted ``raw`` value (or ``files``) and its problems.

        A missing optional value is ``None`` (``[]`` for multi-choice and files).
        """
        if self.type is FieldType.FILE:
            return self._files(files)
        if self.type is FieldType.MULTI_CHOICE:
            return self._multi(raw)
        if isinstance(raw, list | tuple):
            if len(raw) > 1:
                return None, ["give one value"]
            raw = raw[0] if raw else None
        if raw is not None and not isinstance(raw, str | int | float | Decimal | date):
            return None, [f"unexpected value of type {type(raw).__name__}"]
        text = "" if raw is None else str(raw).strip()
        if not text:
            return None, (["is required"] if self.required else [])
        if "\x00" in text:
            return None, ["contains a NUL character"]
        handler = {
            FieldType.TEXT: self._text,
            FieldType.EMAIL: self._email,
            FieldType.PHONE: self._phone,
            FieldType.CHOICE: self._choice,
            FieldType.NUMBER: self._number,
            FieldType.DATE: self._date,
        }[self.type]
        return handler(text)

    def _text(self, text: str) -> tuple[Any, list[str]]:
        text = _CONTROL.sub("", text.replace("\r\n", "\n"))
        if not self.multiline and "\n" in text:
            return None, ["must be one line"]
        if len(text) < self.min_length:
            return None, [f"must be at least {self.min_length} characters"]
        if len(text) > self.text_limit:
            return None, [f"must be at most {self.text_limit} characters (got {len(text)})"]
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            return None, ["is not in the expected format"]
        return text, []

    def _email(self, text: str) -> tuple[Any, list[str]]:
        if len(text) > 254 or not _EMAIL.match(text):
            return None, ["is not an e-mail address"]
        return Identity("email", text).value, []

    def _phone(self, text: str) -> tuple[Any, list[str]]:
        try:
            value = Identity("phone", text).value
        except InvalidInput:
            return None, ["is not a phone number"]
        digits = value.lstrip("+")
        if not 5 <= len(digits) <= 15:
            return None, ["is not a phone number (5 to 15 digits)"]
        return value, []

    def _choice(self, text: str) -> tuple[Any, list[str]]:
        if text not in {c.value for c in self.choices}:
            return None, [f"{text!r} is not one of the choices"]
        return text, []

    def _multi(self, raw: Any) -> tuple[Any, list[str]]:
        if raw is None:
            values: list[str] = []
        elif isinstance(raw, str):
            values = [raw]
        elif isinstance(raw, list | tuple):
            values = [str(v) for v in raw]
        else:
            return [], [f"unexpected value of type {type(raw).__name__}"]
        values = [v.strip() for v in values if v.strip()]
        if not values:
            return [], (["is required"] if self.required else [])
        allowed = {c.value for c in self.choices}
        bad = [v for v in values if v not in allowed]
        if bad:
            return [], [f"{', '.join(repr(b) for b in bad)} not among the choices"]
        unique = list(dict.fromkeys(values))
        low = max(self.min_selected, 1 if self.required else 0)
        if len(unique) < low:
            return [], [f"choose at least {low}"]
        if self.max_selected is not None and len(unique) > self.max_selected:
            return [], [f"choose at most {self.max_selected}"]
        return unique, []

    def _number(self, text: str) -> tuple[Any, list[str]]:
        try:
            value = Decimal(text.replace(",", "").replace("_", ""))
        except InvalidOperation:
            return None, ["is not a number"]
        if not value.is_finite():
            return None, ["is not a number"]
        if self.integer and value != value.to_integral_value():
            return None, ["must be a whole number"]
        if self.minimum is not None and value < Decimal(str(self.minimum)):
            return None, [f"must be at least {_plain_number(self.minimum)}"]
        if self.maximum is not None and value > Decimal(str(self.maximum)):
            return None, [f"must be at most {_plain_number(self.maximum)}"]
        if value == value.to_integral_value() and abs(value) < 10**15:
            return int(value), []
        return float(value), []

    def _date(self, text: str) -> tuple[Any, list[str]]:
        try:
            value = date.fromisoformat(text)
        except ValueError:
            return None, ["is not a date (YYYY-MM-DD)"]
        if self.min_date is not None and value < self.min_date:
            return None, [f"must be on or after {self.min_date.isoformat()}"]
        if self.max_date is not None and value > self.max_date:
            return None, [f"must be on or before {self.max_date.isoformat()}"]
        return value, []

    def _files(self, files: Sequence[Upload]) -> tuple[Any, list[str]]:
        uploads = [f for f in files if f.filename or f.content]
        if not uploads:
            return [], (["is required"] if self.required else [])
        problems: list[str] = []
        if len(uploads) > self.max_files:
            problems.append(f"at most {self.max_files} file(s), got {len(uploads)}")
        for up in uploads:
            name = up.safe_filename
            if up.size == 0:
                problems.append(f"{name}: the file is empty")
            elif up.size > self.max_size:
                problems.append(
                    f"{name}: {_size(up.size)} is larger than the limit of {_size(self.max_size)}"
                )
            if self.content_types and not any(
                fnmatch.fnmatchcase(up.content_type.lower(), pat.lower())
                for pat in self.content_types
            ):
                problems.append(
                    f"{name}: type {up.content_type} is not allowed "
                    f"(allowed: {', '.join(self.content_types)})"
                )
            suffix = PurePosixPath(name).suffix.lower()
            if self.extensions and suffix not in {e.lower() for e in self.extensions}:
                problems.append(
                    f"{name}: files ending in {suffix or '(nothing)'} are not allowed "
                    f"(allowed: {', '.join(self.extensions)})"
                )
        return (uploads if not problems else []), problems


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


@attrs.frozen
class Upload:
    """A file someone uploaded with a form (what the web framework handed over)."""

    filename: str
    content_type: str = "application/octet-stream"
    content: bytes = attrs.field(default=b"", repr=False)

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return len(self.content)

    @property
    def safe_filename(self) -> str:
        """The file name without any folder part or control characters."""
        name = PureWindowsPath(PurePosixPath(self.filename).name).name
        name = _CONTROL.sub("", name).replace("\n", "").replace("\r", "").strip()
        return name[:200] or "upload.bin"


@attrs.frozen
class FormSubmission:
    """A validated submission: typed values and what they become on the ticket.

    ``spam`` says why the submission looks automated (honeypot filled, sent too fast);
    such a submission should be thanked for and dropped.
    """

    form: str
    values: dict[str, Any] = attrs.Factory(dict)
    files: dict[str, list[Upload]] = attrs.Factory(dict)
    subject: str = ""
    text: str = ""
    name: str = ""
    email: str | None = None
    phone: str | None = None
    category: str | None = None
    priority: str | None = None
    custom_fields: dict[str, Any] = attrs.Factory(dict)
    spam: str | None = None

    @property
    def identities(self) -> list[Identity]:
        """The submitter's identities, e-mail first."""
        out = []
        if self.email:
            out.append(Identity("email", self.email))
        if self.phone:
            out.append(Identity("phone", self.phone))
        return out


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _field_list(values: Any) -> tuple[FormField, ...]:
    out = []
    for item in values or ():
        if isinstance(item, FormField):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(_field_from_dict(item))
        else:
            raise InvalidInput(f"a form field must be a FormField or a dict, got {item!r}")
    return tuple(out)


_FIELD_KEYS = {a.name for a in attrs.fields(FormField)}


def _field_from_dict(d: Mapping[str, Any]) -> FormField:
    problems = []
    unknown = sorted(set(d) - _FIELD_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {unknown} (known: {', '.join(sorted(_FIELD_KEYS))})")
    for key in ("name", "type"):
        if key not in d:
            problems.append(f"missing {key!r}")
    if problems:
        raise InvalidDefinition(f"form field {d.get('name', '?')!r}", problems)
    try:
        return FormField(**{k: v for k, v in d.items() if k in _FIELD_KEYS})
    except (ValueError, TypeError) as exc:
        raise InvalidDefinition(f"form field {d.get('name', '?')!r}", [str(exc)]) from None


@attrs.frozen
class FormDefinition:
    """A web form: fields, spam defences, and how a submission becomes a ticket.

    ``honeypot`` names a hidden field people never fill in (bots do); ``min_fill_seconds``
    is the least time a person needs (pass ``rendered_at`` to :meth:`validate`);
    ``max_total_size`` bounds all files together. ``subject`` is a template filled with the
    values (``"{topic}: {order_no}"``) used when no field is the subject; ``category``,
    ``priority``, ``group``, ``tags`` and ``lifecycle`` apply to every ticket of the form
    (a field targeting category or priority wins).
    """

    name: str
    fields: tuple[FormField, ...] = attrs.field(converter=_field_list)
    title: str = ""
    honeypot: str | None = "website"
    min_fill_seconds: float = 0.0
    max_total_size: int = 25 * 1024 * 1024
    subject: str | None = None
    category: str | None = None
    priority: str | None = None
    group: str | None = None
    tags: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    lifecycle: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = [p for f in self.fields for p in f.problems()]
        if not _NAME.match(self.name or ""):
            problems.append("form names are lower-case letters, digits and _ (e.g. 'contact')")
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"field names must be unique: {dupes}")
        if not self.fields:
            problems.append("a form needs fields")
        targets = [f.target for f in self.fields if f.target is not None]
        for target in sorted({t for t in targets if targets.count(t) > 1}):
            problems.append(f"only one field can be the {target.value}")
        if not any(f.type in (FieldType.EMAIL, FieldType.PHONE) for f in self.fields):
            problems.append("a form needs an email or phone field to know who asks")
        if self.honeypot is not None and (self.honeypot in names or not self.honeypot):
            problems.append(f"the honeypot {self.honeypot!r} must not be one of the fields")
        if self.min_fill_seconds < 0 or not math.isfinite(self.min_fill_seconds):
            problems.append("min_fill_seconds must be 0 or more")
        if self.max_total_size < 1:
            problems.append("max_total_size must be at least 1 byte")
        if self.priority is not None and self.priority not in {p.value for p in Priority}:
            problems.append(f"unknown priority {self.priority!r}")
        if self.subject is not None:
            try:
                self.subject.format_map(_Blank())
            except (ValueError, IndexError, AttributeError) as exc:
                problems.append(f"subject template {self.subject!r} is broken: {exc}")
        if problems:
            raise InvalidDefinition(f"form {self.name!r}", problems)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FormDefinition:
        """Build a form from a dict (as read from TOML or JSON); problems are listed."""
        if not isinstance(d, Mapping):
            raise InvalidInput(f"a form definition is a mapping, got {type(d).__name__}")
        known = {a.name for a in attrs.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InvalidDefinition(
                f"form {d.get('name', '?')!r}",
                [f"unknown key(s) {unknown} (known: {', '.join(sorted(known))})"],
            )
        if "name" not in d or "fields" not in d:
            raise InvalidDefinition(f"form {d.get('name', '?')!r}", ["needs 'name' and 'fields'"])
        try:
            return cls(**dict(d))
        except TypeError as exc:
            raise InvalidDefinition(f"form {d.get('name', '?')!r}", [str(exc)]) from None

    @classmethod
    def from_toml(cls, text: str) -> FormDefinition:
        """Build a form from TOML (top-level keys of the form, ``[[fields]]`` tables)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"the form definition is not valid TOML: {exc}") from None
        return cls.from_dict(data)

    def field(self, name: str) -> FormField:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise InvalidInput(f"form {self.name!r} has no field {name!r}")

    def validate(
        self,
        data: Mapping[str, Any],
        files: Mapping[str, Sequence[Upload]] | None = None,
        *,
        now: datetime | None = None,
        rendered_at: datetime | None = None,
    ) -> FormSubmission:
        """Check a submission; return it typed, or raise ``FormInvalid`` listing every problem.

        ``data`` maps field names to the posted strings (a list for multi-choice); ``files``
        maps file fields to uploads. Keys that are not fields are ignored. When the honeypot
        is filled, or the form came back sooner than ``min_fill_seconds`` after
        ``rendered_at``, the submission is returned with ``spam`` set and nothing else
        checked.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(f"form data must be a mapping, got {type(data).__name__}")
        files = files or {}
        spam = self._spam(data, now, rendered_at)
        if spam is not None:
            return FormSubmission(form=self.name, spam=spam)
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        uploads: dict[str, list[Upload]] = {}
        for f in self.fields:
            value, problems = f.clean(data.get(f.name), list(files.get(f.name, ())))
            if problems:
                errors[f.name] = problems
            elif f.type is FieldType.FILE:
                uploads[f.name] = value
            else:
                values[f.name] = value
        total = sum(u.size for ups in uploads.values() for u in ups)
        if total > self.max_total_size:
            errors.setdefault("files", []).append(
                f"all files together are {_size(total)}; the limit is {_size(self.max_total_size)}"
            )
        by_target = {f.target: f for f in self.fields if f.target is not None}
        contact = [f for f in self.fields if f.type in (FieldType.EMAIL, FieldType.PHONE)]
        if not errors and not any(values.get(f.name) for f in contact):
            errors["contact"] = [
                "give " + " or ".join(f.shown.lower() for f in contact) + " so we can answer"
            ]
        if errors:
            raise FormInvalid(self.name, errors)
        return self._submission(values, uploads, by_target)

    def _spam(
        self, data: Mapping[str, Any], now: datetime | None, rendered_at: datetime | None
    ) -> str | None:
        if self.honeypot is not None:
            trap = data.get(self.honeypot)
            if isinstance(trap, list | tuple):
                trap = "".join(str(t) for t in trap)
            if trap is not None and str(trap).strip():
                return f"the hidden field {self.honeypot!r} was filled in"
        if self.min_fill_seconds > 0:
            if rendered_at is None:
                return "the form's render time is unknown (form token missing or invalid)"
            if now is None:
                raise InvalidInput("validate() needs now= when rendered_at is given")
            took = ensure_aware(now, "now") - ensure_aware(rendered_at, "rendered_at")
            seconds = took.total_seconds()
            if seconds < self.min_fill_seconds:
                return (
                    f"filled in {max(seconds, 0):.1f} s; people need at least "
                    f"{self.min_fill_seconds:g} s"
                )
        return None

    def _submission(
        self,
        values: dict[str, Any],
        uploads: dict[str, list[Upload]],
        by_target: Mapping[Target, FormField],
    ) -> FormSubmission:
        def target(t: Target) -> Any:
            f = by_target.get(t)
            return None if f is None else values.get(f.name)

        email = target(Target.EMAIL)
        phone = target(Target.PHONE)
        # an email/phone field without a target still tells who asks
        for f in self.fields:
            if f.type is FieldType.EMAIL and email is None:
                email = values.get(f.name)
            if f.type is FieldType.PHONE and phone is None:
                phone = values.get(f.name)
        targeted = {f.name for f in by_target.values()}
        custom = {
            name: (v.isoformat() if isinstance(v, date) else v)
            for name, v in values.items()
            if name not in targeted and v not in (None, [], "")
        }
        subject = target(Target.SUBJECT)
        if subject and (f := by_target[Target.SUBJECT]).type is FieldType.CHOICE:
            subject = next((c.shown for c in f.choices if c.value == subject), subject)
        if not subject and self.subject:
            shown = _Blank(
                {
                    k: ", ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                    for k, v in values.items()
                }
            )
            subject = " ".join(self.subject.format_map(shown).split())
        if not subject:
            subject = self.title or self.name.replace("_", " ").capitalize()
        if len(subject) > MAX_SUBJECT_LENGTH:
            subject = subject[: MAX_SUBJECT_LENGTH - 1] + "…"
        return FormSubmission(
            form=self.name,
            values=values,
            files=uploads,
            subject=subject,
            text=self._text(values, uploads, by_target),
            name=target(Target.NAME) or "",
            email=email,
            phone=phone,
            category=target(Target.CATEGORY) or self.category,
            priority=target(Target.PRIORITY) or self.priority,
            custom_fields=custom,
        )

    def _text(
        self,
        values: Mapping[str, Any],
        uploads: Mapping[str, list[Upload]],
        by_target: Mapping[Target, FormField],
    ) -> str:
        """The first message: the message field, then every other answer with its label."""
        message_field = by_target.get(Target.MESSAGE)
        body = values.get(message_field.name) if message_field else None
        skip = {f.name for t, f in by_target.items() if t in (Target.MESSAGE, Target.SUBJECT)}
        lines = []
        for f in self.fields:
            if f.name in skip:
                continue
            if f.type is FieldType.FILE:
                names = [u.safe_filename for u in uploads.get(f.name, [])]
                shown = ", ".join(names)
            else:
                shown = _show(f, values.get(f.name))
            if shown:
                lines.append(f"{f.shown}: {shown}")
        parts = [body] if body else []
        if lines:
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def labels(self) -> dict[str, str]:
        """Field names and their labels (for showing custom fields to agents)."""
        return {f.name: f.shown for f in self.fields}


def _show(f: FormField, value: Any) -> str:
    if value is None or value == []:
        return ""
    if f.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        labels = {c.value: c.shown for c in f.choices}
        items = [str(v) for v in (value if isinstance(value, list) else [value])]
        return ", ".join(labels.get(v) or v for v in items)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def forms_from_toml(text: str) -> list[FormDefinition]:
    """Several forms from one TOML document of ``[[form]]`` tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"the forms file is not valid TOML: {exc}") from None
    tables = data.get("form")
    if not isinstance(tables, list) or not tables:
        raise InvalidInput("a forms file holds [[form]] tables")
    return [FormDefinition.from_dict(t) for t in tables]
