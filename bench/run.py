"""Benchmark: the service under gunicorn on PostgreSQL and Redis, loaded with wrk from loopback.

    .venv/bin/python bench/run.py [--seconds 10] [--connections 32] [--rounds 5]

Needs PostgreSQL and Redis (the same defaults as the tests: WIDGET_TEST_POSTGRES_URL,
WIDGET_TEST_REDIS_URL) and wrk (`apt-get install wrk`). It works in a schema and a Redis key
prefix of its own, and stops everything it started. Printed, in one run: requests per second
and p50/p99 latency for a trivial baseline endpoint (/healthz) under the same server settings,
the count endpoint, each widget kind's page (a first view, and its 304 revalidation with the
page's ETag in If-None-Match), and signing twice (rate limits on and captcha off; then
with the captcha verified against a local siteverify server), each also as a ratio to the
baseline; then a zero-loss audit: stored rows equal the public count, and no successful response
is missing from the rows.

Then the widget pages as browsers and a shared cache see them (bench/proxy_cache.py), on an
origin of their own whose gunicorn access log is kept: the bytes a first view of each kind and
language costs on the wire (the page and the stylesheets and scripts it references, compressed
as served to Chromium's Accept-Encoding, and uncompressed); and the ten pages viewed through the
deployment's nginx (deploy/nginx/msp-widgets.conf, proxy_cache included; nginx from the
system, started on loopback with its own directory, and stopped) against the origin direct,
each paired with /healthz at the origin as above, with how many of nginx's views reached the
origin (its access log, counted) and a few signatures through nginx (never from the cache;
they count in the audit).

The baseline is measured again right before each endpoint, on the same server, and each ratio
is to that adjacent run: the speed of a shared virtual machine drifts (runs here have seen
/healthz alone fall from 4,200 to 1,200 req/s between two consecutive runs), and a ratio to one
early baseline would mostly measure that drift. Every endpoint alternates with the baseline in
``--rounds`` short pairs and reports the pair with the median ratio, so one slow spell cannot
decide a figure; each signing round signs with addresses of its own, so every signature is new
and the audit holds. The baseline row shows the median of all baseline runs.

For signing, it also prints the CPU time one signature costs in each kind of process (gunicorn,
PostgreSQL, Redis, the siteverify stand-in in this process, wrk), read from /proc over the
signing rounds, and the rate the machine's cores could sustain at that cost: where the machine's
time goes, and what it caps.
"""
import argparse
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
import requests
import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import captcha_server  # noqa: E402  (the loopback siteverify server the tests use)
from bench.proxy_cache import (  # noqa: E402
    BROWSER_ENCODINGS, AccessLog, Nginx, first_view_bytes, pages_script, print_first_view_bytes)
from widget_service.page_cache import MAX_AGE  # noqa: E402  (how long a cache keeps a page)

POSTGRES_URL = os.environ.get("WIDGET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WIDGET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SLUG = "hazara-quetta"
WIDGET_KINDS = ("petition", "actions", "coordinator", "notify", "donate")

# wrk script for signing: a unique address per request, and a client IP per connection sent
# through the one trusted proxy hop, so the per-IP limits see many supporters as in real life.
SIGN_LUA = """
local counter = 0
function setup(thread) thread:set("id", math.random(1, 1000000)) end
request = function()
  counter = counter + 1
  local body = string.format(
    '{"name":"Bench Supporter","email":"b%d-%d-RUN@example.org","country":"PK"EXTRA}', id, counter)
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", id % 250, counter % 250, math.floor(counter / 250) % 250)
  return wrk.format("POST", "/api/v1/campaigns/SLUG/signatures", headers, body)
end
"""


def sign_script(path, run, extra=""):
    path.write_text(SIGN_LUA.replace("RUN", run).replace("EXTRA", extra).replace("SLUG", SLUG))
    return str(path)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the service did not come up at {url}")


def cpu_seconds():
    """CPU time (user and system) used so far by each kind of process a signature involves, from
    /proc (Linux; empty elsewhere). wrk, a child that has exited, is counted from this process's
    children's usage."""
    tick = os.sysconf("SC_CLK_TCK")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals = {"wrk": children.ru_utime + children.ru_stime}
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat_file, open(f"/proc/{pid}/cmdline", "rb") as command_file:
                stat, command = stat_file.read(), command_file.read().decode(errors="replace")
        except OSError:
            continue  # it ended meanwhile
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if "gunicorn" in command:
            kind = "gunicorn"
        elif name.startswith("postgres"):
            kind = "PostgreSQL"
        elif name.startswith("redis-server"):
            kind = "Redis"
        elif int(pid) == os.getpid():
            kind = "stand-in"
        else:
            continue
        totals[kind] = totals.get(kind, 0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def run_wrk(url, seconds, connections, script=None, headers=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1),
        "p99": re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1),
        "requests": total,
        "ok": total - (int(non_2xx.group(1)) if non_2xx else 0),
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


class Service:
    """gunicorn serving wsgi:app with production settings, in the bench's schema."""

    def __init__(self, env, access_log=os.devnull):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", str(access_log), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True,
        )
        wait_until_up(self.url + "/healthz")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.seek(0)
        problems = [line for line in self.log.read().decode(errors="replace").splitlines()
                    if " WARNING " in line or " ERROR " in line or "Traceback" in line]
        if problems:
            print(f"service log: {len(problems)} warnings or errors, the first ones:", *problems[:5], sep="\n  ")


