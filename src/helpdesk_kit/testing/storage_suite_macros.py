"""The storage contract of reply templates and macros, as pytest tests.

Run it against a backend like :mod:`helpdesk_kit.testing.storage_suite`: star-import it into
a test module that defines a ``storage_factory`` fixture returning a callable that makes a
new, empty storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, NotFound
from helpdesk_kit.macros.model import Macro, Template, TemplateBody
from helpdesk_kit.storage.base import Storage

__all__ = [
    "macro_storage",
    "test_macros_actions_round_trip",
    "test_macros_add_get_update_history",
    "test_macros_shortcodes_are_unique",
    "test_templates_add_get_list_by_kind",
    "test_templates_delete_keeps_history",
    "test_templates_rollback_and_taken_name_keep_unit_usable",
    "test_templates_update_checks_version",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def macro_storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the user's ``storage_factory`` fixture."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _template(name: str = "first_reply", version: int = 1, **kw: Any) -> Template:
    bodies = kw.pop(
        "bodies",
        {
            "zh": "您好，{customer.name}！工单号 {ticket.number}。",
            "en": TemplateBody("Hi {customer.name},", "<p>Hi <b>{customer.name}</b></p>"),
        },
    )
    return Template(
        name=name,
        bodies=bodies,
        version=version,
        updated_at=T0 + timedelta(minutes=version),
        author="agent:A1",
        **kw,
    )


def test_templates_add_get_list_by_kind(macro_storage: Storage) -> None:
    """A template comes back equal, Chinese text, HTML and aware time included."""
    with macro_storage.unit_of_work() as uow:
        uow.templates.add(_template())
        uow.templates.add(_template("handover", kind="note", bodies={"en": "{agent.name}"}))
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        got = uow.templates.get("first_reply")
        assert got == _template()
        assert got.bodies["en"].html == "<p>Hi <b>{customer.name}</b></p>"
        assert got.default_locale == "zh"
        assert got.updated_at == T0 + timedelta(minutes=1)
        assert got.updated_at is not None
        assert got.updated_at.utcoffset() == timedelta(0)
        assert uow.templates.find("nope") is None
        with pytest.raises(NotFound):
            uow.templates.get("nope")
        assert [t.name for t in uow.templates.list()] == ["first_reply", "handover"]
        assert [t.name for t in uow.templates.list(kind="note")] == ["handover"]


def test_templates_update_checks_version(macro_storage: Storage) -> None:
    """Updates need the stored version; each version lands in the history."""
    with macro_storage.unit_of_work() as uow:
        uow.templates.add(_template())
        uow.commit()
    v2 = _template(version=2, bodies={"en": "Hello {customer.name}"})
    with macro_storage.unit_of_work() as uow:
        uow.templates.update(v2, expected_version=1)
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        with pytest.raises(ConcurrencyConflict):
            uow.templates.update(_template(version=3), expected_version=1)
        with pytest.raises(NotFound):
            uow.templates.update(_template("ghost", version=2), expected_version=1)
        assert uow.templates.get("first_reply") == v2
        assert [t.version for t in uow.templates.history("first_reply")] == [1, 2]
        assert uow.templates.history("first_reply")[0] == _template()


def test_templates_delete_keeps_history(macro_storage: Storage) -> None:
    """A deleted template is gone but its versions stay; the name can be used again."""
    with macro_storage.unit_of_work() as uow:
        uow.templates.add(_template())
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert uow.templates.delete("first_reply") is True
        assert uow.templates.delete("first_reply") is False
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert uow.templates.find("first_reply") is None
        assert [t.version for t in uow.templates.history("first_reply")] == [1]
        with pytest.raises(AlreadyExists):
            uow.templates.add(_template(version=1))
        uow.templates.add(_template(version=2))
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert uow.templates.get("first_reply").version == 2
        assert [t.version for t in uow.templates.history("first_reply")] == [1, 2]


def test_templates_rollback_and_taken_name_keep_unit_usable(macro_storage: Storage) -> None:
    """A taken name is ``AlreadyExists`` and the unit goes on; no commit stores nothing."""
    with macro_storage.unit_of_work() as uow:
        uow.templates.add(_template())
        with pytest.raises(AlreadyExists):
            uow.templates.add(_template(version=7))
        uow.templates.add(_template("second"))
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert [t.name for t in uow.templates.list()] == ["first_reply", "second"]
        assert [t.version for t in uow.templates.history("first_reply")] == [1]
        uow.templates.add(_template("third"))
    with macro_storage.unit_of_work() as uow:
        assert uow.templates.find("third") is None
        assert uow.templates.history("third") == []


def _macro(name: str = "refund", version: int = 1, **kw: Any) -> Macro:
    kw.setdefault("shortcode", "/refund")
    kw.setdefault("template", "refund_started")
    return Macro(
        name=name,
        version=version,
        updated_at=T0,
        author="agent:A1",
        **kw,
    )


def test_macros_actions_round_trip(macro_storage: Storage) -> None:
    """Every action comes back as it was saved."""
    full = _macro(
        set_priority="high",
        add_tags=["refund", "退款"],
        remove_tags=["new"],
        set_fields={"category": "refund", "custom_fields": {"order_id": "SO9", "n": 2}},
        assign_group="finance",
        note="Refund for {order.id} by {agent.name}",
        transition="pend",
        description="Start a refund",
    )
    bare = _macro("note_only", shortcode=None, template=None, note="look at this")
    with macro_storage.unit_of_work() as uow:
        uow.macros.add(full)
        uow.macros.add(bare)
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert uow.macros.get("refund") == full
        assert uow.macros.get("note_only") == bare
        assert uow.macros.find_by_shortcode("/refund") == full
        assert uow.macros.find_by_shortcode("/nope") is None
        assert [m.name for m in uow.macros.list()] == ["note_only", "refund"]


def test_macros_add_get_update_history(macro_storage: Storage) -> None:
    """Macros are versioned like templates."""
    with macro_storage.unit_of_work() as uow:
        uow.macros.add(_macro())
        uow.commit()
    v2 = _macro(version=2, shortcode="/rf", add_tags=["refund"])
    with macro_storage.unit_of_work() as uow:
        with pytest.raises(ConcurrencyConflict):
            uow.macros.update(attrs.evolve(v2, version=4), expected_version=3)
        uow.macros.update(v2, expected_version=1)
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert uow.macros.get("refund") == v2
        assert uow.macros.find_by_shortcode("/refund") is None
        assert uow.macros.find_by_shortcode("/rf") == v2
        assert [m.version for m in uow.macros.history("refund")] == [1, 2]
        assert uow.macros.delete("refund") is True
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert uow.macros.find("refund") is None
        assert uow.macros.find_by_shortcode("/rf") is None
        assert len(uow.macros.history("refund")) == 2


def test_macros_shortcodes_are_unique(macro_storage: Storage) -> None:
    """Two macros never share a short code (on add and on update)."""
    with macro_storage.unit_of_work() as uow:
        uow.macros.add(_macro())
        uow.macros.add(_macro("other", shortcode="/other"))
        uow.macros.add(_macro("plain", shortcode=None))
        uow.macros.add(_macro("plain2", shortcode=None))
        with pytest.raises(AlreadyExists):
            uow.macros.add(_macro("copy", shortcode="/refund"))
        with pytest.raises(AlreadyExists):
            uow.macros.update(_macro("other", version=2, shortcode="/refund"), expected_version=1)
        uow.commit()
    with macro_storage.unit_of_work() as uow:
        assert uow.macros.find("copy") is None
        assert uow.macros.get("other").shortcode == "/other"
        assert len(uow.macros.list()) == 4
