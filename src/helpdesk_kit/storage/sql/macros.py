"""SQL repositories of reply templates and macros."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, NotFound
from helpdesk_kit.macros.model import Macro, Template
from helpdesk_kit.storage.sql import rows as R
from helpdesk_kit.storage.sql.tables_macros import (
    macro_versions,
    macros,
    reply_template_versions,
    reply_templates,
)

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlMacros", "SqlTemplates"]


def template_row(t: Template) -> dict[str, Any]:
    """The ``reply_templates`` row of a template."""
    R.check_length(t.name, "name", "template name")
    R.check_length(t.author, "actor", "template author")
    return {
        "name": t.name,
        "version": t.version,
        "kind": t.kind,
        "description": t.description,
        "default_locale": t.default_locale,
        "bodies": t.to_dict()["bodies"],
        "updated_at": t.updated_at,
        "author": t.author,
    }


def template_from_row(row: Mapping[Any, Any]) -> Template:
    """The template of a row."""
    return Template(
        name=row["name"],
        bodies=row["bodies"],
        kind=row["kind"],
        description=row["description"],
        default_locale=row["default_locale"],
        version=row["version"],
        updated_at=row["updated_at"],
        author=row["author"],
    )


def macro_row(m: Macro) -> dict[str, Any]:
    """The ``macros`` row of a macro."""
    R.check_length(m.name, "name", "macro name")
    R.check_length(m.author, "actor", "macro author")
    return {
        "name": m.name,
        "version": m.version,
        "shortcode": m.shortcode,
        "description": m.description,
        "template": m.template,
        "actions": m.actions(),
        "updated_at": m.updated_at,
        "author": m.author,
    }


def macro_from_row(row: Mapping[Any, Any]) -> Macro:
    """The macro of a row."""
    return Macro(
        name=row["name"],
        shortcode=row["shortcode"],
        description=row["description"],
        template=row["template"],
        version=row["version"],
        updated_at=row["updated_at"],
        author=row["author"],
        **dict(row["actions"] or {}),
    )


class _Versioned:
    current: Table
    versions: Table
    kind = "record"

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _row(self, item: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _from_row(self, row: Mapping[Any, Any]) -> Any:
        raise NotImplementedError

    def _insert(self, table: Table, row: dict[str, Any]) -> bool:
        make = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
        stmt = make(table).values(row).on_conflict_do_nothing().returning(table.c.name)
        return self._uow.execute(stmt, what=self.kind).first() is not None

    def _add(self, item: Any) -> None:
        row = self._row(item)
        if not self._insert(self.current, row):
            raise AlreadyExists(self.kind, item.name)
        if not self._insert(self.versions, row):
            # leave nothing behind: the unit of work stays usable after the error
            self._uow.execute(delete(self.current).where(self.current.c.name == item.name))
            raise AlreadyExists(f"{self.kind} version", (item.name, item.version))

    def _update(self, item: Any, expected_version: int) -> None:
        row = self._row(item)
        c = self.current.c
        result = self._uow.execute(
            update(self.current)
            .where(c.name == item.name, c.version == expected_version)
            .values({k: v for k, v in row.items() if k != "name"}),
            what=self.kind,
        )
        if result.rowcount == 0:
            found = self._uow.execute(
                select(c.version).where(c.name == item.name)
            ).scalar_one_or_none()
            if found is None:
                raise NotFound(self.kind, item.name)
            raise ConcurrencyConflict(self.kind, item.name, expected_version, found)
        if not self._insert(self.versions, row):
            raise AlreadyExists(f"{self.kind} version", (item.name, item.version))

    def _find(self, name: str) -> Any:
        row = (
            self._uow.execute(select(self.current).where(self.current.c.name == name))
            .mappings()
            .first()
        )
        return None if row is None else self._from_row(row)

    def _get(self, name: str) -> Any:
        found = self._find(name)
        if found is None:
            raise NotFound(self.kind, name)
        return found

    def _history(self, name: str) -> list[Any]:
        v = self.versions.c
        rows = self._uow.execute(
            select(self.versions).where(v.name == name).order_by(v.version)
        ).mappings()
        return [self._from_row(r) for r in rows]

    def delete(self, name: str) -> bool:
        """Remove the current version (the history stays)."""
        result = self._uow.execute(delete(self.current).where(self.current.c.name == name))
        return bool(result.rowcount)


class SqlTemplates(_Versioned):
    """Reply templates."""

    current = reply_templates
    versions = reply_template_versions
    kind = "template"

    def _row(self, item: Any) -> dict[str, Any]:
        return template_row(item)

    def _from_row(self, row: Mapping[Any, Any]) -> Any:
        return template_from_row(row)

    def add(self, template: Template) -> Template:
        """Store a new template."""
        self._add(template)
        return template

    def update(self, template: Template, *, expected_version: int) -> Template:
        """Replace the current version if it is ``expected_version``."""
        self._update(template, expected_version)
        return template

    def get(self, name: str) -> Template:
        """The current version; ``NotFound`` if none."""
        found: Template = self._get(name)
        return found

    def find(self, name: str) -> Template | None:
        """The current version or None."""
        found: Template | None = self._find(name)
        return found

    def history(self, name: str) -> list[Template]:
        """Every version, oldest first."""
        return self._history(name)

    def list(self, *, kind: str | None = None) -> list[Template]:
        """Current templates by name."""
        q = select(reply_templates).order_by(reply_templates.c.name)
        if kind is not None:
            q = q.where(reply_templates.c.kind == kind)
        return [template_from_row(r) for r in self._uow.execute(q).mappings()]


class SqlMacros(_Versioned):
    """Macros with unique short codes."""

    current = macros
    versions = macro_versions
    kind = "macro"

    def _row(self, item: Any) -> dict[str, Any]:
        return macro_row(item)

    def _from_row(self, row: Mapping[Any, Any]) -> Any:
        return macro_from_row(row)

    def _check_shortcode(self, macro: Macro) -> None:
        if macro.shortcode is None:
            return
        other = self.find_by_shortcode(macro.shortcode)
        if other is not None and other.name != macro.name:
            raise AlreadyExists("macro short code", macro.shortcode, other.name)

    def add(self, macro: Macro) -> Macro:
        """Store a new macro."""
        self._check_shortcode(macro)
        self._add(macro)
        return macro

    def update(self, macro: Macro, *, expected_version: int) -> Macro:
        """Replace the current version if it is ``expected_version``."""
        self._check_shortcode(macro)
        self._update(macro, expected_version)
        return macro

    def get(self, name: str) -> Macro:
        """The current version; ``NotFound`` if none."""
        found: Macro = self._get(name)
        return found

    def find(self, name: str) -> Macro | None:
        """The current version or None."""
        found: Macro | None = self._find(name)
        return found

    def find_by_shortcode(self, shortcode: str) -> Macro | None:
        """The macro with this short code, or None."""
        row = (
            self._uow.execute(select(macros).where(macros.c.shortcode == shortcode))
            .mappings()
            .first()
        )
        return None if row is None else macro_from_row(row)

    def history(self, name: str) -> list[Macro]:
        """Every version, oldest first."""
        return self._history(name)

    def list(self) -> list[Macro]:
        """Current macros by name."""
        rows = self._uow.execute(select(macros).order_by(macros.c.name)).mappings()
        return [macro_from_row(r) for r in rows]
