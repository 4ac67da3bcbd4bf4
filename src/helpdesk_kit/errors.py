"""The exceptions helpdesk_kit raises: one base class and specific subclasses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class HelpdeskError(Exception):
    """Base class of every error helpdesk_kit raises on purpose."""


class InvalidInput(HelpdeskError, ValueError):
    """Input from outside (a caller, a channel, a file) is not acceptable.

    ``problems`` lists every problem found when several were checked at once.
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems: list[str] = list(problems)
        if self.problems and message.rstrip().endswith(":"):
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class InvalidDefinition(HelpdeskError, ValueError):
    """A definition (lifecycle, policy, rule, template, form) is inconsistent.

    Every problem found is listed in ``problems``; the message shows them all.
    """

    def __init__(self, what: str, problems: Sequence[str]) -> None:
        self.what = what
        self.problems: list[str] = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{what} is invalid ({len(self.problems)} problem(s)):\n{lines}")


class NotFound(HelpdeskError, LookupError):
    """A ticket, customer, agent or other record does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class TransitionNotAllowed(HelpdeskError):
    """The transition does not exist from the ticket's current state."""

    def __init__(
        self, transition: str, state: str, allowed: Sequence[str], lifecycle: str = ""
    ) -> None:
        self.transition = transition
        self.state = state
        self.allowed = list(allowed)
        self.lifecycle = lifecycle
        allowed_text = ", ".join(self.allowed) if self.allowed else "none"
        super().__init__(
            f"transition {transition!r} is not allowed from {state!r} (allowed: {allowed_text})"
        )


class GuardFailed(HelpdeskError):
    """A guard on a transition (such as a close criterion) said no."""

    def __init__(self, transition: str, guard: str, reason: str) -> None:
        self.transition = transition
        self.guard = guard
        self.reason = reason
        super().__init__(f"transition {transition!r} blocked by guard {guard!r}: {reason}")


class PermissionDenied(HelpdeskError):
    """The actor lacks the role or authority an operation needs."""


class ConcurrencyConflict(HelpdeskError):
    """Someone else changed the record first (its version moved on); reload and retry."""

    def __init__(self, kind: str, key: object, expected: int, actual: int | None) -> None:
        self.kind = kind
        self.key = key
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{kind} {key!r} was changed concurrently (expected version {expected}, "
            f"found {actual}); reload it and retry"
        )


class AlreadyExists(HelpdeskError):
    """A record with the same unique key is already stored (a retried delivery, a taken handle)."""

    def __init__(self, kind: str, key: object, existing_id: str | None = None) -> None:
        self.kind = kind
        self.key = key
        self.existing_id = existing_id
        super().__init__(f"{kind} {key!r} already exists")


class PluginError(HelpdeskError):
    """A plugin is broken, unknown or misconfigured (for example a misspelled hook)."""


class ConfigurationError(HelpdeskError):
    """The desk cannot be set up as asked (bad URL, missing driver, unreachable server)."""


class StorageError(HelpdeskError):
    """The storage backend failed in a way that is not the caller's fault."""


class ChannelError(HelpdeskError):
    """A channel's transport failed to receive or send (server refused, connection lost).

    The message says which server and what it answered; retrying later is safe.
    """


class HolidayDataMissing(ConfigurationError):
    """A holiday provider has no data for a year a calendar was asked about.

    Raised instead of silently treating that year's holidays as working days.
    """

    def __init__(self, provider: str, year: int, covered: str = "", hint: str = "") -> None:
        self.provider = provider
        self.year = year
        self.covered = covered
        message = f"holiday provider {provider!r} has no data for {year}"
        if covered:
            message += f" (it covers {covered})"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class NotFitted(HelpdeskError, RuntimeError):
    """A model (such as the bot's intent classifier) was used before it was trained."""


class FormInvalid(InvalidInput):
    """A web-form submission failed validation; ``errors`` maps each field to its problems.

    ``problems`` lists them as ``"field: problem"`` lines, which the message shows too.
    """

    def __init__(self, form: str, errors: dict[str, list[str]]) -> None:
        self.form = form
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        problems = [f"{field}: {p}" for field, found in self.errors.items() for p in found]
        super().__init__(f"the form {form!r} has {len(problems)} problem(s):", problems)


class RenderError(InvalidInput):
    """A reply template could not be filled in for a ticket: a value it needs is absent.

    Problems in the template itself are found when it is saved (``InvalidDefinition``); this
    is about the data, e.g. ``{order.id}`` for a customer without an order.
    """


class CurrencyMismatch(InvalidInput):
    """Two amounts in different currencies were combined or compared; nothing is converted."""


class ActionFailed(HelpdeskError):
    """The host application's action (a refund, a coupon) failed; the failure is recorded.

    ``request`` is the authority request as stored after the failure (status ``failed``).
    """

    def __init__(self, message: str, request: object = None) -> None:
        self.request = request


class InvalidToken(PermissionDenied):
    """A signed token (a survey link) is malformed, forged or expired.

    ``reason`` is ``"malformed"``, ``"signature"`` or ``"expired"``.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)
