"""Slow clients, and the nginx in front of gunicorn that docs/operators.md's deployment puts there.

A client that sends its request a header line (or a body byte) at a time holds a gunicorn thread
for as long as it keeps sending. Straight at gunicorn a few such clients stop the count and
signing; through ``deploy/nginx/msp-widgets.conf`` 200 of them, and slow bodies besides, change
nothing, since nginx hands gunicorn complete requests only. All on loopback: the service under
real gunicorn (``gunicorn.conf.py``) on PostgreSQL, and an nginx of the test's own (never the
system's) run from the deployment's file with only its ports and paths rewritten.
"""
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from . import services
from .builders import make_campaign, signature

ROOT = Path(__file__).resolve().parent.parent
SITE_CONF = ROOT / "deploy/nginx/msp-widgets.conf"
SLUG = "slow-clients"
# The slow clients come from another loopback address than the supporters' probes, as they would
# from another network: nginx limits requests per client address.
ATTACKER = "127.0.0.2"
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# The test's own nginx.conf around the site's file: what Debian's /etc/nginx/nginx.conf provides,
# with every path in the test's directory.
MAIN_CONF = """\
{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx.error.log warn;
events {{ worker_connections 1024; }}
http {{
    {temp_paths}
    include {dir}/msp-widgets.conf;
}}
"""
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def require(program, why):
    """The program's path; a skip without it, a failure in CI."""
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if not path:
        if os.environ.get("CI") == "true":
            pytest.fail(f"required program missing: {program} ({why})", pytrace=False)
        services.missing(f"{program} not installed ({why})")
    return path


def start(command, url, what, verify=True, **options):
    """A process in a session of its own, once ``url`` answers 200."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, **options)
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2, verify=verify).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop(process)
    pytest.fail(f"{what} did not start")


def stop(process):
    """Stop the process and everything it started (nginx's workers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def service(database_url, make_app):
    """The service's port: gunicorn with one worker of two threads, on this test's schema.

    One worker keeps the direct case exact: which worker accepts a connection is the kernel's
    choice, so with several a probe may still land on one with a free thread. With N workers it
    takes about N times as many slow clients (8 for the default four workers of two threads)."""
    url, options = database_url
    schema = options["connect_args"]["options"].split("=", 1)[1]
    with make_app().app_context():
        make_campaign(slug=SLUG)
    port = services.free_port()
    env = {
        **os.environ, "WIDGET_ENV": "production", "WIDGET_SECRET_KEY": "s" * 48,
        "WIDGET_DATABASE_URL": f"{url}?options={quote(f'-csearch_path={schema}')}",
        "WIDGET_TRUSTED_PROXIES": "1", "WIDGET_PUBLIC_URL": "https://widgets.example.org",
        "WIDGET_LOG_LEVEL": "ERROR", "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    command = [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"]
    process = start(command, f"http://127.0.0.1:{port}/healthz", "gunicorn", cwd=ROOT, env=env)
    yield port
    stop(process)


def site_conf(directory, upstream, https_port, http_port):
    """The deployment's file with this test's ports and paths (IPv4 loopback only), nothing else changed."""
    text = SITE_CONF.read_text()
    for pattern, replacement in [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream};"),
        (r"listen \[::\]:\d+[^;]*;", ""),
        (r"listen 443 ", f"listen 127.0.0.1:{https_port} "),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"/etc/letsencrypt/live/widgets\.example\.org/", f"{directory}/"),
        (r"/var/log/nginx/", f"{directory}/"),
        (r"/var/cache/nginx/", f"{directory}/cache-"),
    ]:
        text, found = re.subn(pattern, replacement, text)
        assert found, f"{pattern!r} is no longer in {SITE_CONF.name}: update this rewriting"
    return text


class Proxy:
    def __init__(self, directory, port, http_port):
        self.directory, self.port, self.http_port = directory, port, http_port
        self.url = f"https://127.0.0.1:{port}"
        self.cert = str(directory / "fullchain.pem")
        self.tls = ssl.create_default_context(cafile=self.cert)


