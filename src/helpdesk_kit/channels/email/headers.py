"""Header decoding done by hand: RFC 2047 words, RFC 2231 parameters, addresses, ids, dates.

The standard library can do all of this, but ``policy.default`` is slow and
``compat32`` gives up on the malformed headers real mail is full of (words that
split a character in two, raw 8-bit text, unknown charsets). These functions
never raise; what they had to guess is appended to an optional ``defects`` list.
"""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_to_bytes

from helpdesk_kit.channels.email.charsets import decode_bytes
from helpdesk_kit.channels.email.model import Address

__all__ = [
    "decode_header",
    "header_text",
    "parse_address_list",
    "parse_date",
    "parse_msg_id",
    "parse_msg_ids",
    "parse_params",
    "unfold",
]

_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
# An encoded word. The text may hold spaces (a common encoder bug) but no "?";
# a missing "?=" is tolerated at the very end of the value.
_EW = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?]*?)(?:\?=|\Z)")
_CTRL = dict.fromkeys((*range(0, 32), 127), " ")
_SPACES = re.compile(r" {2,}")
_MSGID_BRACKETED = re.compile(r"<([^<>]*)>")


def unfold(value: str) -> str:
    """Join folded header lines (CRLF + whitespace) and drop stray line breaks."""
    if "\n" in value or "\r" in value:
        value = _UNFOLD.sub("", value).replace("\r", "").replace("\n", "")
    return value


