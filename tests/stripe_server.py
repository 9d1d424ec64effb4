"""A real HTTP server on loopback that speaks the part of Stripe's API the service uses.

``POST /v1/checkout/sessions``: form-encoded parameters (Stripe's bracket notation, such as
``line_items[0][price_data][unit_amount]``) with ``Authorization: Bearer SECRET_KEY``; answers a
Checkout Session as JSON with its ``id`` and ``url``, or Stripe's error shape (401 for another
key, 400 for a session without a mode or line items). Every request is kept in ``requests`` for
assertions; ``fail_with`` makes the next answers an error, ``delay`` makes them slow.
``GET /c/pay/<id>`` is the session's page, where a donor lands (a plain page, nothing to pay).

Also here: building Stripe events and signing them the way Stripe does
(``Stripe-Signature: t=TIMESTAMP,v1=HMAC-SHA256(secret, "TIMESTAMP.PAYLOAD")``).
"""
import hashlib
import hmac
import itertools
import json
import time
from urllib.parse import parse_qsl

from .loopback import LoopbackServer, QuietHandler

SECRET_KEY = "sk_test_msp_loopback_0123456789"
WEBHOOK_SECRET = "whsec_msp_loopback_0123456789abcdef"

_serial = itertools.count(1)


class StripeServer(LoopbackServer):
    def __init__(self):
        self.requests = []  # {"auth", "params", "headers"} of every session request
        self.sessions = {}  # id -> the session answered
        self.fail_with = None  # (status, error type) for the answers from now on
        self.delay = 0.0
        super().__init__(Handler)


class Handler(QuietHandler):
    def _send(self, status, body, content_type="application/json"):
        data = (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_body(status, data, content_type, [("Request-Id", f"req_{next(_serial)}")])

    def _error(self, status, kind, message):
        self._send(status, {"error": {"type": kind, "message": message}})

    def do_GET(self):
        if self.path.startswith("/c/pay/"):
            session_id = self.path.split("/")[3].split("?")[0]
            return self._send(
                200, f"<!doctype html><title>Checkout {session_id}</title><h1 id=checkout>{session_id}</h1>", "text/html"
            )
        self._error(404, "invalid_request_error", "Unrecognized request URL")

    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        if self.path != "/v1/checkout/sessions":
            return self._error(404, "invalid_request_error", "Unrecognized request URL")
        server.requests.append({"auth": self.headers.get("Authorization"), "params": params, "headers": dict(self.headers)})
        if server.delay:
            time.sleep(server.delay)
        if server.fail_with:
            status, kind = server.fail_with
            return self._error(status, kind, "Something went wrong on Stripe's end.")
        if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return self._error(401, "invalid_request_error", "Invalid API Key provided")
        if params.get("mode") not in ("payment", "subscription") or "line_items[0][price_data][unit_amount]" not in params:
            return self._error(400, "invalid_request_error", "Missing required param: mode or line_items.")
        amount = params["line_items[0][price_data][unit_amount]"]
        if not amount.isdigit() or int(amount) > 99_999_999:  # Stripe's cap: eight digits of minor units
            return self._error(400, "invalid_request_error", "Amount must be no more than 99,999,999.")
        if params["mode"] == "subscription" and "submit_type" in params:
            return self._error(400, "invalid_request_error", "submit_type can only be used in payment mode.")
        session = session_object(params, server.url)
        server.sessions[session["id"]] = session
        self._send(200, session)


def session_object(params, base_url):
    """The Checkout Session Stripe answers for these creation parameters (the fields we use)."""
    session_id = f"cs_test_{next(_serial):06d}{int(time.time() * 1000) % 1_000_000:06d}"
    metadata = {k[len("metadata["):-1]: v for k, v in params.items() if k.startswith("metadata[")}
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": params["mode"],
        "amount_total": int(params["line_items[0][price_data][unit_amount]"]),
        "currency": params["line_items[0][price_data][currency]"],
        "metadata": metadata,
        "payment_status": "unpaid",
        "status": "open",
        "subscription": None,
        "success_url": params.get("success_url"),
        "cancel_url": params.get("cancel_url"),
        "url": f"{base_url}/c/pay/{session_id}",
    }


# --- events ---------------------------------------------------------------------------------

def event(kind, obj, event_id=None):
    return {
        "id": event_id or f"evt_test_{next(_serial):08d}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "type": kind,
        "livemode": False,
        "data": {"object": obj},
    }


def completed_session(session, payment_status="paid", **changes):
    """A session as ``checkout.session.completed`` reports it."""
    done = dict(session, status="complete", payment_status=payment_status, **changes)
    if done["mode"] == "subscription":
        done["subscription"] = done.get("subscription") or f"sub_test_{next(_serial):06d}"
    return done


def paid_invoice(subscription_id, metadata, amount, currency, billing_reason="subscription_cycle", status="paid"):
    """An invoice of a monthly gift, in the current API's shape (``parent.subscription_details``)."""
    return {
        "id": f"in_test_{next(_serial):08d}",
        "object": "invoice",
        "status": status,
        "amount_paid": amount if status == "paid" else 0,
        "amount_due": amount,
        "currency": currency,
        "billing_reason": billing_reason,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription_id, "metadata": metadata},
        },
    }


def signature_header(payload, secret=WEBHOOK_SECRET, timestamp=None):
    """``Stripe-Signature`` for ``payload`` (bytes or str), computed as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    body = payload.decode() if isinstance(payload, bytes) else payload
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def service_config(server, **overrides):
    """The service's settings for Stripe through the loopback ``server``."""
    return {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": server.url,
        "STRIPE_CHECKOUT_ORIGIN": server.url,
        **overrides,
    }
