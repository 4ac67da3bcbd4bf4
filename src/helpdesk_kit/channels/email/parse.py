"""``parse_email``: raw MIME bytes in, a decoded :class:`ParsedEmail` out, never an exception."""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from helpdesk_kit.channels.email.charsets import decode_bytes
from helpdesk_kit.channels.email.detect import DEFAULT_MAX_RECEIVED, LOOP_HEADER, classify
from helpdesk_kit.channels.email.headers import (
    decode_header,
    header_text,
    parse_address_list,
    parse_date,
    parse_msg_id,
    parse_msg_ids,
    parse_params,
    unfold,
)
from helpdesk_kit.channels.email.htmltext import html_to_text
from helpdesk_kit.channels.email.model import Address, Attachment, ParsedEmail
from helpdesk_kit.channels.email.quotes import extract_reply
from helpdesk_kit.errors import InvalidInput

__all__ = ["MAX_DEPTH", "find_ticket_number", "parse_email"]

#: MIME nesting deeper than this is not walked (a defect is recorded instead).
MAX_DEPTH = 40

# compat32 is the fast policy: headers stay plain strings (8-bit bytes kept as
# surrogates) and this module decodes the few it needs itself.
_PARSER = BytesParser(policy=compat32)
_TICKET = re.compile(r"\[\s*#\s*(\d{1,12})\s*\]")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_B64_BAD = re.compile(rb"[^A-Za-z0-9+/=\s]")
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/csv": ".csv",
    "text/calendar": ".ics",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
}
_UNSAFE_NAME = dict.fromkeys((*range(0, 32), 127))


def find_ticket_number(subject: str) -> int | None:
    """Return the ticket number of the first ``[#1042]`` tag in a subject, or None."""
    match = _TICKET.search(subject)
    return int(match.group(1)) if match else None


