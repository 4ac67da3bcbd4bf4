"""The plugin manager: one per desk, loading entry points and collecting registrations."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pluggy

from helpdesk_kit import hookspecs
from helpdesk_kit.errors import PluginError
from helpdesk_kit.lifecycle.builtins import builtin_lifecycles
from helpdesk_kit.lifecycle.definition import Lifecycle
from helpdesk_kit.lifecycle.guards import BUILTIN_GUARDS, Guard

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "collect_named",
    "create_plugin_manager",
    "hookimpl",
]

PROJECT_NAME = hookspecs.PROJECT_NAME
#: Entry-point group that plugins publish themselves in.
ENTRY_POINT_GROUP = PROJECT_NAME
#: Comma-separated plugin names (entry-point names) that must not load.
DISABLE_ENV = "HELPDESK_KIT_DISABLE_PLUGINS"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class BuiltinPlugin:
    """Registers what ships in the core: the built-in lifecycles and guards."""

    @hookimpl(trylast=True)
    def register_lifecycles(self, register: Callable[[Lifecycle], None]) -> None:
        """Register ``support`` and ``complaint``."""
        for lifecycle in builtin_lifecycles():
            register(lifecycle)

    @hookimpl(trylast=True)
    def register_guards(self, register: Callable[[str, Guard], None]) -> None:
        """Register the close criteria and the other built-in guards."""
        for name, guard in BUILTIN_GUARDS.items():
            register(name, guard)


def disabled_plugins(extra: Iterable[str] = ()) -> set[str]:
    """Names blocked through ``HELPDESK_KIT_DISABLE_PLUGINS`` plus ``extra``."""
    names = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
    return names | {n for n in extra if n}


def create_plugin_manager(
    plugins: Iterable[object] = (),
    *,
    builtins: Iterable[tuple[str, object]] = (),
    load_entrypoints: bool = True,
    disable: Iterable[str] = (),
) -> pluggy.PluginManager:
    """Make a new plugin manager with the hook specs, the built-ins, entry points and ``plugins``.

    Raises ``PluginError`` when a plugin implements a hook that does not exist (a typo) or
    with arguments the spec does not have.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    blocked = disabled_plugins(disable)
    for name in blocked:
        pm.set_blocked(name)
    try:
        pm.register(BuiltinPlugin(), name="helpdesk_kit.builtin")
        for name, plugin in builtins:
            if name not in blocked:
                pm.register(plugin, name=name)
        if load_entrypoints:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for plugin in plugins:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__ + f"@{id(plugin)}"
            if pm.is_registered(plugin):
                continue
            if name not in blocked:
                pm.register(plugin, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} is invalid: {exc}") from exc
    except ValueError as exc:  # registering the same name or object twice
        raise PluginError(str(exc)) from exc
    return pm


def collect_named(hook: Callable[..., Any], what: str, *, replace: bool = False) -> dict[str, Any]:
    """Call a ``register_*`` hook and return what was registered by name.

    Registering a name twice is a ``PluginError`` unless ``replace`` (then the plugin asked
    last wins, which is the first-registered plugin: built-ins can be overridden).
    """
    found: dict[str, Any] = {}

    def register(name: str, value: Any) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"{what} name must be a non-empty string, got {name!r}")
        if name in found:
            if not replace:
                raise PluginError(f"{what} {name!r} is registered twice")
            return  # plugins are asked before built-ins: the first registration wins
        found[name] = value

    hook(register=register)
    return found


def collect_lifecycles(hook: Callable[..., Any]) -> dict[str, Lifecycle]:
    """Call ``register_lifecycles``; a plugin may replace a built-in of the same name."""
    found: dict[str, Lifecycle] = {}

    def register(value: Lifecycle | Mapping[str, Any]) -> None:
        lifecycle = value if isinstance(value, Lifecycle) else Lifecycle.from_dict(value)
        found.setdefault(lifecycle.name, lifecycle)

    hook(register=register)
    return found


def collect_objects(hook: Callable[..., Any], what: str) -> dict[str, Any]:
    """Call a hook whose ``register`` takes objects with a ``name`` (channels)."""
    found: dict[str, Any] = {}

    def register(value: Any) -> None:
        name = getattr(value, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"{what} {value!r} has no name")
        if name in found:
            raise PluginError(f"{what} {name!r} is registered twice")
        found[name] = value

    hook(register=register)
    return found
