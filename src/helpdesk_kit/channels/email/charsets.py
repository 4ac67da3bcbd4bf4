"""Decoding bytes whose charset is declared, missing or wrong, as mail in the wild is."""

from __future__ import annotations

import codecs
import re

__all__ = ["FALLBACK_CHARSETS", "decode_bytes", "python_codec"]

# Labels mail software uses, mapped to the Python codec that decodes what they
# really send: gb2312/gbk mail contains GB18030 characters, "iso-8859-1" is read
# as windows-1252 (as browsers do: the C1 range holds curly quotes in practice).
# Big5 and Shift_JIS are tried strictly first, then as their Microsoft supersets
# (_SUPERSETS), because the two map a few symbols differently.
_ALIASES: dict[str, str] = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "euccn": "gb18030",
    "x-euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "gb18030": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5",
    "big-5": "big5",
    "x-big5": "big5",
    "cn-big5": "big5",
    "csbig5": "big5",
    "big5-hkscs": "big5hkscs",
    "shift_jis": "shift_jis",
    "shift-jis": "shift_jis",
    "sjis": "shift_jis",
    "x-sjis": "shift_jis",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "shift_jis",
    "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "unknown": "",
}

# Codecs in which a byte sequence that is also valid UTF-8 is far more likely to
# be mislabelled UTF-8 than real text in that charset.
_SINGLE_BYTE = frozenset({"ascii", "cp1252", "latin-1"})

# 7-bit encodings whose ASCII-looking bytes still need their codec.
_STATEFUL_PREFIXES = (
    "iso2022",
    "hz",
    "utf-7",
    "utf_7",
    "utf7",
    "utf-16",
    "utf-32",
    "utf_16",
    "utf_32",
)

_SUPERSETS = {"big5": "cp950", "shift_jis": "cp932"}

#: Tried in this order when the declared charset is missing or fails.
FALLBACK_CHARSETS: tuple[str, ...] = ("utf-8", "gb18030", "cp950", "cp932", "cp1252")

# A guess that yields private-use characters (cp950 maps stray bytes there) is wrong.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")

_NOT_CHARSETS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "palmos"}
)

_codec_cache: dict[str, str] = {}


def python_codec(label: str | None) -> str:
    """Return the Python codec name for a MIME charset label ("" if unknown or none)."""
    if not label:
        return ""
    key = label.strip().strip("\"'").lower()
    if len(key) > 64:
        return ""
    # RFC 2231 allows "charset*language" in encoded words.
    star = key.find("*")
    if star >= 0:
        key = key[:star]
    cached = _codec_cache.get(key)
    if cached is not None:
        return cached
    name = _ALIASES.get(key)
    if name is None:
        try:
            name = codecs.lookup(key).name
        except (LookupError, ValueError):
            name = ""
        # codecs.lookup knows "rot13", "base64", "unicode_escape", ...: only
        # accept real text encodings a mail could be written in.
        if name and (name in _NOT_CHARSETS or not _is_text_codec(name)):
            name = ""
        if name == "latin-1" or name == "iso8859-1":
            name = "cp1252"
    if len(_codec_cache) < 512:
        _codec_cache[key] = name
    return name


def _is_text_codec(name: str) -> bool:
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    return bool(getattr(info, "_is_text_encoding", True))


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def decode_bytes(
    data: bytes,
    declared: str | None,
    defects: list[str] | None = None,
    where: str = "text",
    hints: tuple[str, ...] = (),
    prefer_utf8: bool = True,
) -> str:
    """Decode ``data`` declared as ``declared``; never raises.

    A declared charset that fails (or a mislabelled single-byte one hiding
    UTF-8) falls back to ``hints`` then :data:`FALLBACK_CHARSETS`, and finally
    Latin-1, which cannot fail. Each fallback appends a note to ``defects``.
    With ``prefer_utf8`` a Latin-1 label on valid UTF-8 bytes is overruled.
    """
    codec = python_codec(declared)
    if data.isascii() and not codec.startswith(_STATEFUL_PREFIXES):
        return data.decode("ascii")
    if codec and codec not in _SINGLE_BYTE:
        text = _try(data, codec)
        if text is None and codec in _SUPERSETS:
            text = _try(data, _SUPERSETS[codec])
        if text is not None:
            return text
    elif codec:
        # Valid UTF-8 with 8-bit bytes is almost never Latin-1 or ASCII text.
        text = _try(data, "utf-8") if prefer_utf8 or codec == "ascii" else None
        if text is not None:
            if codec != "ascii" and defects is not None:
                defects.append(f"{where}: declared charset {declared!r} but the bytes are UTF-8")
            elif defects is not None:
                defects.append(f"{where}: declared {declared!r} but has 8-bit bytes; read as UTF-8")
            return text
        text = _try(data, codec)
        if text is not None:
            return text
    tried = {codec}
    for candidate in (*(python_codec(h) for h in hints), *FALLBACK_CHARSETS):
        if not candidate or candidate in tried or candidate.startswith(_STATEFUL_PREFIXES):
            continue
        tried.add(candidate)
        text = _try(data, candidate)
        if text is not None and _PRIVATE_USE.search(text) is None:
            if defects is not None and (declared or candidate != "utf-8"):
                what = f"charset {declared!r} failed" if declared else "no charset declared"
                defects.append(f"{where}: {what}; decoded as {candidate}")
            return text
    if defects is not None:
        defects.append(f"{where}: no charset fits; decoded as latin-1")
    return data.decode("latin-1")