def header_text(value: str, defects: list[str] | None = None, hints: tuple[str, ...] = ()) -> str:
    """Turn a header the parser kept as surrogate-escaped 8-bit bytes into real text."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # already real text (built in Python, not parsed from bytes)
    return decode_bytes(data, None, defects, "8-bit header", hints)


def _clean(value: str) -> str:
    """Replace control characters by spaces, collapse runs of spaces, strip."""
    if not value.isprintable():
        value = value.translate(_CTRL)
    if "  " in value:
        value = _SPACES.sub(" ", value)
    return value.strip()


def _b_decode(text: str) -> bytes:
    data = "".join(text.split())
    data = data.rstrip("=")
    rem = len(data) % 4
    if rem == 1:  # one dangling sextet cannot hold a byte
        data = data[:-1]
        rem = 0
    data += "=" * ((4 - rem) % 4)
    try:
        return binascii.a2b_base64(data.encode("ascii", "ignore"))
    except (binascii.Error, ValueError):
        return b""


def _q_decode(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return binascii.a2b_qp(raw, header=True)
    except (binascii.Error, ValueError):
        return raw.replace(b"_", b" ")


def decode_header(value: str, defects: list[str] | None = None, hints: tuple[str, ...] = ()) -> str:
    """Decode a raw header value to clean one-line text; never raises.

    Handles RFC 2047 encoded words (Q and B, any charset, adjacent words whose
    bytes split a character, missing ``?=``, spaces inside), raw 8-bit text,
    and control characters (replaced by spaces).
    """
    value = unfold(value)
    if not value.isascii():
        value = header_text(value, defects, hints)
    if "=?" not in value:
        return _clean(value)
    pieces: list[str | tuple[str, bytes]] = []
    pos = 0
    for match in _EW.finditer(value):
        between = value[pos : match.start()]
        if between and not (
            pieces and isinstance(pieces[-1], tuple) and (between.isspace() or not between)
        ):
            pieces.append(between)
        charset, enc, text = match.groups()
        data = _b_decode(text) if enc in "bB" else _q_decode(text)
        charset = charset.lower()
        last = pieces[-1] if pieces else None
        if isinstance(last, tuple) and last[0] == charset:
            pieces[-1] = (charset, last[1] + data)
        else:
            pieces.append((charset, data))
        pos = match.end()
    if pos < len(value):
        pieces.append(value[pos:])
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, tuple):
            # an encoder wrote this label for exactly these bytes: trust it
            out.append(
                decode_bytes(piece[1], piece[0], defects, "encoded word", hints, prefer_utf8=False)
            )
        else:
            out.append(piece)
    return _clean("".join(out))


# ---------------------------------------------------------------- addresses

_ADDR_TOKENS = re.compile(
    r"""=\?[^?\s]+\?[bBqQ]\?[^?]*\?=   # an encoded word (may hold commas)
      | "(?:[^"\\]|\\.)*"?            # a quoted string (maybe unterminated)
      | \((?:[^()\\]|\\.)*\)?         # a comment (not nested)
      | <[^<>]*>?                     # an angle address
      | [^,;:"(<=]+                   # plain text
      | [,;:=]                        # separators, and a lone "="
    """,
    re.VERBOSE | re.DOTALL,
)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    elif text.startswith('"'):
        text = text[1:]
    if "\\" in text:
        text = re.sub(r"\\(.)", r"\1", text)
    return text


def _make_address(
    tokens: list[str], defects: list[str] | None, hints: tuple[str, ...]
) -> Address | None:
    angle: str | None = None
    name_parts: list[str] = []
    comments: list[str] = []
    for tok in tokens:
        if tok.startswith("<"):
            angle = tok[1:-1] if tok.endswith(">") else tok[1:]
        elif tok.startswith("("):
            comments.append(tok[1:-1] if tok.endswith(")") else tok[1:])
        elif tok.startswith('"'):
            name_parts.append(_unquote(tok))
        else:
            name_parts.append(tok)
    if angle is not None:
        email = angle
        name = "".join(name_parts)
    else:
        words = "".join(name_parts).split()
        with_at = [w for w in words if "@" in w]
        if with_at:
            email = with_at[-1]
            words.remove(email)
            name = " ".join(words)
        elif len(words) == 1:
            email, name = words[0], ""
        else:
            if words and defects is not None:
                defects.append(f"address without an addr-spec: {' '.join(words)[:80]!r}")
            return None
    email = "".join(header_text(email, defects, hints).split()).strip("<>")
    if email[:7].lower() == "mailto:":
        email = email[7:]
    if not email:
        return None
    if not name.strip() and comments:
        name = " ".join(comments)
    return Address(decode_header(name.strip(), defects, hints), email)


# Lists without quotes, comments, groups, encoded words or 8-bit text (most mail)
# take a fast path.
_SIMPLE_LIST = re.compile(r"[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~.@<>,\[\]]*")
_SIMPLE_ONE = re.compile(r"\s*([^<>]*?)\s*<\s*([^<>\s]*)\s*>\s*")


def _simple_addresses(value: str) -> list[Address] | None:
    """Parse a list matching _SIMPLE_LIST; None when an item needs the full parser."""
    out: list[Address] = []
    for item in value.split(","):
        match = _SIMPLE_ONE.fullmatch(item)
        if match is not None:
            name, email = match.groups()
            if email:
                out.append(Address(" ".join(name.split()), email))
            continue
        words = item.split()
        if "<" in item or ">" in item:
            return None
        if not words:
            continue
        with_at = [w for w in words if "@" in w]
        if with_at:
            words.remove(with_at[-1])
            out.append(Address(" ".join(words), with_at[-1]))
        elif len(words) == 1:
            out.append(Address("", words[0]))
    return out


def parse_address_list(
    value: str | None, defects: list[str] | None = None, hints: tuple[str, ...] = ()
) -> list[Address]:
    """Parse an address-list header (From, To, Cc, Reply-To) into addresses; never raises.

    Groups (``team: a@x, b@y;``) are flattened; ``undisclosed-recipients:;`` gives none.
    """
    if not value:
        return []
    value = unfold(value)
    if "=?" not in value and _SIMPLE_LIST.fullmatch(value) is not None:
        simple = _simple_addresses(value)
        if simple is not None:
            return simple
    result: list[Address] = []
    current: list[str] = []
    for match in _ADDR_TOKENS.finditer(value):
        tok = match.group(0)
        if tok in (",", ";"):
            if current:
                addr = _make_address(current, defects, hints)
                if addr is not None:
                    result.append(addr)
            current = []
        elif tok == ":" and not any(t.startswith("<") or "@" in t for t in current):
            current = []  # a group's display name
        else:
            current.append(tok)
    if current:
        addr = _make_address(current, defects, hints)
        if addr is not None:
            result.append(addr)
    return result


# ---------------------------------------------------------------- ids, dates


def parse_msg_ids(value: str | None) -> list[str]:
    """Return the message ids in a References/In-Reply-To/Message-ID header, unbracketed."""
    if not value:
        return []
    value = unfold(value)
    ids = ["".join(m.split()) for m in _MSGID_BRACKETED.findall(value)]
    ids = [i for i in ids if i]
    if not ids:
        # Some mailers drop the brackets: take the words that look like ids.
        words = value.replace(",", " ").split()
        ids = [w.rsplit("<", 1)[-1].replace(">", "").strip(";") for w in words if "@" in w]
        ids = [i for i in ids if i]
    seen: set[str] = set()
    out: list[str] = []
    for mid in ids:
        if not mid.isascii():
            mid = header_text(mid)
        if mid not in seen:
            seen.add(mid)
            out.append(mid)
    return out


def parse_msg_id(value: str | None) -> str | None:
    """Return the first message id in a header, unbracketed, or None."""
    ids = parse_msg_ids(value)
    return ids[0] if ids else None


def parse_date(value: str | None, defects: list[str] | None = None) -> datetime | None:
    """Parse an RFC 5322 date into an aware datetime (UTC for ``-0000``); None if invalid."""
    if not value:
        return None
    value = _clean(unfold(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        when = None
    if when is None:
        if defects is not None:
            defects.append(f"unparseable Date header: {value[:80]!r}")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


# ---------------------------------------------------------------- parameters

_PARAM_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[^;"]+|;', re.DOTALL)


def parse_params(
    value: str | None, defects: list[str] | None = None, hints: tuple[str, ...] = ()
) -> tuple[str, dict[str, str]]:
    """Split ``Content-Type``/``Content-Disposition`` into its lowercased value and params.

    RFC 2231 continuations and ``charset'lang'%XX`` values are joined and
    decoded; RFC 2047 words inside parameters (as Outlook and Gmail send) too.
    """
    if not value:
        return "", {}
    value = unfold(value)
    if not value.isascii():
        value = header_text(value, defects, hints)
    segments: list[str] = []
    cur: list[str] = []
    for match in _PARAM_TOKENS.finditer(value):
        tok = match.group(0)
        if tok == ";":
            segments.append("".join(cur))
            cur = []
        else:
            cur.append(tok)
    segments.append("".join(cur))
    main = "".join(segments[0].split()).lower()
    params: dict[str, str] = {}
    continued: dict[str, list[tuple[int, bool, str]]] = {}
    for seg in segments[1:]:
        name, eq, val = seg.partition("=")
        name = name.strip().lower()
        if not eq or not name:
            continue
        val = val.strip()
        if val.startswith('"'):
            val = _unquote(val)
        extended = name.endswith("*")
        if extended:
            name = name[:-1]
        base, star, index = name.partition("*")
        if star or extended:
            num = int(index) if index.isdigit() else 0
            continued.setdefault(base, []).append((num, extended, val))
        elif name not in params:
            params[name] = val
    for base, parts in continued.items():
        parts.sort(key=lambda p: p[0])
        charset = ""
        chunks: list[bytes] = []
        for i, (_num, extended, val) in enumerate(parts):
            if extended:
                if i == 0 and val.count("'") >= 2:
                    charset, _lang, val = val.split("'", 2)
                chunks.append(unquote_to_bytes(val))
            else:
                chunks.append(val.encode("utf-8", "surrogateescape"))
        params[base] = decode_bytes(b"".join(chunks), charset or "utf-8", defects, base, hints)
    for key in ("name", "filename"):
        if key in params and "=?" in params[key]:
            params[key] = decode_header(params[key], defects, hints)
    return main, params
