"""Benchmark: a console export of a million signatures, and the memory of the worker serving it.

    .venv/bin/python bench/console_export.py [--signatures 1000000] [--kind signatures]

1. Seeds the campaign in a schema of its own (``bench/seed.py``: 90 days, 50 partners, 60
   countries, both languages, 1% suspect).
2. Serves the app with gunicorn (``gunicorn.conf.py``, production settings, Redis) with one
   worker process, so that the worker measured is the one that streams; signs an admin in over
   HTTP with a TOTP code it works out; downloads a one-day export first (the code paths loaded,
   the pools filled), then the whole export (``--state all``: every signature, held-back ones
   too), reading it as it arrives.
3. Reads the worker's ``VmRSS`` (``/proc/<pid>/status``) before and after, and every 50 ms
   while it streams, and its high-water mark ``VmHWM``; checks the file's rows against the
   signatures in the database. The export must leave the worker's memory less than 50 MB
   above where it started.

``--moderation`` times, in-process on the same seed instead, what the moderation page reads for a
day and for 30 days (a selection's states, what could be restored, the wave) and holding back
and restoring a day's signatures, then checks that ``reconcile`` finds no drift.

Needs PostgreSQL and Redis (``WIDGET_TEST_POSTGRES_URL``, ``WIDGET_TEST_REDIS_URL``). Loopback
only; everything it started stops, the schema and the Redis keys are removed.
"""
import argparse
import re
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.console import Console  # noqa: E402
from bench.run import REDIS_URL, Service  # noqa: E402
from bench.seed import redis_keys_removed, seeded_schema, service_env  # noqa: E402
from tests.console.conftest import make_staff  # noqa: E402

BUDGET_MB = 50


def worker_pid(master):
    """The gunicorn worker: the master's one child process."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def memory_kb(pid, field="VmRSS"):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1))


class Sampler:
    """The worker's largest VmRSS seen, read every ``interval`` seconds until stopped."""

    def __init__(self, pid, interval=0.05):
        self.pid, self.interval, self.peak = pid, interval, memory_kb(pid)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_event.wait(self.interval):
            self.peak = max(self.peak, memory_kb(self.pid))

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=10)
        return self.peak


def download(console, form):
    """POST the export form and read the answer as it streams: ``(bytes, lines, seconds)``."""
    page = console.request("GET", "/console/exports").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in console.cookies.items())}
    started = time.monotonic()
    size = lines = 0
    with requests.post(console.url + "/console/exports", data={"csrf_token": token, **form}, headers=headers,
                       stream=True, timeout=600) as response:
        if response.status_code != 200 or response.headers["Content-Type"] != "text/csv; charset=utf-8":
            raise SystemExit(f"export refused: {response.status_code} {response.text[:300]}")
        for piece in response.iter_content(chunk_size=256 * 1024):
            size += len(piece)
            lines += piece.count(b"\n")
    return size, lines, time.monotonic() - started


def timed(label, work):
    started = time.perf_counter()
    result = work()
    print(f"{label}: {(time.perf_counter() - started) * 1000:,.0f} ms")
    return result


def moderation_timings(seeded):
    from widget_service.console import moderation_domain as moderation
    from widget_service.counting import reconcile

    with seeded.app.test_request_context():
        pakistan_now = seeded.now + timedelta(hours=5)
        for days in (1, 30):
            since = (pakistan_now - timedelta(days=days)).strftime("%Y-%m-%d %H:%M")
            selection, errors = moderation.parse_selection(seeded.campaign_id, {"since": since})
            timed(f"{days} day(s): the selection's states", lambda: moderation.states_in(selection))
            timed(f"{days} day(s): what could be restored", lambda: moderation.restorable_count(selection))
            timed(f"{days} day(s): the wave", lambda: moderation.wave(selection))
        since = (pakistan_now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
        day, _ = moderation.parse_selection(seeded.campaign_id, {"since": since})
        counted = moderation.states_in(day)["counted"]
        held = timed(f"hold back the last day's {counted:,} counted signatures", lambda: moderation.hold_back(day, counted))
        restored = timed("restore them", lambda: moderation.restore(day, held))
        before, after = timed("flask counts reconcile", lambda: reconcile(seeded.campaign_id))
        print(f"held back {held:,}, restored {restored:,}; reconcile: {before:,} -> {after:,}"
              + (" (no drift)" if before == after else " DRIFT"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--kind", default="signatures", choices=("signatures", "coordinators", "subscribers", "donations"))
    parser.add_argument("--moderation", action="store_true", help="time the moderation page's reads and actions instead")
    args = parser.parse_args()
    with seeded_schema(args.signatures) as seeded:
        if args.moderation:
            moderation_timings(seeded)
            return
        env = service_env(seeded, REDIS_URL, WEB_CONCURRENCY="1")
        with redis_keys_removed(REDIS_URL, env["WIDGET_REDIS_PREFIX"]):
            account = make_staff(seeded.app, "admin")
            service = Service(env)
            try:
                console = Console(service.url)
                console.sign_in(account)
                worker = worker_pid(service.process.pid)
                today = (seeded.now + timedelta(hours=5)).date().isoformat()  # a Pakistan day
                form = {"campaign": seeded.slug, "kind": args.kind, "state": "all"}
                warm = download(console, {**form, "since": today})
                print(f"warm-up export of one day: {warm[1] - 1:,} rows, {warm[0] / 1e6:.1f} MB in {warm[2]:.1f} s")
                before = memory_kb(worker)
                sampler = Sampler(worker)
                size, lines, seconds = download(console, form)
                peak = sampler.stop()
                after, high_water = memory_kb(worker), memory_kb(worker, "VmHWM")
                rows = lines - 1
                expected = sum(seeded.counts.values()) if args.kind == "signatures" else None
                print(f"export of all {args.kind}: {rows:,} rows, {size / 1e6:.1f} MB in {seconds:.1f} s "
                      f"({rows / seconds:,.0f} rows/s)")
                print(f"worker {worker} VmRSS: before {before / 1024:.1f} MB, peak while streaming {peak / 1024:.1f} MB, "
                      f"after {after / 1024:.1f} MB; VmHWM {high_water / 1024:.1f} MB")
                growth = (max(peak, after) - before) / 1024
                print(f"growth: {growth:.1f} MB (budget {BUDGET_MB} MB): {'ok' if growth < BUDGET_MB else 'OVER BUDGET'}")
                if expected is not None and rows != expected:
                    raise SystemExit(f"the file has {rows:,} rows, the database {expected:,} signatures")
            finally:
                service.stop()


if __name__ == "__main__":
    main()
