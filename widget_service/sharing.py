"""Share links for a campaign, and the ``ref`` that credits signatures coming from shares.

The shared address is the campaign page, ``/c/<slug>?lang=..&ref=<base>~<channel>``:

- ``base`` is the ref of the page the link was shared from (the partner whose widget the
  supporter signed on, or the ref the campaign page was opened with), else ``msp``;
- ``channel`` is where it was shared: ``whatsapp``, ``facebook``, ``x``, ``telegram``, ``email``,
  ``link`` (copied) or ``share`` (the browser's share sheet).

A share of a share keeps the first base and takes the newest channel (``ally~whatsapp`` shared
again on Telegram becomes ``ally~telegram``), so the ref never grows and always credits the
partner who started it. Nothing in it names or tells apart the supporter who shared: the same
link is given to everyone, so signatures are credited in aggregate (per partner and channel)
and no signature can be traced back to the person who forwarded it.

The ref passes ``validation.clean_ref`` (a partner key: letters, digits, ``._~-``, at most 64):
a long partner key is shortened to leave room for the channel.
"""
import os
from urllib.parse import quote, urlencode

import click
from flask import current_app, has_request_context, request, url_for
from flask_babel import gettext as _

from .validation import REF_MAX, clean_ref

SEPARATOR = "~"
DEFAULT_BASE = "msp"
CHANNELS = ("whatsapp", "facebook", "x", "telegram", "email", "link", "share")


def share_ref(ref, channel):
    """The ref a link shared through ``channel`` carries, from the ref of the page it was shared on."""
    base = (clean_ref(ref)[0] or "").split(SEPARATOR, 1)[0] or DEFAULT_BASE
    base = base[: REF_MAX - len(SEPARATOR) - len(channel)]
    return f"{base}{SEPARATOR}{channel}"


def public_base():
    """The service's public address, on which every absolute link is built (pages, mails, the
    commands' output): ``WIDGET_PUBLIC_URL`` (required in production), else the address the
    request being answered came to, else (a command or the mail worker, in development or
    tests) the address ``make run`` serves the demo on, its ``PORT``."""
    if current_app.config["PUBLIC_URL"]:
        return current_app.config["PUBLIC_URL"]
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"


def command_links_base(what):
    """``public_base()`` for a command that prints or exports links (``what``: what is built on
    it). Outside development a command asks for ``WIDGET_PUBLIC_URL`` rather than print links
    to a demo address; in development it says on standard error where they point."""
    if not current_app.config["PUBLIC_URL"]:
        if current_app.config["WIDGET_ENV"] != "development":
            raise click.ClickException(f"set WIDGET_PUBLIC_URL (such as https://widgets.example.org): {what} built on it")
        click.echo(f"links point to {public_base()}, the demo of make run (set WIDGET_PUBLIC_URL for real ones)", err=True)
    return public_base()


def campaign_url(slug, lang=None, ref=None):
    """The campaign page's absolute address (English is the page's default, so no ``lang``)."""
    query = {}
    if lang and lang != "en":
        query["lang"] = lang
    if ref:
        query["ref"] = ref
    path = url_for("campaign_page.show", slug=slug)
    return public_base() + path + ("?" + urlencode(query) if query else "")


def share_text(title):
    return _("Please sign the petition “%(title)s” and pass it on:", title=title)


def share_links(slug, title, lang, ref):
    """``[(channel, label, href)]`` in the order they are offered: WhatsApp first (most people
    in Pakistan share there), then Facebook, X, Telegram and email. Plain links to each
    service's own share page: no script of theirs is loaded."""
    text = share_text(title)

    def url(channel):
        return campaign_url(slug, lang, share_ref(ref, channel))

    def q(value):
        return quote(value, safe="")

    return [
        ("whatsapp", "WhatsApp", f"https://wa.me/?text={q(text + ' ' + url('whatsapp'))}"),
        ("facebook", "Facebook", f"https://www.facebook.com/sharer/sharer.php?u={q(url('facebook'))}"),
        ("x", "X", f"https://x.com/intent/post?text={q(text)}&url={q(url('x'))}"),
        ("telegram", "Telegram", f"https://t.me/share/url?url={q(url('telegram'))}&text={q(text)}"),
        ("email", _("Email"), f"mailto:?subject={q(title)}&body={q(text + chr(10) + chr(10) + url('email'))}"),
    ]
