"""Soak: mixed traffic for a bounded time against two instances, with Redis and PostgreSQL faults.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 20] [--workers 2]

Two gunicorn instances (``gunicorn.conf.py``, ``--workers`` processes each) serve a campaign
seeded by ``bench/seed.py`` in a PostgreSQL schema of their own, with a redis-server of their own
on a spare port (the shared ones on 5432 and 6379 are never stopped) and donations going to the
loopback Stripe of the tests (``tests/stripe_server.py``). For ``--minutes`` the traffic, all to
127.0.0.1, mixes: every widget kind in English and Urdu, count reads, signatures (each from an
address and mailbox of its own), a flood of signatures from one address (expected: 429s once
its limit is reached) and donation starts (a form token, the form after the fast-form trap's
wait, a 303 to the loopback Stripe). Meanwhile Redis is killed and started again twice, and the
instances' PostgreSQL connections are cut once (``pg_terminate_backend`` on their
``application_name`` only).

It prints, and exits non-zero when a check fails:
- every gunicorn worker's RSS after the warm-up and at the end, sampled through the run; a
  worker is flat when it grew by at most ``--rss-growth-mib`` (10 MiB) after warming up;
- requests by status per endpoint; any status outside an endpoint's expected ones fails;
- every 5xx with its time and the fault it lies near. The docs promise 503 ``unavailable`` to
  requests in flight when database connections are cut (docs/operators.md, Deploying), so a 503 whose
  request overlaps a cut (from the cut to 2 s after it) is inside a documented window; Redis
  going away is documented to cost nothing (limits and count fall back to memory and SQL), so
  no 5xx is allowed near a Redis restart, nor anywhere else;
- the zero-loss audit: every signature answered 202 stored exactly once and counted, none
  stored for a refusal (4xx), no row the run did not send, both instances' public count equal
  to the counted rows (within 60 s of the end); every 303 of a donation names a session the
  loopback Stripe made.

The instances run with ``WIDGET_ENV=testing``: production refuses a Stripe API base that is not
https (the secret key would travel in clear), and the loopback Stripe speaks plain HTTP; the
setting only relaxes start-up checks, nothing on the request path. Signatures count as they are
stored (``WIDGET_CONFIRM_SIGNATURES=false``), as in ``bench/run.py``. Ctrl-C stops the run and
still removes everything it started (instances, redis-server, Stripe, schema).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import POSTGRES_URL, Service, free_port  # noqa: E402
from bench.seed import seeded_schema, service_env  # noqa: E402
from bench.soak_traffic import Traffic  # noqa: E402
from tests import stripe_server  # noqa: E402  (the loopback Stripe the tests use)

MIB = 1024 * 1024


class Instance(Service):
    """bench/run.py's gunicorn, stopped again when it never comes up (or Ctrl-C comes first)."""

    def __init__(self, env):
        try:
            super().__init__(env)
        except BaseException:
            if hasattr(self, "process"):
                self.stop()
            raise

    def workers(self):
        """``{pid: RSS in bytes}`` of this instance's gunicorn workers (the master's children)."""
        found = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                if parent == self.process.pid:
                    with open(f"/proc/{pid}/status") as status:
                        rss = next(line for line in status if line.startswith("VmRSS:"))
                    found[int(pid)] = int(rss.split()[1]) * 1024
            except (OSError, StopIteration, ValueError, IndexError):
                continue  # it ended meanwhile
        return found