def _raw_headers(part: Message) -> list[tuple[str, str]]:
    return [(str(name), str(value)) for name, value in part.raw_items()]


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
    for hname, value in headers:
        if hname.lower() == name:
            return value
    return None


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks."""
    out: list[str] = []
    buf: str | None = None
    buf_depth = 0

    def flush() -> None:
        nonlocal buf
        if buf is not None:
            out.append(("> " * buf_depth if buf_depth else "") + buf)
            buf = None

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if content == "-- ":
            flush()
            out.append(line)
            continue
        flowed = content.endswith(" ")
        if flowed and delsp:
            content = content[:-1]
        if buf is not None and depth == buf_depth:
            buf += content
        else:
            flush()
            buf, buf_depth = content, depth
        if not flowed:
            flush()
    flush()
    return "\n".join(out)


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].translate(_UNSAFE_NAME).strip()
    return name.lstrip(".").strip()


class _Walker:
    """Collects body texts, HTML and attachments while walking the MIME tree."""

    def __init__(self, defects: list[str], hints: tuple[str, ...]) -> None:
        self.defects = defects
        self.hints = hints
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[Attachment] = []
        self.report_type = ""
        self.dsn_blocks: list[dict[str, str]] = []
        self.counter = 0

    def child(self) -> _Walker:
        sub = _Walker(self.defects, self.hints)
        sub.counter = self.counter
        return sub

    def adopt(self, sub: _Walker) -> None:
        self.attachments.extend(sub.attachments)
        self.dsn_blocks.extend(sub.dsn_blocks)
        self.counter = max(self.counter, sub.counter)
        if sub.report_type and not self.report_type:
            self.report_type = sub.report_type

    def _payload(self, part: Message, headers: list[tuple[str, str]]) -> bytes:
        # The raw body as the parser stored it (surrogate-escaped bytes). The public
        # getters either re-decode it lossily or apply their own stricter CTE rules.
        payload = getattr(part, "_payload", None)
        if isinstance(payload, bytes):
            data = payload
        elif isinstance(payload, str):
            try:
                data = payload.encode("ascii", "surrogateescape")
            except UnicodeEncodeError:
                data = payload.encode("utf-8", "surrogateescape")
        else:
            return b""
        cte = (_first(headers, "content-transfer-encoding") or "").strip().strip('"').lower()
        if cte == "base64":
            try:
                decoded = binascii.a2b_base64(data)
                if _B64_BAD.search(data) is not None:
                    self.defects.append("base64 body holds characters outside the alphabet")
                elif len(data.translate(None, b" \t\r\n")) % 4:
                    self.defects.append("base64 body is truncated or unpadded")
                return decoded
            except (binascii.Error, ValueError):
                cleaned = _B64_JUNK.sub(b"", data.split(b"=", 1)[0])
                if len(cleaned) % 4 == 1:
                    cleaned = cleaned[:-1]
                cleaned += b"=" * (-len(cleaned) % 4)
                self.defects.append("invalid base64 body; decoded what could be")
                try:
                    return binascii.a2b_base64(cleaned)
                except (binascii.Error, ValueError):
                    return b""
        if cte == "quoted-printable":
            try:
                return binascii.a2b_qp(data)
            except (binascii.Error, ValueError):
                self.defects.append("invalid quoted-printable body")
                return data
        if cte in ("", "7bit", "8bit", "binary"):
            return data
        if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
            return self._uudecode(data)
        self.defects.append(f"unknown Content-Transfer-Encoding {cte[:40]!r}; body kept as is")
        return data

    def _uudecode(self, data: bytes) -> bytes:
        out: list[bytes] = []
        started = False
        for line in data.splitlines():
            if not started:
                started = line.startswith(b"begin ")
                continue
            if line.strip() in (b"end", b"`"):
                break
            try:
                out.append(binascii.a2b_uu(line))
            except (binascii.Error, ValueError):
                self.defects.append("invalid uuencoded line skipped")
        return b"".join(out)

    def walk(
        self,
        part: Message,
        depth: int,
        parent_type: str = "",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        if depth > MAX_DEPTH:
            self.defects.append(f"MIME nesting deeper than {MAX_DEPTH}; rest skipped")
            return
        for defect in getattr(part, "defects", ()):
            self.defects.append(type(defect).__name__)
        if headers is None:
            headers = _raw_headers(part)
        ctype, params = parse_params(_first(headers, "content-type"), self.defects, self.hints)
        if "/" not in ctype:
            if ctype:
                self.defects.append(f"invalid Content-Type {ctype[:60]!r}; read as text/plain")
            ctype = "message/rfc822" if parent_type == "multipart/digest" else "text/plain"
        if part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                return
            if ctype == "multipart/alternative":
                self.alternative([c for c in children if isinstance(c, Message)], depth)
            elif ctype == "message/delivery-status":
                for block in children:
                    if isinstance(block, Message):
                        self.dsn_blocks.append(
                            {
                                k.lower(): header_text(unfold(v))
                                for k, v in reversed(_raw_headers(block))
                            }
                        )
                self.attach(part, headers, ctype, params, b"", depth)
            elif ctype.startswith("message/"):
                self.attach(part, headers, ctype, params, None, depth)
            else:
                if ctype == "multipart/report" and not self.report_type:
                    self.report_type = params.get("report-type", "").strip().lower()
                for child in children:
                    if isinstance(child, Message):
                        self.walk(child, depth + 1, ctype)
            return
        data = self._payload(part, headers)
        disposition, dparams = parse_params(
            _first(headers, "content-disposition"), self.defects, self.hints
        )
        filename = dparams.get("filename") or params.get("name") or ""
        if ctype.startswith("multipart/"):
            self.defects.append(f"{ctype} without usable boundary; body read as text")
            ctype = "text/plain"
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text = decode_bytes(data, params.get("charset"), self.defects, ctype, self.hints)
            if "\x00" in text:  # databases (PostgreSQL) refuse NUL in text
                text = text.replace("\x00", "")
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if ctype == "text/html":
                self.htmls.append(text)
            else:
                if params.get("format", "").lower() == "flowed":
                    text = _unflow(text, params.get("delsp", "").lower() == "yes")
                self.texts.append(text)
            return
        if ctype == "message/delivery-status":
            self._dsn_text(decode_bytes(data, "utf-8", None))
        self.attach(part, headers, ctype, params, data, depth, disposition, filename)

    def _dsn_text(self, text: str) -> None:
        """Parse a delivery-status body the parser left as text."""
        block: dict[str, str] = {}
        last = ""
        for line in [*text.replace("\r\n", "\n").split("\n"), ""]:
            if not line.strip():
                if block:
                    self.dsn_blocks.append(block)
                block = {}
                continue
            if line[0] in " \t" and last:
                block[last] += " " + line.strip()
                continue
            name, sep, value = line.partition(":")
            if sep:
                last = name.strip().lower()
                block.setdefault(last, value.strip())

    def alternative(self, children: list[Message], depth: int) -> None:
        best_text: list[str] = []
        best_html: list[str] = []
        for child in children:
            if not isinstance(child, Message):
                continue
            sub = self.child()
            sub.walk(child, depth + 1, "multipart/alternative")
            if sub.texts:
                best_text = sub.texts  # the last alternative is the preferred one
            if sub.htmls:
                best_html = sub.htmls
            self.adopt(sub)
        self.texts.extend(best_text)
        self.htmls.extend(best_html)

    def attach(
        self,
        part: Message,
        headers: list[tuple[str, str]],
        ctype: str,
        params: dict[str, str],
        data: bytes | None,
        depth: int,
        disposition: str | None = None,
        filename: str | None = None,
    ) -> None:
        if disposition is None:
            disposition, dparams = parse_params(
                _first(headers, "content-disposition"), self.defects, self.hints
            )
            filename = dparams.get("filename") or params.get("name") or ""
        if data is None:  # an embedded message: keep it as the bytes of a .eml
            try:
                children = part.get_payload()
                inner = children[0] if isinstance(children, list) and children else None
                data = inner.as_bytes() if isinstance(inner, Message) else b""
            except Exception as exc:  # the generator can choke on damaged parts
                self.defects.append(f"embedded message not serializable: {type(exc).__name__}")
                data = b""
        self.counter += 1
        name = _safe_filename(filename or "")
        if not name:
            name = f"attachment-{self.counter}{_EXTENSIONS.get(ctype, '.bin')}"
        cid = parse_msg_id(_first(headers, "content-id"))
        inline = disposition == "inline" or (not disposition and cid is not None)
        self.attachments.append(
            Attachment(
                filename=name,
                content_type=ctype,
                content=data,
                inline=inline,
                content_id=cid,
            )
        )


def _header_map(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name.strip().lower(), []).append(value)
    return out


def _iter_text_headers(
    headers: list[tuple[str, str]], hints: tuple[str, ...]
) -> Iterator[tuple[str, str]]:
    for name, value in headers:
        value = unfold(value)
        if not value.isascii():
            value = header_text(value, None, hints)
        if not name.isascii():
            name = header_text(name)
        if "\x00" in value or "\x00" in name:
            name, value = name.replace("\x00", ""), value.replace("\x00", "")
        yield name, value


def _return_path(value: str | None) -> str | None:
    if value is None:
        return None
    inner = unfold(value).strip()
    if inner.startswith("<"):
        inner = inner[1:].split(">", 1)[0]
    return "".join(inner.split())


def _parse(raw: bytes, max_received: int, loop_header: str) -> ParsedEmail:
    defects: list[str] = []
    msg = _PARSER.parsebytes(raw)
    raw_headers = _raw_headers(msg)
    hmap = _header_map(raw_headers)
    if not raw_headers:
        defects.append("no headers")

    def first(name: str) -> str | None:
        values = hmap.get(name)
        return values[0] if values else None

    top_type, top_params = parse_params(first("content-type"))
    charset = top_params.get("charset", "")
    hints = (charset,) if charset else ()

    subject = decode_header(first("subject") or "", defects, hints)
    senders = parse_address_list(first("from"), defects, hints)
    if not senders:
        senders = parse_address_list(first("sender"), defects, hints)
    sender: Address | None = senders[0] if senders else None
    to = parse_address_list(", ".join(hmap.get("to", ())), defects, hints)
    cc = parse_address_list(", ".join(hmap.get("cc", ())), defects, hints)
    reply_to = parse_address_list(first("reply-to"), defects, hints)
    message_id = parse_msg_id(first("message-id"))
    in_reply_to = parse_msg_id(first("in-reply-to"))
    references = parse_msg_ids(" ".join(hmap.get("references", ())))
    date = parse_date(first("date"), defects)
    return_path = _return_path(first("return-path"))

    walker = _Walker(defects, hints)
    walker.walk(msg, 0, headers=raw_headers)
    html = "\n".join(walker.htmls) if walker.htmls else None
    if walker.texts:
        text = "\n".join(walker.texts)
    elif html is not None:
        text = html_to_text(html)
    else:
        text = ""
    found = classify(
        hmap,
        subject=subject,
        sender=sender,
        return_path=return_path,
        content_type=top_type,
        report_type=walker.report_type,
        dsn_blocks=walker.dsn_blocks,
        max_received=max_received,
        loop_header=loop_header,
    )
    return ParsedEmail(
        subject=subject,
        sender=sender,
        reply_to=reply_to,
        to=to,
        cc=cc,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        date=date,
        text=text,
        html=html,
        reply_text=extract_reply(text),
        attachments=walker.attachments,
        is_auto_reply=found.is_auto_reply,
        is_bounce=found.is_bounce,
        is_loop=found.is_loop,
        is_list=found.is_list,
        auto_submitted=found.auto_submitted,
        bounce_recipients=found.bounce_recipients,
        ticket_number=find_ticket_number(subject),
        return_path=return_path,
        hops=len(hmap.get("received", ())),
        suppress_auto_reply=found.suppress_auto_reply,
        headers=tuple(_iter_text_headers(raw_headers, hints)),
        defects=list(dict.fromkeys(defects)),
    )


def _fallback(raw: bytes, error: BaseException) -> ParsedEmail:
    """When the MIME parse itself fails: keep the text so nothing is lost."""
    defects = [f"MIME parse failed ({type(error).__name__}); whole message kept as text"]
    head, _sep, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    subject = ""
    for line in head.split(b"\n"):
        if line[:8].lower() == b"subject:":
            subject = decode_header(line[8:].decode("ascii", "surrogateescape"), defects)
            break
    text = decode_bytes(body or head, None, defects, "body").replace("\x00", "")
    return ParsedEmail(
        subject=subject,
        text=text,
        reply_text=extract_reply(text),
        ticket_number=find_ticket_number(subject),
        defects=defects,
    )


def parse_email(
    raw: bytes,
    *,
    max_received: int = DEFAULT_MAX_RECEIVED,
    loop_header: str = LOOP_HEADER,
) -> ParsedEmail:
    """Parse raw RFC 5322/MIME bytes into a :class:`ParsedEmail`; never raises for bytes.

    Whatever had to be guessed or skipped is listed in ``defects``.
    ``max_received`` and ``loop_header`` tune loop detection.
    """
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise InvalidInput(f"parse_email needs the raw message as bytes, got {type(raw).__name__}")
    try:
        return _parse(raw, max_received, loop_header)
    except Exception as exc:  # the contract: any bytes give a result, never an exception
        try:
            return _fallback(raw, exc)
        except Exception as exc2:
            return ParsedEmail(defects=[f"unparseable message ({type(exc2).__name__})"])
