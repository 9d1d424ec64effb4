"""Benchmark: the console dashboard of a campaign with a million signatures, on PostgreSQL.

    .venv/bin/python bench/console.py [--signatures 1000000] [--views 40] [--seconds 2 --rounds 12]

1. Seeds the campaign in a schema of its own (``bench/seed.py``: 90 days, 50 partners, 60
   countries, both languages, 1% suspect) and times its first ``flask stats rollup``.
2. Serves the app with gunicorn (``gunicorn.conf.py``, production settings, Redis), signs a
   viewer in over HTTP with a TOTP code it works out, and times ``--views`` views of the
   campaign's dashboard from loopback: p50, p95 and the slowest, after two warm-up views, and
   the CPU time the gunicorn workers spent per view (wall time drifts with the load of a
   shared machine; the load average is printed beside it). It checks the page's total against the public count and the counted rows. For contrast, it
   times the same figures read live from the signatures once, in-process (what a view would
   cost without the buckets).
3. Signing throughput with wrk (as ``bench/run.py``: a new address per request, rate limits on),
   in ``--rounds`` pairs alternating without and with the console at work: in each run with it,
   a thread does an hourly rollup's work (recounting the last hour and its day) and loads the
   dashboard every ``--view-every`` seconds (1), more than a busy office and cron make in an
   hour (``--no-rollup --view-every 10``: a busy office alone). Prints each
   pair's ratio and the median: the signing path itself is the same code either way (signing
   neither reads nor writes the statistics), so what this measures is the competition for the
   machine.

Needs PostgreSQL, Redis (``WIDGET_TEST_POSTGRES_URL``, ``WIDGET_TEST_REDIS_URL``) and wrk
(``apt-get install wrk``). Loopback only; everything it started stops, the schema and Redis keys
are removed, and every wait is bounded.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import REDIS_URL, SIGN_LUA, Service, run_wrk  # noqa: E402
from bench.seed import redis_keys_removed, seeded_schema, service_env  # noqa: E402
from tests.console.conftest import make_staff  # noqa: E402  (a set-up staff account, as the tests make)


class Console:
    """A signed-in console session over plain HTTP. The cookie is ``Secure`` in production, which
    a client keeps to HTTPS; on loopback this one is sent by hand."""

    def __init__(self, url):
        self.url, self.cookies = url, {}

    def request(self, method, path, **kwargs):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        response = requests.request(method, self.url + path, headers=headers, allow_redirects=False, timeout=30, **kwargs)
        for header in response.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response

    def sign_in(self, account):
        page = self.request("GET", "/console/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = self.request("POST", "/console/sign-in", data={
            "csrf_token": token, "email": account.email, "password": account.password, "code": account.code()})
        if answer.status_code != 302:
            raise SystemExit(f"could not sign in: {answer.status_code}")


def service_cpu(service):
    """CPU seconds used so far by this benchmark's gunicorn: its master and its workers (not the
    other gunicorns a shared machine may be running)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat_file:
                fields = stat_file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == service.process.pid or int(fields[1]) == service.process.pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_views(console, path, views):
    for _ in range(2):
        assert console.request("GET", path).status_code == 200
    times, html = [], ""
    for _ in range(views):
        started = time.perf_counter()
        response = console.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        html = response.text
    return times, html


def first_rollup(seeded, env):
    started = time.monotonic()
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "stats", "rollup", seeded.slug],
                   cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True, timeout=900)
    elapsed = time.monotonic() - started
    engine = sqlalchemy.create_engine(seeded.database_url)
    with engine.begin() as connection:  # as autovacuum soon does after the tables' first big fill
        connection.execute(sqlalchemy.text("ANALYZE stats_hour, stats_day, stats_total"))
    engine.dispose()
    return elapsed


def hourly_rollup_ms(seeded):
    """What a rollup does when an hour closes (that hour and its day counted), median of three."""
    from widget_service.console import stats

    times = []
    with seeded.app.app_context():
        until = stats.rolled_until(seeded.campaign_id)
        for _ in range(3):
            started = time.perf_counter()
            stats.recount(seeded.campaign_id, until - stats.HOUR, until)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def live_read_ms(seeded):
    """The dashboard's figures read from the signatures alone, once (no buckets)."""
    from widget_service.campaigns import find_campaign
    from widget_service.console.figures import dashboard_figures
    from widget_service.console.stats import StatsRollup
    from widget_service.extensions import db

    with seeded.app.app_context():
        campaign = find_campaign(seeded.slug)
        db.session.get(StatsRollup, campaign.id).rolled_until = None
        db.session.flush()
        started = time.perf_counter()
        dashboard_figures(campaign)
        elapsed = (time.perf_counter() - started) * 1000
        db.session.rollback()
    return elapsed