class RedisServer:
    """A redis-server of the soak's own on a spare port, which it may kill and start again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        client, deadline = redis.Redis.from_url(self.url), time.monotonic() + 15
        while True:
            try:
                client.ping()
                return client.close()
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit("the soak's redis-server did not start")
                time.sleep(0.05)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait(timeout=10)


class Faults:
    """The faults at their times, each recorded as ``(kind, started, ended)`` on the run's clock."""

    def __init__(self, own_redis, admin, application, clock):
        self.redis, self.admin, self.application, self.clock = own_redis, admin, application, clock
        self.done, self.cut_backends = [], 0

    def restart_redis(self, down_seconds):
        started = self.clock()
        self.redis.kill()
        time.sleep(down_seconds)
        self.redis.start()
        self.done.append(("Redis restart", started, self.clock()))

    def cut_connections(self):
        started = self.clock()
        with self.admin.begin() as connection:
            self.cut_backends = connection.execute(sqlalchemy.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": self.application}).scalar()
        self.done.append(("PostgreSQL cut", started, self.clock()))

    def near(self, started, ended):
        """The fault a request that ran from ``started`` to ``ended`` overlaps (with slack), and
        whether a 503 is documented there."""
        for kind, begin, end in self.done:
            if kind == "PostgreSQL cut" and started <= end + 2 and ended >= begin:
                return f"{kind} at {begin:.1f}s", True
            if kind == "Redis restart" and started <= end + 5 and ended >= begin - 1:
                return f"{kind} at {begin:.1f}s", False
        return "no fault near", False


def sample_memory(instances, samples, at):
    for number, instance in enumerate(instances, 1):
        for pid, rss in instance.workers().items():
            samples.setdefault((number, pid), []).append((at, rss))


def memory_report(samples, warm, threshold_mib, duration):
    """Each worker's RSS at the first sample after ``warm`` seconds and at its last; False if one grew too much."""
    print(f"\nworker memory (RSS, MiB; flat = at most {threshold_mib} MiB growth after the {warm:.0f} s warm-up)")
    print(f"{'instance/pid':>16} {'first':>7} {'warm':>7} {'end':>7} {'growth':>7}  verdict")
    flat = True
    for (number, pid), points in sorted(samples.items()):
        first, after = points[0], [point for point in points if point[0] >= warm] or points[-1:]
        growth = (points[-1][1] - after[0][1]) / MIB
        lived = points[-1][0] >= duration - 1 and first[0] <= warm  # served the whole run
        verdict = "flat" if growth <= threshold_mib else "GREW"
        if not lived:
            verdict = "REPLACED or new during the run"
        flat &= verdict == "flat"
        print(f"{number:>8}/{pid:<7} {first[1] / MIB:7.1f} {after[0][1] / MIB:7.1f} {points[-1][1] / MIB:7.1f} "
              f"{growth:+7.1f}  {verdict}")
    return flat and bool(samples)


def audit(traffic, engine, instances, deadline_seconds=60):
    """The zero-loss audit; prints it and returns whether it holds."""
    with engine.connect() as connection:
        rows = connection.execute(
            sqlalchemy.text("SELECT email, state, count(*) FROM signature GROUP BY email, state")).all()
    stored, states = {}, {}
    for email, state, number in rows:
        stored[email] = stored.get(email, 0) + number
        states[state] = states.get(state, 0) + number
    counted = states.get("counted", 0)
    answered = traffic.signed  # email -> status (or connection error)
    accepted = [email for email, status in answered.items() if status == 202]
    refused = [email for email, status in answered.items()
               if isinstance(status, int) and status < 500 and status != 202]
    lost = [email for email in accepted if stored.get(email) != 1]
    stored_refused = [email for email in refused if email in stored]
    unknown = [email for email in stored if email not in answered]
    unanswered_stored = sum(1 for email, status in answered.items()
                            if not (isinstance(status, int) and status < 500) and email in stored)
    started, counts = time.monotonic(), None
    while time.monotonic() - started < deadline_seconds:
        counts = [traffic.count_on(instance.url) for instance in instances]
        if counts == [counted] * len(instances):
            break
        time.sleep(1)
    waited = time.monotonic() - started
    print(f"\naudit: {len(answered)} signatures sent, {len(accepted)} answered 202, {len(refused)} refused (4xx), "
          f"{len(answered) - len(accepted) - len(refused)} answered 5xx or not at all "
          f"({unanswered_stored} of them stored anyway, as a commit can outlive its connection)")
    print(f"audit: rows {sum(stored.values())} by state {states}; public counts {counts} after {waited:.0f} s")
    problems = [
        (lost, "answered 202 but not stored exactly once"), (stored_refused, "refused yet stored"),
        (unknown, "stored but never sent"),
    ]
    holds = not any(found for found, _ in problems) and counts == [counted] * len(instances)
    holds &= set(states) <= {"counted"}
    for found, what in problems:
        if found:
            print(f"audit: {len(found)} {what}, e.g. {found[:3]}")
    print("audit:", "OK, every 202 stored once, nothing refused stored, counts equal to the rows"
          if holds else "FAILED")
    return holds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20,
                        help="mixed requests per second at most (the flood and the donors apart)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--rss-growth-mib", type=float, default=10, help="most a worker may grow after warming up")
    args = parser.parse_args()
    if not 0.1 <= args.minutes <= 120:
        parser.error("--minutes must be between 0.1 and 120")
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    # Ctrl-C and a kill both clean up (even where the shell that started the soak ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return soak(args)
    except KeyboardInterrupt:
        print("\ninterrupted: everything the soak started is stopped and its schema dropped")
        return 130


