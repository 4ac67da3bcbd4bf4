"""Starter intent examples for a web shop, in Chinese and English, shipped with the package."""

from __future__ import annotations

from importlib import resources

from helpdesk_kit.errors import InvalidInput

__all__ = ["STARTER_LOCALES", "load_starter_examples"]

#: Locales with starter examples; each is one TSV file ``intents.<locale>.tsv`` in bot/data.
STARTER_LOCALES = ("en", "zh")


def _read(locale: str) -> list[tuple[str, str]]:
    """Read one locale's TSV file (``intent<TAB>text`` lines; ``#`` starts a comment)."""
    path = resources.files("helpdesk_kit.bot.data").joinpath(f"intents.{locale}.tsv")
    examples: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        intent, sep, text = line.partition("\t")
        if not sep or not intent.strip() or not text.strip():
            raise InvalidInput(f"intents.{locale}.tsv line {number}: expected 'intent<TAB>text'")
        examples.append((text.strip(), intent.strip()))
    return examples


def load_starter_examples(locale: str | None = None) -> list[tuple[str, str]]:
    """Return the shipped ``(text, intent)`` examples for ``locale`` ("zh", "en"), or all of them.

    Examples labelled ``out_of_scope`` (chit-chat, other topics) are included:
    they teach the classifier what to reject.
    """
    if locale is None:
        return [example for loc in STARTER_LOCALES for example in _read(loc)]
    key = locale.replace("_", "-").split("-")[0].lower()
    if key not in STARTER_LOCALES:
        raise InvalidInput(
            f"no starter intent examples for locale {locale!r} (available: "
            f"{', '.join(STARTER_LOCALES)})"
        )
    return _read(key)
