"""Storage URLs: picking a backend by scheme, hiding passwords in messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from helpdesk_kit.errors import ConfigurationError

__all__ = ["open_storage", "redact_url", "url_scheme"]

_PASSWORD = re.compile(r"(?P<head>://[^:/@]*:)(?P<password>[^@]*)(?P<tail>@)")


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``."""
    return _PASSWORD.sub(lambda m: m.group("head") + "***" + m.group("tail"), url)


def url_scheme(url: str) -> str:
    """The backend part of a URL's scheme: ``postgresql+psycopg://...`` -> ``postgresql``."""
    if "://" not in url:
        raise ConfigurationError(
            f"not a storage URL: {redact_url(url)!r} (expected e.g. sqlite:///helpdesk.db)"
        )
    return url.split("://", 1)[0].split("+", 1)[0].lower()


def open_storage(url: str, factories: Mapping[str, Callable[..., Any]], **options: Any) -> Any:
    """Create the storage for ``url`` with the factory registered for its scheme."""
    scheme = url_scheme(url)
    factory = factories.get(scheme)
    if factory is None:
        raise ConfigurationError(
            f"unknown storage URL scheme {scheme!r} in {redact_url(url)!r} "
            f"(known: {', '.join(sorted(factories))})"
        )
    return factory(url, **options)
