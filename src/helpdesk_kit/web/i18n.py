"""Interface texts in Chinese and English, and the language a request asks for."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import HTTPConnection

__all__ = ["LANGUAGES", "LANG_COOKIE", "Translations", "pick_language"]

#: The languages the web pages speak; the first is the default.
LANGUAGES = ("zh", "en")
#: The cookie remembering a language picked with ``?lang=``.
LANG_COOKIE = "hk_lang"


class Translations:
    """Texts by language and key; each page module adds its own table."""

    def __init__(self, default: str = "zh") -> None:
        self.default = default
        self._texts: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}

    def add(self, table: Mapping[str, Mapping[str, str]]) -> None:
        """Add texts: ``{"en": {key: text}, "zh": {key: text}}`` (later tables win)."""
        for lang, texts in table.items():
            self._texts.setdefault(lang, {}).update(texts)

    def get(self, lang: str, key: str, **values: object) -> str:
        """The text for ``key`` in ``lang`` (else English, else the key) with ``{values}`` in."""
        text = self._texts.get(lang, {}).get(key)
        if text is None:
            text = self._texts.get("en", {}).get(key, key)
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                return text
        return text

    def table(self, lang: str, prefix: str = "") -> dict[str, str]:
        """All texts of ``lang`` whose key starts with ``prefix`` (English fills the gaps)."""
        merged = {k: v for k, v in self._texts.get("en", {}).items() if k.startswith(prefix)}
        merged.update({k: v for k, v in self._texts.get(lang, {}).items() if k.startswith(prefix)})
        return merged


def _normal(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def pick_language(request: HTTPConnection, default: str = "zh") -> str:
    """``"zh"`` or ``"en"``: from ``?lang=``, then the language cookie, then Accept-Language."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        found = _normal(value)
        if found:
            return found
    header = request.headers.get("accept-language", "")
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        found = _normal(tag)
        if found and quality > 0:
            ranked.append((-quality, index, found))
    if ranked:
        return min(ranked)[2]
    return default
