"""What bench/run.py measures of the widget pages as a browser and a shared cache see them
(issue 14, item 6): the bytes a first view of each kind costs on the wire, and the deployment's
nginx (``deploy/nginx/msp-widgets.conf``, its ``proxy_cache`` included) in front of the service,
started here on loopback from the same file the tests run (tests/test_slow_clients.py's
``site_conf``: only its ports and paths rewritten)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from tests.test_slow_clients import MAIN_CONF, TEMP_PATHS, site_conf

# What Chromium sends; the service answers Brotli (its first choice), else gzip.
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
# The page's own stylesheets, scripts and images: what a browser fetches before it shows it.
ASSETS = re.compile(r'<(?:link[^>]*\brel="stylesheet"[^>]*\bhref|script[^>]*\bsrc|img[^>]*\bsrc)="([^"]+)"')


def on_the_wire(response, body):
    """Bytes of an HTTP/1.1 answer: status line, headers and the body as sent (TLS framing aside)."""
    head = f"HTTP/1.1 {response.status_code} {response.reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in response.raw.headers.items()) + "\r\n"
    return len(head.encode("latin-1", "replace")) + len(body)


def fetch(session, url, encodings):
    """(bytes on the wire, coding, body as sent) of one GET asking for ``encodings``."""
    response = session.get(url, headers={"Accept-Encoding": encodings or "identity"}, stream=True, timeout=10)
    response.raise_for_status()
    sent = response.raw.read(decode_content=False)
    return on_the_wire(response, sent), response.headers.get("Content-Encoding", "none"), sent


def first_view_bytes(base, pages):
    """Per page: its bytes and its assets' bytes on the wire as served to a browser (compressed),
    and the same uncompressed; the assets are those the page itself references."""
    rows = []
    for name, path in pages:
        session = requests.Session()
        page, encoding, _ = fetch(session, base + path, BROWSER_ENCODINGS)
        plain_page, _, html = fetch(session, base + path, "")
        assets = sorted({urljoin(path, src.replace("&amp;", "&")) for src in ASSETS.findall(html.decode())
                         if src.startswith("/") and not src.startswith("//")})
        compressed = plain = 0
        for asset in assets:
            compressed += fetch(session, base + asset, BROWSER_ENCODINGS)[0]
            plain += fetch(session, base + asset, "")[0]
        names = ", ".join(urlsplit(asset).path.rsplit("/", 1)[-1] for asset in assets)
        rows.append((name, encoding, page, compressed, plain_page + plain, names))
    return rows


def print_first_view_bytes(rows):
    print(f"first view on the wire (Accept-Encoding: {BROWSER_ENCODINGS}; headers included, TLS aside)")
    print(f"{'page':26} {'coding':>6} {'page B':>8} {'assets B':>9} {'total B':>8} {'uncompressed':>12}  assets")
    for name, encoding, page, assets, plain, names in rows:
        print(f"{name:26} {encoding:>6} {page:8d} {assets:9d} {page + assets:8d} {plain:12d}  {names}")


class Nginx:
    """The deployment's nginx in front of ``upstream_port`` on loopback (HTTPS with a certificate
    of its own), with a directory of its own that ``stop`` removes."""

    def __init__(self, upstream_port):
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
        if not nginx:
            raise SystemExit("nginx is not installed: apt-get install nginx")
        self.directory = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", self.directory / "privkey.pem", "-out", self.directory / "fullchain.pem", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )
        self.port, http_port = free_ports(2)
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert = str(self.directory / "fullchain.pem")
        (self.directory / "msp-widgets.conf").write_text(site_conf(self.directory, upstream_port, self.port, http_port))
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp_paths = " ".join(f"{kind}_temp_path {self.directory}/{kind};" for kind in TEMP_PATHS)
        main = MAIN_CONF.format(user=user, dir=self.directory, temp_paths=temp_paths)
        # As Debian's nginx.conf: a worker per core (the tests run one).
        (self.directory / "nginx.conf").write_text(main.replace("worker_processes 1;", "worker_processes auto;"))
        self.process = subprocess.Popen(
            [nginx, "-e", str(self.directory / "nginx.error.log"), "-p", str(self.directory),
             "-c", str(self.directory / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", verify=self.cert, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                log = (self.directory / "nginx.error.log")
                self.stop()
                raise SystemExit("nginx did not start: " + (log.read_text() if log.exists() else ""))
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


# wrk script: every request the next of the pages, so one run views them all.
PAGES_LUA = """
local paths = PATHS
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
"""


def pages_script(path, pages):
    path.write_text(PAGES_LUA.replace("PATHS", "{" + ", ".join(f'"{page}"' for _, page in pages) + "}"))
    return str(path)


class AccessLog:
    """gunicorn's access log of the origin: how many requests for each path it logged after a mark."""

    def __init__(self, path):
        self.path, self.offset = Path(path), 0

    def settle(self, quiet=0.5, longest=15):
        """Wait until nothing more is logged for ``quiet`` seconds: wrk stops on the clock, and
        the answers it no longer waits for are still logged after it exits."""
        deadline, size = time.monotonic() + longest, -1
        while size != self.path.stat().st_size and time.monotonic() < deadline:
            size = self.path.stat().st_size
            time.sleep(quiet)

    def mark(self):
        self.settle()
        self.offset = self.path.stat().st_size

    def since_mark(self, method, path):
        self.settle()
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace").count(f'"{method} {path}" ')
