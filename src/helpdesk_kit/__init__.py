"""helpdesk_kit: a library for building website customer-service helpdesks."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
