"""How a desk runs satisfaction surveys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import attrs

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.feedback.model import SurveyKind

__all__ = ["DEFAULT_TEXTS", "SurveySettings"]

#: The survey message per language; ``{ref}`` is the ticket number, ``{link}`` the link
#: (or the bare token when no ``link`` template is set), ``{scale}`` what to answer.
DEFAULT_TEXTS: dict[str, str] = {
    "zh": "您好，您的工单 {ref} 已处理完毕。请为本次服务评分（{scale}）：{link}",
    "en": "Your request {ref} has been solved. How did we do? Please rate us ({scale}): {link}",
}


def _secret(value: Any) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes) or len(value) < 16:
        raise InvalidInput("the survey secret must be at least 16 bytes (use secrets.token_hex)")
    return value


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: timedelta) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InvalidInput(f"{attribute.name} must be a positive timedelta, got {value!r}")


def _threshold(low: int, high: int) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidInput(f"{attribute.name} must be an integer {low}-{high}, got {value!r}")

    return check


def _link(_inst: object, _attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and "{token}" not in value:
        raise InvalidInput(f"the survey link template needs a {{token}} placeholder: {value!r}")


@attrs.frozen
class SurveySettings:
    """Survey settings: what to ask, when, how long a link lives, what counts as bad.

    ``secret`` signs the links (HMAC-SHA256; keep it out of source control).
    ``kind``: ``"csat"`` (1-5), ``"nps"`` (0-10) or ``"csat+nps"`` (both, NPS optional).
    ``per``: ``"solve"`` sends one survey per ticket per solve (a reopened ticket solved
    again gets a new one), ``"ticket"`` one per ticket, ``"interaction"`` one on every solve
    and every :meth:`~helpdesk_kit.desk.feedback.SurveyCommands.send_survey` call (a chat
    session that ended). ``expires_after``: how long a link can be used;
    ``change_window``: how long after the first answer the customer may change it.
    A CSAT score ``<= bad_threshold`` (or an NPS score ``<= nps_bad_threshold`` when set)
    is a bad rating: it opens a follow-up due after ``followup_due``, records
    ``survey.bad_rating`` and notifies. ``link``: a URL template with ``{token}`` (without
    one, the message carries the bare token for the host application to turn into a link).
    ``channels``: survey only tickets of these channels (``None``: all). ``texts``: the
    message per language (``"zh"``, ``"en"``; see ``DEFAULT_TEXTS``).
    """

    secret: bytes = attrs.field(converter=_secret, repr=False)
    kind: SurveyKind = attrs.field(default=SurveyKind.CSAT, converter=SurveyKind)
    per: Literal["solve", "ticket", "interaction"] = attrs.field(
        default="solve", validator=attrs.validators.in_(("solve", "ticket", "interaction"))
    )
    expires_after: timedelta = attrs.field(default=timedelta(days=7), validator=_positive)
    change_window: timedelta = attrs.field(default=timedelta(days=2), validator=_positive)
    bad_threshold: int = attrs.field(default=2, validator=_threshold(1, 5))
    nps_bad_threshold: int | None = attrs.field(default=None, validator=_threshold(0, 10))
    followup_due: timedelta = attrs.field(default=timedelta(days=1), validator=_positive)
    notify_bad_ratings: bool = True
    link: str | None = attrs.field(default=None, validator=_link)
    channels: tuple[str, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(tuple)
    )
    texts: dict[str, str] = attrs.field(factory=lambda: dict(DEFAULT_TEXTS), hash=False)

    def __attrs_post_init__(self) -> None:
        missing = [lang for lang in ("zh", "en") if lang not in self.texts]
        if missing:
            raise InvalidInput(f"survey texts need a text for {', '.join(missing)}")
