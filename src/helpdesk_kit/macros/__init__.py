"""Reply templates and macros: a safe template language, variable providers, starter pack."""

from __future__ import annotations

from helpdesk_kit.macros.model import (
    MACRO_ACTIONS,
    Macro,
    RenderedTemplate,
    Template,
    TemplateBody,
    locale_candidates,
    normalize_locale,
    normalize_shortcode,
    render_template,
    validate_template,
)
from helpdesk_kit.macros.pack import MacroPack, load_pack
from helpdesk_kit.macros.starter import starter_pack
from helpdesk_kit.macros.syntax import FILTERS, RenderError, ValueFormatter, parse
from helpdesk_kit.macros.variables import (
    Provider,
    RenderContext,
    TemplateVariables,
    VariableSpec,
    context_variables,
    default_variables,
)

__all__ = [
    "FILTERS",
    "MACRO_ACTIONS",
    "Macro",
    "MacroPack",
    "Provider",
    "RenderContext",
    "RenderError",
    "RenderedTemplate",
    "Template",
    "TemplateBody",
    "TemplateVariables",
    "ValueFormatter",
    "VariableSpec",
    "context_variables",
    "default_variables",
    "load_pack",
    "locale_candidates",
    "normalize_locale",
    "normalize_shortcode",
    "parse",
    "render_template",
    "starter_pack",
    "validate_template",
]
