"""Two places where Werkzeug's defaults trust the client more than the service may.

- A body without a ``Content-Length`` (``Transfer-Encoding: chunked``) is read up to the limit
  (``WIDGET_MAX_BODY_BYTES``, or a view's own ``request.max_content_length``) and then taken as
  complete: Werkzeug 3.1 stops at the limit without looking for more, so an oversized chunked
  body was cut short and accepted. Here it is refused with 413, as a sized one is.
- Werkzeug's own redirects (a doubled slash merged, a missing trailing slash added) are built on
  the Host header, which any client sets: a shared cache could keep ``Location:
  http://evil.example/...`` for everybody. Here they point at ``WIDGET_PUBLIC_URL``, or stay
  relative to the address asked when it is not set.
"""
from urllib.parse import urlsplit

from flask import Request, current_app, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import RequestRedirect
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream


class BoundedStream(LimitedStream):
    """A stream limited to a maximum that refuses a body going on past it, instead of returning
    its first ``limit`` bytes as if they were all of it."""

    def readall(self):
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class BoundedRequest(Request):
    @cached_property
    def stream(self):
        limit = self.max_content_length
        if self.shallow or limit is None or self.content_length is not None or "wsgi.input_terminated" not in self.environ:
            return super().stream
        # A body of unstated length, which the server (gunicorn) ends for us: Werkzeug's own
        # wrapper would cut it at the limit.
        return BoundedStream(self.environ["wsgi.input"], limit, is_max=True)


def public_redirect(response):
    """Werkzeug's routing redirect, pointed at the public address rather than the Host header."""
    if not isinstance(request.routing_exception, RequestRedirect):
        return response
    target = urlsplit(request.routing_exception.new_url)
    location = current_app.config["PUBLIC_URL"] + target.path[len(request.script_root):]
    if target.query:
        location += f"?{target.query}"
    return redirect(location or "/", request.routing_exception.code)


def init_app(app):
    app.request_class = BoundedRequest
    app.after_request(public_redirect)