def soak(args):
    duration = args.minutes * 60
    instances, own_redis, stripe, traffic = [], None, None, None
    with seeded_schema(signatures=0) as seeded:
        application = f"soak-{seeded.schema}"
        admin = sqlalchemy.create_engine(POSTGRES_URL)
        audit_engine = sqlalchemy.create_engine(seeded.database_url)
        try:
            own_redis = RedisServer()
            stripe = stripe_server.StripeServer()
            env = service_env(
                seeded, own_redis.url, WIDGET_ENV="testing", WEB_CONCURRENCY=str(args.workers),
                WIDGET_DATABASE_URL=f"{seeded.database_url}&application_name={application}",
                **{f"WIDGET_{name}": str(value) for name, value in stripe_server.service_config(stripe).items()},
            )
            for _ in range(2):  # one by one: the first is stopped even if the second never comes up
                instances.append(Instance(env))
            traffic = Traffic([instance.url for instance in instances], seeded.slug, args.rate)
            begun = time.monotonic()
            clock = lambda: time.monotonic() - begun  # noqa: E731
            faults = Faults(own_redis, admin, application, clock)
            schedule = [(0.25, lambda: faults.restart_redis(min(3, duration / 20))), (0.45, faults.cut_connections),
                        (0.65, lambda: faults.restart_redis(min(3, duration / 20)))]
            samples, every = {}, max(1.0, duration / 60)
            traffic.start(clock)
            print(f"soak: {args.minutes:g} min against {', '.join(i.url for i in instances)}, Redis {own_redis.url}",
                  flush=True)
            next_sample = 0.0
            while clock() < duration:
                if schedule and clock() >= schedule[0][0] * duration:
                    schedule.pop(0)[1]()
                if clock() >= next_sample:
                    sample_memory(instances, samples, clock())
                    next_sample += every
                time.sleep(0.2)
            traffic.stop()
            sample_memory(instances, samples, clock())
            ended = clock()

            traffic.report_statuses()
            print(f"\nfaults: {', '.join(f'{kind} {a:.1f}-{b:.1f}s' for kind, a, b in faults.done)}; "
                  f"{faults.cut_backends} PostgreSQL connections cut")
            unexpected = traffic.unexpected()
            fivexx_ok = traffic.report_server_errors(faults.near)
            flat = memory_report(samples, min(30, duration / 5), args.rss_growth_mib, ended)
            lossless = audit(traffic, audit_engine, instances)
            donations_ok = traffic.donations_reached(stripe.sessions)
            checks = {
                "faults done (2 Redis restarts, 1 cut of >= 1 connection)":
                    len(faults.done) == 3 and faults.cut_backends > 0,
                "every status expected for its endpoint": not unexpected,
                "no 5xx outside a documented 503 window": fivexx_ok,
                "flood refused with 429": traffic.flood_refused(),
                "workers' memory flat": flat,
                "zero-loss audit": lossless,
                "every donation 303 reached the loopback Stripe": donations_ok,
            }
            print()
            for name, passed in checks.items():
                print(f"check: {'ok  ' if passed else 'FAIL'} {name}")
            return 0 if all(checks.values()) else 1
        finally:
            if traffic:
                traffic.stop()
            for instance in instances:
                instance.stop()
            if own_redis:
                own_redis.kill()
            if stripe:
                stripe.stop()
            audit_engine.dispose()
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