def through_the_cache(env, scratch, measure, args):
    """The widget pages (every kind, both languages, as a browser asks: compressed) viewed straight
    at an origin whose access log counts what reaches it, then through the deployment's nginx
    and its proxy_cache in front of it; what a first view of each costs on the wire; and a few
    signatures through nginx. Returns the figures; `measure` adds the two load runs to results."""
    pages = [(f"{kind} {lang}", f"/widgets/{SLUG}/{kind}?lang={lang}") for kind in WIDGET_KINDS for lang in ("en", "ur")]
    script = pages_script(scratch / "pages.lua", pages)
    browser = {"Accept-Encoding": BROWSER_ENCODINGS}
    log = AccessLog(scratch / "origin-access.log")
    origin, nginx, figures = Service(env, access_log=log.path), None, {"pages": len(pages)}
    try:
        nginx = Nginx(origin.port)
        figures["wire"] = first_view_bytes(origin.url, pages)
        run_wrk(origin.url + "/healthz", 2, args.connections)  # warm up this origin's workers
        measure(origin, "10 pages, origin direct", "", lambda round_: script, browser, cpu_use=False)
        log.mark()
        started = time.monotonic()
        measure(origin, "10 pages, through nginx", "", lambda round_: script, browser, cpu_use=False, target=nginx.url)
        figures["seconds"] = time.monotonic() - started
        figures["origin_gets"] = sum(log.since_mark("GET", f"/widgets/{SLUG}/{kind}") for kind in WIDGET_KINDS)
        # Signing passes through nginx (a POST, never kept), each answer the service's own.
        answers = [requests.post(f"{nginx.url}/api/v1/campaigns/{SLUG}/signatures", verify=nginx.cert, timeout=10,
                                 json={"name": "Through Nginx", "email": f"nginx{n}-{scratch.name}@example.org",
                                       "country": "PK"}) for n in range(3)]
        figures["sign_statuses"] = [answer.status_code for answer in answers]
        figures["sign_cached"] = sum("X-Cache-Status" in answer.headers for answer in answers)
        figures["signed"] = figures["sign_statuses"].count(202)
        figures["origin_posts"] = log.since_mark("POST", f"/api/v1/campaigns/{SLUG}/signatures")
    finally:
        if nginx:
            nginx.stop()
        origin.stop()
    return figures


