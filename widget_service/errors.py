"""One exception family for the service, turned into JSON under /api and HTML elsewhere."""
import logging

from flask import jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout
from werkzeug.exceptions import BadHost, HTTPException

log = logging.getLogger(__name__)


class WidgetError(Exception):
    status = 400
    code = "bad_request"
    message = _l("The request could not be processed.")

    def __init__(self, message=None, errors=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors or {}


class MalformedRequest(WidgetError):
    status = 400
    code = "malformed_request"
    message = _l("The request body is not valid JSON.")


class ValidationFailed(WidgetError):
    status = 422
    code = "invalid_fields"
    message = _l("Some fields need attention.")


class CampaignNotFound(WidgetError):
    status = 404
    code = "campaign_not_found"
    message = _l("There is no such campaign.")


class CampaignClosed(WidgetError):
    status = 409
    code = "campaign_closed"
    message = _l("This campaign is closed and no longer takes signatures.")


class UnsupportedMediaType(WidgetError):
    status = 415
    code = "unsupported_media_type"
    message = _l("Send the request body as application/json.")


class ServiceUnavailable(WidgetError):
    status = 503
    code = "unavailable"
    message = _l("The service is busy. Please try again in a moment.")


BAD_HOST = _l("The Host header does not name a valid host.")

RATE_LIMITED = _l("Too many forms have been sent from your network just now. Please try again in a few minutes.")

# What Werkzeug's errors say, in the reader's language.
HTTP_MESSAGES = {
    400: _l("The request could not be processed."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What was sent is too large."),
    429: RATE_LIMITED,
}

# Werkzeug's HTTP errors mapped onto the same JSON shape.
HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def wants_json():
    return request.path.startswith("/api/")


def render_error(status, code, message, errors=None):
    """The error as a response: JSON under /api, a page in the reader's language elsewhere."""
    if isinstance(request.routing_exception, BadHost):
        # Werkzeug could not turn the Host header into a host name (``x..y``, a 64-character
        # label): no URL can be built for this request, and a page's links are built.
        if wants_json():
            return make_response(jsonify({"error": "bad_host", "message": str(BAD_HOST)}), 400)
        return make_response(f"{BAD_HOST}\n", 400, {"Content-Type": "text/plain; charset=utf-8"})
    if wants_json():
        body = {"error": code, "message": message}
        if errors:
            body["errors"] = errors
        return make_response(jsonify(body), status)
    return make_response(render_template("error.html", status=status, message=message), status)


def register_errorhandlers(app):
    @app.errorhandler(WidgetError)
    def handle_widget_error(error):
        return render_error(error.status, error.code, str(error.message), error.errors)

    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        message = HTTP_MESSAGES.get(error.code) or error.description or error.name
        response = render_error(error.code, HTTP_CODES.get(error.code, "error"), str(message))
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def handle_database_down(error):
        # The database went away mid-request (restart, failover, cut connection): the
        # transaction was rolled back, so the client may simply retry.
        log.warning("database unavailable: %s", error.__class__.__name__)
        response = render_error(503, ServiceUnavailable.code, str(ServiceUnavailable.message))
        response.headers["Retry-After"] = "5"
        return response
