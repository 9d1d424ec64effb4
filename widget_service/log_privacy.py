"""What never reaches a log line: the token of an unsubscribe or confirmation link (the only key
to a subscription), a client's IP address, an email address.

``mask`` rewrites one line; ``PrivateLogFilter`` applies it to every record a handler or logger
passes on, its traceback included. The app puts the filter on the root logger's handlers (Flask's
own "Exception on /confirm/<token>" lines go there) and ``gunicorn.conf.py`` on gunicorn's error
log ("Error handling request /unsubscribe/<token>", "Invalid request from ip=...").
"""
import ipaddress
import logging
import re

# Paths whose next segment is a secret. A new route that carries one in its path belongs here,
# and in the log map of deploy/nginx/msp-widgets.conf.
SECRET_PATHS = ("unsubscribe", "confirm", "not-me", "stats")  # stats: /partners/stats/<token>

_SLASH = r"(?:/|%2f)"


def _any_spelling(word):
    # Gunicorn's own lines quote the request line as sent, before percent-decoding:
    # /%75nsubscribe%2F<token> reaches the same view as /unsubscribe/<token>.
    return "".join(f"(?:{re.escape(letter)}|%{ord(letter):02x})" for letter in word)


_SECRET = re.compile(
    rf"(?:(?<=/)|(?<=%2f)|(?<=%2F))(?P<head>(?:{'|'.join(map(_any_spelling, SECRET_PATHS))}){_SLASH}+)"
    rf"(?P<token>[^\s\"'?#<>]+?)(?P<tail>(?:{_SLASH}+resubscribe)?{_SLASH}*)(?=[\s\"'?#<>]|$)",
    re.IGNORECASE,
)
# An address that is a URL's host (``Listening at: http://127.0.0.1:5000``) is the service's own,
# never a client's: it stays.
_IPV4 = re.compile(r"(?<![\w.])(?<!//)(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Candidates only (hex groups and at least two colons, maybe an IPv4 tail); ipaddress decides.
_IPV6 = re.compile(
    r"(?<![\w:.])(?<!//\[)(?=[0-9a-f:.]*:[0-9a-f.]*:)[0-9a-f:]+(?:\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])", re.IGNORECASE
)
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")


def mask(text):
    """``text`` without secret path segments, email addresses or clients' IP addresses."""
    text = _SECRET.sub(lambda m: f"{m['head']}…{m['tail']}", text)
    text = _EMAIL.sub("[email]", text)

    def address(match):
        candidate = match.group(0)
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return candidate  # a time of day, a version number...
        return "[ip]"

    return _IPV6.sub(address, _IPV4.sub(address, text))


class PrivateLogFilter(logging.Filter):
    """Masks each record's message and traceback in place; never drops a record."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: the handler reports it
            return True
        private = mask(message)
        if private != message:
            record.msg, record.args = private, ()
        if record.exc_info and not record.exc_text:
            # What the handler's formatter would print, masked before it prints it.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def install(target):
    """Put one ``PrivateLogFilter`` on ``target`` (a logger or a handler), replacing any before."""
    for old in [f for f in target.filters if isinstance(f, PrivateLogFilter)]:
        target.removeFilter(old)
    target.addFilter(PrivateLogFilter())
