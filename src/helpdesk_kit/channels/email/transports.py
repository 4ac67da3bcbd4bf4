"""Where mail comes from and goes to: a Maildir, an IMAP mailbox, an SMTP server.

Sources hand out ``(key, raw bytes)`` and forget a message only when the caller
acknowledges it, so a crash between fetching and storing re-delivers it (the
desk makes intake idempotent by Message-ID).
"""

from __future__ import annotations

import contextlib
import imaplib
import mailbox
import os
import re
import smtplib
import socket
import ssl as ssl_module
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

from helpdesk_kit.errors import ChannelError, ConfigurationError, InvalidInput

__all__ = ["ImapSource", "MailSource", "MaildirSource", "SmtpSender"]


class MailSource(Protocol):
    """Anything that yields ``(key, raw)`` messages and forgets one when acknowledged."""

    def fetch(self) -> Iterator[tuple[str, bytes]]:
        """Yield the messages not acknowledged yet."""
        ...

    def ack(self, key: str) -> None:
        """Mark the message ``key`` processed so it is not fetched again."""
        ...


class MaildirSource:
    """New messages of a Maildir; acknowledging moves one from ``new/`` to ``cur/`` as seen."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        if not create and not (self.path / "new").is_dir():
            raise ConfigurationError(
                f"{self.path} is not a Maildir (no new/ folder); pass create=True to make one"
            )
        try:
            if create:
                # mailbox.Maildir only makes the sub-folders for a path that does not exist yet
                for sub in ("tmp", "new", "cur"):
                    (self.path / sub).mkdir(parents=True, exist_ok=True)
            self._box = mailbox.Maildir(self.path, factory=None, create=create)
        except OSError as exc:
            raise ConfigurationError(f"cannot open Maildir {self.path}: {exc}") from exc
        self._names: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MaildirSource({str(self.path)!r})"

    def fetch(self) -> Iterator[tuple[str, bytes]]:
        """Yield ``(key, raw)`` for each message in ``new/``, oldest first."""
        new = self.path / "new"
        try:
            entries = [e for e in os.scandir(new) if e.is_file() and not e.name.startswith(".")]
        except OSError as exc:
            raise ChannelError(f"cannot list {new}: {exc}") from exc
        entries.sort(key=lambda e: (e.stat().st_mtime, e.name))
        for entry in entries:
            key = entry.name.split(self._box.colon, 1)[0]
            try:
                raw = Path(entry.path).read_bytes()
            except FileNotFoundError:
                continue  # another worker took it
            except OSError as exc:
                raise ChannelError(f"cannot read {entry.path}: {exc}") from exc
            self._names[key] = entry.name
            yield key, raw

    def ack(self, key: str) -> None:
        """Move message ``key`` to ``cur/`` with the Seen flag (the Maildir way to mark it)."""
        name = self._names.pop(key, None)
        if name is None:
            raise InvalidInput(f"unknown or already acknowledged Maildir key {key!r}")
        # mailbox.Maildir on Python < 3.13 can only set flags by rewriting the
        # whole file; a rename is what the Maildir protocol asks for and is atomic.
        target = self.path / "cur" / f"{key}{self._box.colon}2,S"
        try:
            os.rename(self.path / "new" / name, target)
        except FileNotFoundError as exc:
            raise ChannelError(f"Maildir message {key!r} vanished before ack") from exc
        except OSError as exc:
            raise ChannelError(f"cannot move Maildir message {key!r} to cur/: {exc}") from exc

    def add(self, raw: bytes) -> str:
        """Deliver ``raw`` into ``new/`` (for tests and local injection); return its key."""
        return str(self._box.add(raw))


_FETCH_UID = re.compile(rb"UID (\d+)")


class ImapSource:
    """Unseen messages of one IMAP folder, by UID; acknowledging sets ``\\Seen``.

    Fetches use ``BODY.PEEK[]`` so nothing is marked read before the ack. Use it
    as a context manager, or call :meth:`connect` and :meth:`close`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        ssl: bool = True,
        folder: str = "INBOX",
        timeout: float = 30.0,
        ssl_context: ssl_module.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self._password = password
        self.ssl = ssl
        self.folder = folder
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._conn: imaplib.IMAP4 | None = None

    def __repr__(self) -> str:
        return f"ImapSource({self.host!r}, {self.port}, {self.user!r}, folder={self.folder!r})"

    def __enter__(self) -> ImapSource:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> None:
        """Connect, log in and select the folder (read-write, for the ``\\Seen`` flag)."""
        if self._conn is not None:
            return
        try:
            if self.ssl:
                context = self.ssl_context or ssl_module.create_default_context()
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=context, timeout=self.timeout
                )
            else:
                conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ConfigurationError(
                f"cannot connect to IMAP server {self.host}:{self.port}: {exc}"
            ) from exc
        try:
            conn.login(self.user, self._password)
        except imaplib.IMAP4.error as exc:
            _quiet_logout(conn)
            raise ConfigurationError(
                f"IMAP login as {self.user!r} on {self.host} was refused: {exc}"
            ) from exc
        typ, data = conn.select(_quote_mailbox(self.folder))
        if typ != "OK":
            _quiet_logout(conn)
            raise ConfigurationError(f"cannot select IMAP folder {self.folder!r}: {data!r}")
        self._conn = conn

    def _need(self) -> imaplib.IMAP4:
        if self._conn is None:
            self.connect()
        assert self._conn is not None
        return self._conn

    def fetch(self) -> Iterator[tuple[str, bytes]]:
        """Yield ``(uid, raw)`` for each unseen message, lowest UID first."""
        conn = self._need()
        try:
            typ, data = conn.uid("SEARCH", "UNSEEN")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ChannelError(f"IMAP search on {self.host} failed: {exc}") from exc
        if typ != "OK":
            raise ChannelError(f"IMAP search on {self.host} failed: {data!r}")
        uids = sorted({int(u) for chunk in data if isinstance(chunk, bytes) for u in chunk.split()})
        for uid in uids:
            raw = self._fetch_one(conn, str(uid))
            if raw is not None:
                yield str(uid), raw

    def _fetch_one(self, conn: imaplib.IMAP4, uid: str) -> bytes | None:
        try:
            typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ChannelError(f"IMAP fetch of UID {uid} on {self.host} failed: {exc}") from exc
        if typ != "OK":
            raise ChannelError(f"IMAP fetch of UID {uid} on {self.host} failed: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                match = _FETCH_UID.search(item[0])
                if match is None or match.group(1).decode() == uid:
                    return bytes(item[1])
        return None  # expunged meanwhile

    def ack(self, key: str) -> None:
        """Flag message UID ``key`` as ``\\Seen``."""
        if not key.isdigit():
            raise InvalidInput(f"an IMAP UID is a number, got {key!r}")
        conn = self._need()
        try:
            typ, data = conn.uid("STORE", key, "+FLAGS", "(\\Seen)")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ChannelError(f"IMAP store on UID {key} failed: {exc}") from exc
        if typ != "OK":
            raise ChannelError(f"IMAP store on UID {key} failed: {data!r}")

    def close(self) -> None:
        """Log out (errors on the way out are ignored)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            _quiet_logout(conn)


def _quote_mailbox(name: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._/-]+", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quiet_logout(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        conn.logout()


class SmtpSender:
    """Sends composed messages through an SMTP server (optionally STARTTLS/SSL and AUTH)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 30.0,
        ssl_context: ssl_module.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if starttls and ssl:
            raise InvalidInput("choose starttls or ssl (implicit TLS), not both")
        if (username is None) != (password is None):
            raise InvalidInput("give both username and password, or neither")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.starttls = starttls
        self.ssl = ssl
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname

    def __repr__(self) -> str:
        return f"SmtpSender({self.host!r}, {self.port}, username={self.username!r})"

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl_module.create_default_context()
        try:
            if self.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
            smtp.ehlo_or_helo_if_needed()
            if self.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
        except (OSError, smtplib.SMTPException) as exc:
            raise ConfigurationError(
                f"cannot connect to SMTP server {self.host}:{self.port}: {exc}"
            ) from exc
        if self.username is not None and self._password is not None:
            try:
                smtp.login(self.username, self._password)
            except (OSError, smtplib.SMTPException) as exc:
                _quiet_quit(smtp)
                raise ConfigurationError(
                    f"SMTP login as {self.username!r} on {self.host} was refused: {exc}"
                ) from exc
        return smtp

    def send(self, msg: EmailMessage) -> None:
        """Send ``msg`` to its To, Cc and Bcc recipients; raise ChannelError if refused."""
        if not isinstance(msg, EmailMessage):
            raise InvalidInput(f"send needs an EmailMessage, got {type(msg).__name__}")
        smtp = self._connect()
        try:
            refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(
                f"SMTP server {self.host} refused every recipient: {exc.recipients!r}"
            ) from exc
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            raise ChannelError(f"SMTP server {self.host} did not take the message: {exc}") from exc
        finally:
            _quiet_quit(smtp)
        if refused:
            raise ChannelError(f"SMTP server {self.host} refused some recipients: {refused!r}")


def _quiet_quit(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException, socket.timeout):
        smtp.quit()
