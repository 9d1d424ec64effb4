"""Handing mails to an SMTP server (``WIDGET_SMTP_URL``), or writing them to files.

- ``smtp://user:password@host:587?tls=starttls``: SMTP, upgraded with STARTTLS (required when
  ``tls=starttls``; the certificate is verified); ``smtp://127.0.0.1:1025`` plain, for a local
  server or relay.
- ``smtps://user:password@host:465``: SMTP over TLS from the first byte.
- ``file:instance/mail`` (or ``file:///an/absolute/path``): every mail written there as an
  ``.eml`` file, to read what would be sent (``make run`` uses it).

Errors are sorted for the worker: ``Temporary`` (4xx replies, a server that is down or cut the
line) is tried again later, ``Permanent`` (5xx) is recorded and not tried again.
"""
import smtplib
import ssl
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import ConfigError
from ..log_privacy import mask


class Temporary(Exception):
    """Try this mail again later."""


class Permanent(Exception):
    """The server refused this mail for good."""


def describe(error):
    """A short account of an SMTP error for the outbox row: no address, no password."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, reply = next(iter(error.recipients.values()))
        error = reply
    text = getattr(error, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if isinstance(error, bytes):
        text = error.decode("utf-8", "replace")
    words = f"{code} {text}" if code else f"{error.__class__.__name__}: {text or error}"
    return mask(" ".join(words.split()))[:200]


def classify(error):
    """``Temporary`` or ``Permanent`` for an error from smtplib or the network."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code = next(iter(error.recipients.values()))[0]
    if isinstance(code, int) and 500 <= code < 600:
        return Permanent(describe(error))
    return Temporary(describe(error))


def parse(url):
    """Check ``WIDGET_SMTP_URL``; returns a transport, or None when it is empty."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = parts.path if parts.netloc in ("", "localhost") else None
        if not path:
            raise ConfigError("WIDGET_SMTP_URL: file:DIRECTORY, such as file:instance/mail")
        return FileTransport(Path(unquote(path)))
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(
            "WIDGET_SMTP_URL must be smtp://user:password@host:587?tls=starttls, smtps://user:password@host:465, "
            "smtp://127.0.0.1:1025 or file:instance/mail"
        )
    query = parse_qs(parts.query)
    tls = (query.get("tls") or ["starttls" if parts.port == 587 else ""])[0]
    if parts.scheme == "smtp" and tls not in ("", "starttls", "none"):
        raise ConfigError("WIDGET_SMTP_URL: tls= takes starttls or none")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ConfigError("WIDGET_SMTP_URL has a port that is not a number") from None
    return SMTPTransport(
        host=parts.hostname, port=port, implicit_tls=parts.scheme == "smtps", starttls=tls == "starttls",
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SMTPTransport:
    def __init__(self, host, port, implicit_tls, starttls, user, password):
        self.host, self.port, self.implicit_tls, self.starttls = host, port, implicit_tls, starttls
        self.user, self.password = user, password

    def open(self, timeout):
        """A connection ready to send, or ``Temporary`` (server down, refused greeting, login)."""
        try:
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
        except (smtplib.SMTPException, OSError) as error:
            # Even a 5xx here (a refused login) says nothing about any one mail: try them later.
            raise Temporary(describe(error)) from None
        return SMTPConnection(smtp)


class SMTPConnection:
    def __init__(self, smtp):
        self.smtp = smtp

    def send(self, sender, recipient, data, name):
        options = [] if recipient.isascii() else ["SMTPUTF8"]
        try:
            self.smtp.sendmail(sender, [recipient], data, mail_options=options)
        except (smtplib.SMTPException, OSError) as error:
            if not isinstance(error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                self.close()
            raise classify(error) from None

    def usable(self):
        return self.smtp.sock is not None

    def close(self):
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


class FileTransport:
    def __init__(self, directory):
        self.directory = directory

    def open(self, timeout):
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, sender, recipient, data, name):
        # Named by the outbox row, so a mail tried twice is one file.
        (self.directory / f"{name}.eml").write_bytes(data)

    def usable(self):
        return True

    def close(self):
        pass
