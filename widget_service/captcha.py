"""hCaptcha: whether a campaign asks for it, where its script may come from, and verifying a
solved one server-side with ``requests`` against ``WIDGET_HCAPTCHA_VERIFY_URL``."""
import functools
import logging
from urllib.parse import urlsplit

import requests
from flask import current_app, request
from flask_babel import lazy_gettext as _l

from .errors import WidgetError

log = logging.getLogger(__name__)

FIELD = "h-captcha-response"  # hCaptcha's own field name

# hCaptcha serves its script, frames and styles from these origins.
HCAPTCHA_ORIGINS = "https://hcaptcha.com https://*.hcaptcha.com"


class CaptchaFailed(WidgetError):
    status = 400
    code = "captcha_failed"
    message = _l("Please complete the check that you are not a robot, then send the form again.")


class CaptchaUnavailable(WidgetError):
    status = 503
    code = "captcha_unavailable"
    message = _l("We could not check that you are not a robot just now. Please try again in a minute.")


def enabled(campaign):
    config = current_app.config
    return bool(config["HCAPTCHA_SITEKEY"] and config["HCAPTCHA_SECRET"]) and campaign.setting("captcha", True)


def csp_sources():
    """Where the captcha's script, frames and styles come from, for the widget's CSP."""
    parts = urlsplit(current_app.config["HCAPTCHA_SCRIPT_URL"])
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.hostname == "hcaptcha.com" or (parts.hostname or "").endswith(".hcaptcha.com"):
        return HCAPTCHA_ORIGINS
    return origin


def page_csp(frameable, with_captcha=False, form_targets=""):
    """The Content-Security-Policy of every HTML page: locked to this origin, widened to the
    captcha's origins where it is on; widget pages (``frameable``) may be framed by any site.
    ``form_targets``: origins a form may lead to besides ours (the donate form's post is
    answered with a redirect to Stripe Checkout, which ``form-action`` also governs)."""
    sources = f" {csp_sources()}" if with_captcha else ""
    frames = csp_sources() if with_captcha else "'none'"
    ancestors = "*" if frameable else "'self'"
    forms = f" {form_targets}" if form_targets else ""
    return (
        f"default-src 'none'; style-src 'self'{sources}; script-src 'self'{sources}; "
        f"connect-src 'self'{sources}; frame-src {frames}; img-src 'self' data:; "
        f"form-action 'self'{forms}; base-uri 'none'; frame-ancestors {ancestors}"
    )


def expected_hostnames():
    """Where a captcha may have been solved: configured, else the public URL's host. Only in
    development, with neither set, the request's own host (a header the client controls)."""
    config = current_app.config
    if config["HCAPTCHA_HOSTNAMES"]:
        return set(config["HCAPTCHA_HOSTNAMES"])
    if config["PUBLIC_URL"]:
        return {urlsplit(config["PUBLIC_URL"]).hostname}
    return {urlsplit(f"//{request.host}").hostname}


def passes(campaign, form):
    """True when the captcha is off or was solved; False when the verify service is down and
    ``WIDGET_HCAPTCHA_ON_ERROR=suspect`` (store, but do not count). Raises otherwise."""
    if not enabled(campaign):
        return True
    token = form.get(FIELD)
    if not token or not isinstance(token, str) or len(token) > 10_000:
        raise CaptchaFailed()
    config = current_app.config
    try:
        response = _session().post(
            config["HCAPTCHA_VERIFY_URL"],
            **_environment_settings(config["HCAPTCHA_VERIFY_URL"]),
            data={
                "secret": config["HCAPTCHA_SECRET"],
                "response": token,
                "remoteip": request.remote_addr,
                "sitekey": config["HCAPTCHA_SITEKEY"],
            },
            timeout=config["HCAPTCHA_TIMEOUT_SECONDS"],
        )
        response.raise_for_status()
        result = response.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("captcha verification unavailable: %s", error.__class__.__name__)
        if config["HCAPTCHA_ON_ERROR"] == "suspect":
            return False
        raise CaptchaUnavailable() from None
    if not isinstance(result, dict) or result.get("success") is not True:
        log.info("captcha refused: %s", result.get("error-codes") if isinstance(result, dict) else "bad answer")
        raise CaptchaFailed()
    if result.get("hostname") not in expected_hostnames():
        log.info("captcha solved on an unexpected hostname")
        raise CaptchaFailed()
    return True


def _session():
    return current_app.extensions["msp_captcha_session"]


@functools.lru_cache(maxsize=8)
def _environment_settings(url):
    """What the environment says for requests to ``url``: the proxy (``HTTPS_PROXY``,
    ``NO_PROXY``, ...) and the CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``), worked
    out by requests' own ``merge_environment_settings``, once per process rather than on
    every verify."""
    return requests.Session().merge_environment_settings(url, {}, None, None, None)


def init_app(app):
    # One connection pool per process: a TLS handshake per signature would cost more than the check.
    session = requests.Session()
    # requests reads the environment on every request (proxy variables, ~/.netrc, the CA bundle
    # variables): about a fifth of a verify's CPU here. _environment_settings reads it once.
    session.trust_env = False
    app.extensions["msp_captcha_session"] = session