@pytest.fixture
def proxy(service, tmp_path):
    """nginx from the deployment's file in front of ``service``, over HTTPS with a certificate of its own."""
    with nginx_in_front(service, tmp_path / "nginx") as result:
        yield result


@contextlib.contextmanager
def nginx_in_front(upstream, directory):
    """nginx from the deployment's file in front of the service on port ``upstream``, its files in
    ``directory`` (made here), over HTTPS with a certificate of its own: a ``Proxy``."""
    nginx = require("nginx", "apt-get install nginx")
    openssl = require("openssl", "apt-get install openssl")
    directory.mkdir()
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", directory / "privkey.pem", "-out", directory / "fullchain.pem", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    port, http_port = services.free_port(), services.free_port()
    while http_port == port:
        http_port = services.free_port()
    (directory / "msp-widgets.conf").write_text(site_conf(directory, upstream, port, http_port))
    # Run by root, nginx's workers would be `nobody`, who cannot enter the test's directory.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp_paths = " ".join(f"{kind}_temp_path {directory}/{kind};" for kind in TEMP_PATHS)
    (directory / "nginx.conf").write_text(MAIN_CONF.format(user=user, dir=directory, temp_paths=temp_paths))
    command = [nginx, "-e", str(directory / "nginx.error.log"), "-p", str(directory),
               "-c", str(directory / "nginx.conf"), "-g", "daemon off;"]
    result = Proxy(directory, port, http_port)
    process = start(command, f"{result.url}/healthz", f"nginx (see {directory}/nginx.error.log)", verify=result.cert)
    try:
        yield result
    finally:
        stop(process)


class SlowClients:
    """Connections from ATTACKER that send a request a header line, or a body byte, at a time,
    every two seconds, for as long as they are open."""

    def __init__(self, port, tls=None):
        self.port, self.tls = port, tls
        self.sockets = []  # (socket, what it sends every two seconds)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._trickle)
        self.held = None

    def open(self, headers=0, bodies=0):
        for _ in range(bodies):
            self._connect(f"POST /api/v1/campaigns/{SLUG}/signatures HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{", b" ")
        for _ in range(headers):
            self._connect(f"GET /api/v1/campaigns/{SLUG}/count HTTP/1.1\r\n", b"X-Slow: 1\r\n")
        self.thread.start()

    def _connect(self, first, then):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10, source_address=(ATTACKER, 0))
        if self.tls:
            sock = self.tls.wrap_socket(sock, server_hostname="127.0.0.1")
        self.sockets.append((sock, then))
        sock.sendall(first.encode())

    def _trickle(self):
        while not self.stopping.wait(2):
            for sock, then in self.sockets:
                try:
                    sock.sendall(then)
                except OSError:
                    pass  # closed by the server: `close` counts it

    def close(self):
        """Close them all; how many the server still held open (neither closed nor answered)."""
        if self.held is None:
            self.stopping.set()
            if self.thread.is_alive():
                self.thread.join(timeout=10)
            self.held = 0
            for sock, _ in self.sockets:
                sock.setblocking(False)
                try:
                    sock.recv(1)
                except (ssl.SSLWantReadError, BlockingIOError):
                    self.held += 1
                except OSError:
                    pass
                finally:
                    sock.close()
        return self.held

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def probe(base, n, timeout, verify=True):
    """A supporter reading the count and another signing, side by side: each one's status or "timed out"."""
    def count():
        return requests.get(f"{base}/api/v1/campaigns/{SLUG}/count", timeout=timeout, verify=verify).status_code

    def sign():
        url, body = f"{base}/api/v1/campaigns/{SLUG}/signatures", signature(email=f"probe{n}@example.org")
        return requests.post(url, json=body, timeout=timeout, verify=verify).status_code

    def answer(request):
        try:
            return request()
        except requests.Timeout:
            return "timed out"

    with ThreadPoolExecutor(2) as pool:
        return tuple(pool.map(answer, [count, sign]))


