"""The storage port for reply templates and macros: current versions plus their history."""

from __future__ import annotations

from typing import Protocol

from helpdesk_kit.macros.model import Macro, Template

__all__ = ["MacroRepository", "TemplateRepository"]


class TemplateRepository(Protocol):
    """Reply templates by name; every saved version is kept in the history."""

    def add(self, template: Template) -> Template:
        """Store a new template; ``AlreadyExists`` if the name (or that version) is taken."""
        ...

    def update(self, template: Template, *, expected_version: int) -> Template:
        """Replace the stored template if its version is ``expected_version``.

        ``ConcurrencyConflict`` when another version is stored, ``NotFound`` when none is.
        ``template.version`` must be ``expected_version + 1``; it is added to the history.
        """
        ...

    def get(self, name: str) -> Template:
        """The current version; ``NotFound`` if there is none."""
        ...

    def find(self, name: str) -> Template | None:
        """The current version, or None."""
        ...

    def history(self, name: str) -> list[Template]:
        """Every version ever saved under ``name`` (also after a delete), oldest first."""
        ...

    def delete(self, name: str) -> bool:
        """Remove the current version (the history stays); False if there was none."""
        ...

    def list(self, *, kind: str | None = None) -> list[Template]:
        """Current templates (of one kind when given), ordered by name."""
        ...


class MacroRepository(Protocol):
    """Macros by name; short codes are unique; every saved version is kept."""

    def add(self, macro: Macro) -> Macro:
        """Store a new macro; ``AlreadyExists`` if the name, version or short code is taken."""
        ...

    def update(self, macro: Macro, *, expected_version: int) -> Macro:
        """Replace the stored macro if its version is ``expected_version`` (as templates)."""
        ...

    def get(self, name: str) -> Macro:
        """The current version; ``NotFound`` if there is none."""
        ...

    def find(self, name: str) -> Macro | None:
        """The current version, or None."""
        ...

    def find_by_shortcode(self, shortcode: str) -> Macro | None:
        """The macro with this (normalized) short code, or None."""
        ...

    def history(self, name: str) -> list[Macro]:
        """Every version ever saved under ``name``, oldest first."""
        ...

    def delete(self, name: str) -> bool:
        """Remove the current version (the history stays); False if there was none."""
        ...

    def list(self) -> list[Macro]:
        """Current macros ordered by name."""
        ...
