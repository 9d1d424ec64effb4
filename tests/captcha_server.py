"""A real HTTP server on loopback that speaks hCaptcha's siteverify protocol.

It knows hCaptcha's documented test keys: the site key ``10000000-ffff-ffff-ffff-000000000001``
with the secret ``0x0000000000000000000000000000000000000000`` accepts the response token
``10000000-aaaa-bbbb-cccc-000000000001``. Everything else fails with hCaptcha's error codes.
It also serves a stand-in for hCaptcha's ``api.js`` (``/1/api.js``) for the browser tests: it
renders nothing a person must solve, and puts the passing test token into the form the way the
real script does (a hidden ``h-captcha-response`` field).
"""
import json
import time
from urllib.parse import parse_qs, urlsplit

from .loopback import LoopbackServer, QuietHandler

SITEKEY = "10000000-ffff-ffff-ffff-000000000001"
SECRET = "0x0000000000000000000000000000000000000000"
PASSING_TOKEN = "10000000-aaaa-bbbb-cccc-000000000001"

STAND_IN_SCRIPT = """
(function () {
  var src = new URL(document.currentScript.src);
  window.hcaptcha = {
    render: function (box, opts) {
      var field = document.createElement('textarea');
      field.name = 'h-captcha-response';
      field.hidden = true;
      field.value = '%(token)s';
      box.appendChild(field);
      box.setAttribute('data-rendered-for', opts.sitekey);
      box.setAttribute('data-rendered-theme', opts.theme || '');
      return 0;
    },
    reset: function () { window.captchaResets = (window.captchaResets || 0) + 1; },
    getResponse: function () { return '%(token)s'; }
  };
  var onload = src.searchParams.get('onload');
  if (onload && window[onload]) window[onload]();
})();
""" % {"token": PASSING_TOKEN}


class CaptchaServer(LoopbackServer):
    def __init__(self, hostname="127.0.0.1", delay=0.0, tls=None):
        self.hostname = hostname  # what a passing answer says the captcha was solved on
        self.delay = delay
        self.requests = []  # the form fields of every verify request, for assertions
        self.targets = []  # and the target of each, as its request line names it
        self.script_loads = 0
        super().__init__(Handler, tls)


class Handler(QuietHandler):
    def _send(self, status, body, content_type):
        self.send_body(status, body.encode(), content_type)

    def do_GET(self):
        if self.path.split("?")[0] == "/1/api.js":
            self.server.script_loads += 1
            return self._send(200, STAND_IN_SCRIPT, "text/javascript")
        self._send(404, "not found", "text/plain")

    def do_POST(self):
        # The body is read whatever the path: on a kept-alive connection, an unread body would be
        # taken for the next request.
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        # A proxy is sent the whole URL ("POST http://host/siteverify"): this server acts as one too.
        if urlsplit(self.path).path != "/siteverify":
            return self._send(404, "not found", "text/plain")
        fields = {k: v[0] for k, v in parse_qs(body).items()}
        self.server.requests.append(fields)
        self.server.targets.append(self.path)
        if self.server.delay:
            time.sleep(self.server.delay)
        self._send(200, json.dumps(verdict(fields, self.server.hostname)), "application/json")


def verdict(fields, hostname):
    """hCaptcha's answer for these fields, with its documented error codes."""
    if "secret" not in fields:
        return {"success": False, "error-codes": ["missing-input-secret"]}
    if fields["secret"] != SECRET:
        return {"success": False, "error-codes": ["invalid-input-secret"]}
    if "response" not in fields:
        return {"success": False, "error-codes": ["missing-input-response"]}
    if fields.get("sitekey", SITEKEY) != SITEKEY:
        return {"success": False, "error-codes": ["sitekey-secret-mismatch"]}
    if fields["response"] != PASSING_TOKEN:
        return {"success": False, "error-codes": ["invalid-input-response"]}
    return {"success": True, "challenge_ts": time.strftime("%Y-%m-%dT%H:%M:%SZ"), "hostname": hostname, "credit": False}