class ConsoleAtWork:
    """Until stopped: the work an hour's rollup does when the hour closes (recounting that hour
    and its day), once, then a dashboard view every ``every`` seconds: with the default of one
    second, more console work in each run than a busy MSP office makes in an hour."""

    def __init__(self, seeded, console, path, every, rollup=True):
        self.seeded, self.console, self.path, self.every, self.rollup = seeded, console, path, every, rollup
        self.stop_event, self.views = threading.Event(), 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        from widget_service.console import stats

        if self.rollup:
            with self.seeded.app.app_context():
                until = stats.rolled_until(self.seeded.campaign_id)
                stats.recount(self.seeded.campaign_id, until - stats.HOUR, until)
        while not self.stop_event.is_set():
            self.console.request("GET", self.path)
            self.views += 1
            self.stop_event.wait(self.every)

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=60)


def signing_pairs(service, seeded, console, path, args, scratch):
    pairs = []
    for round_ in range(args.rounds):
        rates = {}
        for mode in ("alone", "console at work"):
            script = Path(scratch, f"sign-{round_}-{len(rates)}.lua")
            script.write_text(SIGN_LUA.replace("RUN", f"r{round_}m{len(rates)}").replace("EXTRA", "")
                              .replace("SLUG", seeded.slug))
            load = ConsoleAtWork(seeded, console, path, args.view_every, not args.no_rollup) if mode != "alone" else None
            try:
                run = run_wrk(service.url, args.seconds, args.connections, str(script))
            finally:
                if load:
                    load.stop()
            if run["requests"] != run["ok"]:
                raise SystemExit(f"signing answered {run['requests'] - run['ok']} errors")
            rates[mode] = run["rps"]
        pairs.append(rates)
        print(f"  round {round_ + 1}: alone {rates['alone']:.0f}/s, console at work {rates['console at work']:.0f}/s"
              f" ({rates['console at work'] / rates['alone']:.2f})")
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=2, help="length of each signing run")
    parser.add_argument("--rounds", type=int, default=12, help="pairs of signing runs (alone, console at work)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--view-every", type=float, default=1.0, help="seconds between dashboard views while signing")
    parser.add_argument("--no-rollup", action="store_true", help="no hourly rollup's work in the runs with the console")
    args = parser.parse_args()
    with seeded_schema(args.signatures) as seeded, tempfile.TemporaryDirectory() as scratch:
        env = service_env(seeded, REDIS_URL)
        with redis_keys_removed(REDIS_URL, env["WIDGET_REDIS_PREFIX"]):
            print(f"first `flask stats rollup` of {args.signatures:,} signatures: {first_rollup(seeded, env):.1f} s; "
                  f"then each hour's: {hourly_rollup_ms(seeded):.0f} ms")
            account = make_staff(seeded.app, "viewer")
            service = Service(env)
            try:
                console = Console(service.url)
                console.sign_in(account)
                path = f"/console/dashboard/{seeded.slug}"
                before = service_cpu(service)
                times, html = time_views(console, path, args.views)
                worker_ms = (service_cpu(service) - before) * 1000 / (args.views + 2)
                shown = int(re.sub(r"\D", "", re.search(r"<dd[^>]*data-total>([^<]+)<", html).group(1)))
                public = requests.get(f"{service.url}/api/v1/campaigns/{seeded.slug}/count", timeout=10).json()["signatures"]
                print(f"dashboard, {args.views} views: p50 {statistics.median(times):.0f} ms, "
                      f"p95 {percentile(times, 0.95):.0f} ms, slowest {max(times):.0f} ms ({len(html) // 1024} KiB); "
                      f"CPU in the gunicorn worker {worker_ms:.0f} ms a view; load average {os.getloadavg()[0]:.1f} "
                      f"on {os.cpu_count()} cores")
                print(f"  total shown {shown:,}, public count {public:,}, counted rows {seeded.counts['counted']:,}")
                print(f"the same figures read live from the signatures, once: {live_read_ms(seeded):.0f} ms")
                run_wrk(service.url + "/healthz", 2, args.connections)  # warm the workers up
                print(f"signing, {args.rounds} pairs of {args.seconds} s runs, {args.connections} connections:")
                pairs = signing_pairs(service, seeded, console, path, args, scratch)
                ratios = [pair["console at work"] / pair["alone"] for pair in pairs]
                print(f"signing with the console at work / alone: median {statistics.median(ratios):.2f} "
                      f"(pairs {min(ratios):.2f} to {max(ratios):.2f}); load average {os.getloadavg()[0]:.1f}")
            finally:
                service.stop()


if __name__ == "__main__":
    main()
