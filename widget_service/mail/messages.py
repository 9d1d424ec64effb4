"""Writing a queued mail: its text from its cause, in its reader's language, plain text and HTML.

Each kind of mail has a builder (``@builder("kind")``) that reads the mail's cause and returns a
``Draft`` (subject, template, context, extra headers), or None when the cause is gone or no
longer wants the mail (it is then cancelled). Templates are ``mail/<template>.txt`` and
``.html`` (``dir="rtl"`` for Urdu through ``mail/base.html``).
"""
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

import dkim
from flask import current_app, render_template
from flask_babel import force_locale

from ..config import ConfigError

DEV_SENDER = "Minority Support Pakistan <no-reply@localhost>"
RTL_LANGUAGES = {"ur"}
_BUILDERS = {}
# Signed when present: RFC 8058 asks for List-Unsubscribe and List-Unsubscribe-Post to be covered.
DKIM_HEADERS = [b"From", b"To", b"Subject", b"Date", b"Message-ID", b"Content-Type", b"MIME-Version",
                b"List-Unsubscribe", b"List-Unsubscribe-Post"]


@dataclass
class Draft:
    subject: str
    template: str
    context: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


class Held(Exception):
    """Raised by a builder: not now (a paused alert); the mail waits until ``until``, untried."""

    def __init__(self, until):
        super().__init__(until)
        self.until = until


def builder(kind):
    def register(function):
        _BUILDERS[kind] = function
        return function
    return register


def sender():
    return current_app.config["MAIL_FROM"] or DEV_SENDER


def sender_domain():
    return parseaddr(sender())[1].rpartition("@")[2] or "localhost"


def render(mail):
    """The mail's bytes as they go on the wire (DKIM-signed when a key is set), or None."""
    with force_locale(mail.lang):
        draft = _BUILDERS[mail.kind](mail)
        if draft is None:
            return None
        text, html = render_body(draft, mail.lang, "txt"), render_body(draft, mail.lang, "html")
        subject = str(draft.subject)
    message = EmailMessage()
    message["From"] = sender()
    message["To"] = mail.to_email
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # The same on every try of this row, so a receiver can tell a repeat from a second mail.
    message["Message-ID"] = f"<outbox-{mail.id}@{sender_domain()}>"
    message["Auto-Submitted"] = "auto-generated"
    for name, value in draft.headers.items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = mail.lang  # after the content, which clears Content-* headers
    policy = email.policy.SMTP if mail.to_email.isascii() else email.policy.SMTPUTF8
    return sign(message.as_bytes(policy=policy))


def render_body(draft, lang, part):
    """A draft's ``txt`` or ``html`` part (in the locale the caller forced)."""
    context = {"lang": lang, "dir": "rtl" if lang in RTL_LANGUAGES else "ltr", **draft.context}
    return render_template(f"mail/{draft.template}.{part}", **context)


def load_dkim_key(path, selector):
    """The DKIM key of ``WIDGET_DKIM_KEY_FILE`` (None when unset), read once at start and tried
    on a sample mail: a key that cannot sign stops the start instead of every mail."""
    if not path:
        return None
    try:
        key = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(f"WIDGET_DKIM_KEY_FILE cannot be read: {error.strerror}") from None
    try:
        dkim.sign(b"From: check@example.org\r\nSubject: check\r\n\r\ncheck\r\n", selector.encode(),
                  b"example.org", key, include_headers=[b"From"])
    except (dkim.DKIMException, ValueError):  # (its words might quote the key: not repeated)
        raise ConfigError("WIDGET_DKIM_KEY_FILE is not a PEM RSA private key (PKCS#1 or PKCS#8) that can sign") from None
    return key


def sign(data):
    """Prepend a DKIM signature when ``WIDGET_DKIM_KEY_FILE`` and ``WIDGET_DKIM_SELECTOR`` are set."""
    key = current_app.extensions.get("msp_dkim_key")
    if key is None:
        return data
    config = current_app.config
    domain = config["DKIM_DOMAIN"] or sender_domain()
    signature = dkim.sign(
        data, config["DKIM_SELECTOR"].encode(), domain.encode(), key,
        include_headers=[name for name in DKIM_HEADERS if _has_header(data, name)],
    )
    return signature + data


def _has_header(data, name):
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(name.lower() + b":") or (b"\r\n" + name.lower() + b":") in head