def print_through_the_cache(figures, results):
    direct, through = results["10 pages, origin direct"], results["10 pages, through nginx"]
    windows = math.ceil(figures["seconds"] / MAX_AGE)
    print(f"through the deployment's nginx (proxy_cache, HTTPS) vs the origin direct (HTTP), {figures['pages']} pages "
          f"(5 kinds x 2 languages), Accept-Encoding: {BROWSER_ENCODINGS}:")
    # The machine's speed drifts between the two runs: each is also given as a ratio to its own
    # pair's /healthz at the origin, and the ratio of those is the fairer comparison.
    through_x, direct_x = through["rps"] / through["baseline_rps"], direct["rps"] / direct["baseline_rps"]
    print(f"  {through['rps']:.0f} vs {direct['rps']:.0f} views/s: {through['rps'] / direct['rps']:.1f}x the origin's rate; "
          f"as ratios to /healthz at the origin in their pairs {through_x:.2f}x vs {direct_x:.2f}x: "
          f"{through_x / direct_x:.1f}x")
    print(f"  nginx served {through['requests']} views in {figures['seconds']:.0f} s; the origin's access log has "
          f"{figures['origin_gets']} GETs of those pages (cache window {MAX_AGE} s: at most "
          f"{figures['pages'] * windows} for {figures['pages']} pages in {windows} window(s))")
    print(f"  signing through nginx: answers {figures['sign_statuses']}, {figures['sign_cached']} from the cache, "
          f"{figures['origin_posts']} POSTs in the origin's access log")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="baseline/endpoint pairs for the read-only endpoints")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    prefix = f"{schema}:"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    database_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    verify = captcha_server.CaptchaServer(hostname="127.0.0.1")
    base_env = {
        "WIDGET_ENV": "production",
        "WIDGET_SECRET_KEY": secrets.token_urlsafe(48),
        "WIDGET_DATABASE_URL": database_url,
        "WIDGET_REDIS_URL": REDIS_URL,
        "WIDGET_REDIS_PREFIX": prefix,
        "WIDGET_TRUSTED_PROXIES": "1",
        "WIDGET_PUBLIC_URL": "http://127.0.0.1",
        "WIDGET_LOG_LEVEL": "WARNING",
        # The audit compares counted rows with answers; confirmation by mail is measured apart.
        "WIDGET_CONFIRM_SIGNATURES": "false",
    }
    captcha_env = {
        "WIDGET_HCAPTCHA_SITEKEY": captcha_server.SITEKEY,
        "WIDGET_HCAPTCHA_SECRET": captcha_server.SECRET,
        "WIDGET_HCAPTCHA_VERIFY_URL": verify.url + "/siteverify",
    }
    results, baselines, signed_ok, cpu = {}, [], 0, {}

    def measure(service, name, path, script=None, headers=None, cpu_use=True, target=None):
        """``path`` (or the wrk script ``script(round)`` makes) under load in ``--rounds`` pairs,
        each right after the baseline on the same server; ``headers`` sent with each request;
        ``target``: another address to load (a proxy in front of ``service``)."""
        seconds = max(1, round(args.seconds / args.rounds))
        pairs = []
        for round_ in range(args.rounds):
            baselines.append(run_wrk(service.url + "/healthz", seconds, args.connections))
            before = cpu_seconds()
            run = run_wrk((target or service.url) + path, seconds, args.connections, script and script(round_), headers)
            if script and cpu_use:  # signing: where its CPU goes
                used = cpu.setdefault(name, {})
                for kind, total in cpu_seconds().items():
                    used[kind] = used.get(kind, 0) + total - before.get(kind, 0)
            pairs.append((run, baselines[-1]["rps"]))
        pairs.sort(key=lambda pair: pair[0]["rps"] / pair[1])
        result, baseline_rps = pairs[len(pairs) // 2]  # the pair with the median ratio
        result["baseline_rps"] = baseline_rps
        result["requests"] = sum(run["requests"] for run, _ in pairs)
        result["ok"] = sum(run["ok"] for run, _ in pairs)
        result["socket_errors"] = sum(run["socket_errors"] for run, _ in pairs)
        results[name] = result

    try:
        flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
        for command in (["db", "upgrade"], ["campaigns", "seed-demo"]):
            subprocess.run(flask + command, cwd=ROOT, env={**os.environ, **base_env}, check=True, capture_output=True)
        with tempfile.TemporaryDirectory() as scratch:
            # A script per round, each signing with addresses of its own (wrk's Lua starts from the
            # same random numbers every run).
            def plain(round_):
                return sign_script(Path(scratch, f"sign-{round_}.lua"), f"plain{round_}")

            def captcha(round_):
                return sign_script(Path(scratch, f"sign-captcha-{round_}.lua"), f"captcha{round_}",
                                   f',"h-captcha-response":"{captcha_server.PASSING_TOKEN}"')

            service = Service(base_env)
            try:
                run_wrk(service.url + "/healthz", 3, args.connections)  # warm up the workers first
                measure(service, "count", f"/api/v1/campaigns/{SLUG}/count")
                for kind in WIDGET_KINDS:
                    # A first view: the whole page (a browser or cache without a copy); then a
                    # revalidation: the copy's ETag, answered 304 (issue 14: targets 0.7x, 0.9x).
                    page = f"/widgets/{SLUG}/{kind}?lang=en"
                    measure(service, f"{kind} first view", page)
                    etag = requests.get(service.url + page, timeout=5).headers["ETag"]
                    measure(service, f"{kind} 304", page, headers={"If-None-Match": etag})
                measure(service, "sign (limits on)", "", plain)
            finally:
                service.stop()
            proxied = through_the_cache(base_env, Path(scratch), measure, args)
            service = Service({**base_env, **captcha_env})
            try:
                run_wrk(service.url + "/healthz", 3, args.connections)
                measure(service, "sign (limits + captcha)", "", captcha)
                time.sleep(4)  # the public count may be a few seconds stale
                public_count = requests.get(f"{service.url}/api/v1/campaigns/{SLUG}/count", timeout=5).json()["signatures"]
            finally:
                service.stop()
        signed_ok = results["sign (limits on)"]["ok"] + results["sign (limits + captcha)"]["ok"] + proxied["signed"]
        with admin.connect() as connection:
            rows = connection.execute(sqlalchemy.text(
                f"SELECT count(*) FROM {schema}.signature WHERE state = 'counted'")).scalar()
            suspect = connection.execute(sqlalchemy.text(
                f"SELECT count(*) FROM {schema}.signature WHERE state <> 'counted'")).scalar()
    finally:
        verify.stop()
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        for stale in client.scan_iter(f"*{prefix}*"):
            client.delete(stale)

    baseline = sorted(baselines, key=lambda r: r["rps"])[len(baselines) // 2]
    baseline["baseline_rps"] = baseline["rps"]
    print(f"{'endpoint':28} {'req/s':>9} {'x base':>7} {'p50':>9} {'p99':>9} {'non-2xx':>8} {'sock err':>8}"
          f" {'its baseline':>12}")
    for name, r in {"baseline /healthz (median)": baseline, **results}.items():
        print(f"{name:28} {r['rps']:9.0f} {r['rps'] / r['baseline_rps']:7.2f} {r['p50']:>9} {r['p99']:>9} "
              f"{r['requests'] - r['ok']:8d} {r['socket_errors']:8d} {r['baseline_rps']:12.0f}")
    print()
    print_first_view_bytes(proxied["wire"])
    print()
    print_through_the_cache(proxied, results)
    print()
    kinds = ("gunicorn", "PostgreSQL", "Redis", "stand-in", "wrk")
    print(f"CPU per signature, ms     {''.join(f'{kind:>11}' for kind in kinds)}      total  {os.cpu_count()} cores sustain")
    for name, used in cpu.items():
        per = {kind: used.get(kind, 0) / max(1, results[name]["ok"]) * 1000 for kind in kinds}
        total = sum(per.values()) or float("nan")  # nothing read: not Linux
        print(f"{name:26}{''.join(f'{per[kind]:11.2f}' for kind in kinds)} {total:10.2f}  {os.cpu_count() * 1000 / total:8.0f}/s")
    print()
    # wrk stops on the clock and drops the answers still in flight then (at most one per
    # connection per run), which the service goes on to store: rows may exceed the answers seen
    # by that much, never fall short of them.
    in_flight = 2 * args.rounds * args.connections
    print(f"audit: successful signing responses {signed_ok}, counted rows {rows}, public count {public_count}, "
          f"other rows {suspect}, answers cut off by wrk at most {in_flight}")
    lossless = rows == public_count and signed_ok <= rows <= signed_ok + in_flight and suspect == 0
    print("audit:", "OK, nothing lost or doubled" if lossless else "MISMATCH")
    print(json.dumps({"cores": os.cpu_count(), "seconds": args.seconds, "connections": args.connections}))
    return 0 if lossless else 1


if __name__ == "__main__":
    sys.exit(main())
