"""In-memory repositories of reply templates and macros (reference semantics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.macros.model import Macro, Template

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemoryMacros", "MemoryTemplates"]


class _Versioned:
    """Current records by name plus every version, on the memory store's extra tables."""

    kind = "record"
    table = "versioned"

    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._u = undo
        self._current: dict[str, Any] = data.extra.setdefault(self.table, {})
        self._versions: dict[tuple[str, int], Any] = data.extra.setdefault(
            self.table + "_versions", {}
        )

    def _add(self, item: Any) -> Any:
        if item.name in self._current:
            raise AlreadyExists(self.kind, item.name)
        if (item.name, item.version) in self._versions:
            raise AlreadyExists(f"{self.kind} version", (item.name, item.version))
        self._u.set(self._current, item.name, item)
        self._u.set(self._versions, (item.name, item.version), item)
        return item

    def _update(self, item: Any, expected_version: int) -> Any:
        current = self._current.get(item.name)
        if current is None:
            raise NotFound(self.kind, item.name)
        if current.version != expected_version:
            raise ConcurrencyConflict(self.kind, item.name, expected_version, current.version)
        if item.version != expected_version + 1:
            raise InvalidInput(
                f"{self.kind} {item.name!r}: new version must be {expected_version + 1}, "
                f"got {item.version}"
            )
        self._u.set(self._current, item.name, item)
        self._u.set(self._versions, (item.name, item.version), item)
        return item

    def _get(self, name: str) -> Any:
        found = self._current.get(name)
        if found is None:
            raise NotFound(self.kind, name)
        return found

    def _history(self, name: str) -> list[Any]:
        return [v for (n, _), v in sorted(self._versions.items()) if n == name]

    def delete(self, name: str) -> bool:
        """Remove the current version."""
        if name not in self._current:
            return False
        self._u.delete(self._current, name)
        return True


class MemoryTemplates(_Versioned):
    """Reply templates."""

    kind = "template"
    table = "templates"

    def add(self, template: Template) -> Template:
        """Store a new template."""
        stored: Template = self._add(template)
        return stored

    def update(self, template: Template, *, expected_version: int) -> Template:
        """Replace the current version."""
        stored: Template = self._update(template, expected_version)
        return stored

    def get(self, name: str) -> Template:
        """The current version."""
        found: Template = self._get(name)
        return found

    def find(self, name: str) -> Template | None:
        """The current version or None."""
        found: Template | None = self._current.get(name)
        return found

    def history(self, name: str) -> list[Template]:
        """Every version, oldest first."""
        return self._history(name)

    def list(self, *, kind: str | None = None) -> list[Template]:
        """Current templates by name."""
        return [t for _, t in sorted(self._current.items()) if kind is None or t.kind == kind]


class MemoryMacros(_Versioned):
    """Macros, with unique short codes."""

    kind = "macro"
    table = "macros"

    def _check_shortcode(self, macro: Macro) -> None:
        if macro.shortcode is None:
            return
        for other in self._current.values():
            if other.shortcode == macro.shortcode and other.name != macro.name:
                raise AlreadyExists("macro short code", macro.shortcode, other.name)

    def add(self, macro: Macro) -> Macro:
        """Store a new macro."""
        self._check_shortcode(macro)
        stored: Macro = self._add(macro)
        return stored

    def update(self, macro: Macro, *, expected_version: int) -> Macro:
        """Replace the current version."""
        self._check_shortcode(macro)
        stored: Macro = self._update(macro, expected_version)
        return stored

    def get(self, name: str) -> Macro:
        """The current version."""
        found: Macro = self._get(name)
        return found

    def find(self, name: str) -> Macro | None:
        """The current version or None."""
        found: Macro | None = self._current.get(name)
        return found

    def find_by_shortcode(self, shortcode: str) -> Macro | None:
        """The macro with this short code."""
        for macro in self._current.values():
            if macro.shortcode == shortcode:
                found: Macro = macro
                return found
        return None

    def history(self, name: str) -> list[Macro]:
        """Every version, oldest first."""
        return self._history(name)

    def list(self) -> list[Macro]:
        """Current macros by name."""
        return [m for _, m in sorted(self._current.items())]