def test_straight_at_gunicorn_four_slow_clients_stop_the_count_and_signing(service):
    base = f"http://127.0.0.1:{service}"
    for n, kind in enumerate(["headers", "bodies"]):
        with SlowClients(service) as slow:
            slow.open(**{kind: 4})
            # Accepted first, they hold both threads; the probes wait behind them.
            assert probe(base, n, timeout=3) == ("timed out", "timed out"), kind
            assert slow.close() == 4, kind
        assert probe(base, 10 + n, timeout=10) == (200, 202), f"the service recovers once the slow {kind} close"


def test_through_the_documented_nginx_200_slow_clients_change_nothing(proxy):
    started = time.monotonic()
    with SlowClients(proxy.port, proxy.tls) as slow:
        slow.open(bodies=20, headers=200)
        answers = [probe(proxy.url, n, timeout=5, verify=proxy.cert) for n in range(5)]
        held = slow.close()
    took = time.monotonic() - started
    assert answers == [(200, 202)] * 5
    # nginx ends a header that takes over 15 s: the test must stay well within that.
    assert held == 220, f"nginx held every slow client open while the service answered ({took:.1f} s)"


def send(port, tls, method, path, body=None, headers=None):
    """One request from ATTACKER's address: (status, headers, body)."""
    options = {"timeout": 10, "source_address": (ATTACKER, 0)}
    if tls:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=tls, **options)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, **options)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_the_nginx_config_limits_bodies_and_addresses_and_logs_neither_addresses_nor_tokens(proxy):
    api = f"/api/v1/campaigns/{SLUG}/signatures"
    large = json.dumps(signature(comment="x" * 17000)).encode()
    spoofed = {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"}
    status, _, body = send(proxy.port, proxy.tls, "POST", api, large, spoofed)
    assert (status, json.loads(body)["error"]) == (413, "too_large")
    status, _, body = send(proxy.port, proxy.tls, "POST", api, iter([large[:8000], large[8000:]]), spoofed)
    assert (status, json.loads(body)["error"]) == (413, "too_large"), "a chunked body is held to the same limit"
    status, _, body = send(proxy.port, proxy.tls, "POST", "/api/v1/stripe/webhook", large, spoofed)
    assert status != 413 and json.loads(body)["error"] != "too_large", "Stripe's events may be larger"

    token = "WzEsImFiY2RlZiJd.c2VjcmV0LXNpZ25hdHVyZQ"
    for path in (f"/unsubscribe/{token}?lang=ur", f"//confirm/{token}", f"/supporters/confirm/{token}",
                 f"/supporters//not-me/{token}?lang=ur"):
        assert send(proxy.port, proxy.tls, "GET", path)[0] < 500
    status, headers, _ = send(proxy.http_port, None, "GET", "/c/x?lang=ur", headers={"Host": "evil.example"})
    assert (status, headers["Location"]) == (301, "https://widgets.example.org/c/x?lang=ur")

    # One address holding 256 slow bodies is at its limit; supporters elsewhere are not.
    with SlowClients(proxy.port, proxy.tls) as slow:
        slow.open(bodies=256)
        status, headers, body = send(proxy.port, proxy.tls, "GET", f"/api/v1/campaigns/{SLUG}/count")
        assert (status, headers["Retry-After"], json.loads(body)["error"]) == (429, "10", "rate_limited")
        assert probe(proxy.url, 0, timeout=5, verify=proxy.cert) == (200, 202)
        assert slow.close() == 256

    logs = "".join((proxy.directory / f"msp-widgets.{name}.log").read_text() for name in ("access", "error"))
    # nginx refused the large bodies itself (no upstream status): gunicorn never read them.
    assert len(re.findall(r'"POST /api/v1/campaigns/slow-clients/signatures" 413 .* upstream=-\n', logs)) == 2
    assert '"GET /unsubscribe/..." ' in logs and '"GET /confirm/..." ' in logs
    assert '"GET /supporters/confirm/..." ' in logs and '"GET /supporters/not-me/..." ' in logs
    assert [secret for secret in (ATTACKER, "127.0.0.1", "203.0.113.9", token, "lang=ur") if secret in logs] == []
