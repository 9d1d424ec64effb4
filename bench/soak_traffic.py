"""The soak's traffic (bench/soak.py): paced threads of loopback requests, each answer recorded.

Mixed threads share ``rate`` requests a second between widget views (every kind, English and
Urdu, in turn), count reads and signatures (a new mailbox and client address each, through the
one trusted proxy hop); beside them one address floods the signing endpoint at ``FLOOD_RATE``
(its per-address limit, 60 a minute, is reached within a quarter of a minute), and a donor thread
starts donations one after another, each from an address of its own. Every request has a
timeout, so ``stop`` returns within it.
"""
import itertools
import threading
import time

import requests

KINDS = ("petition", "actions", "coordinator", "notify", "donate")
LANGS = ("en", "ur")
MIX_THREADS = 4
FLOOD_RATE = 5.0  # a second, from one address
FLOOD_ADDRESS = "198.51.100.7"
FORM_WAIT = 2.5  # the fast-form trap refuses a form sent within WIDGET_FORM_MIN_SECONDS (2) of its token
TIMEOUT = 30
EXPECTED = {"sign": {202}, "sign (flood)": {202, 429}, "count": {200}, "form token (donate)": {200}, "donate": {303}}
EXPECTED.update({f"widget {kind} {lang}": {200} for kind in KINDS for lang in LANGS})


class Traffic:
    def __init__(self, urls, slug, rate):
        self.urls, self.slug, self.rate = urls, slug, rate
        self.records = []  # (endpoint, status or "connection error", started, ended) on the run's clock
        self.signed = {}  # email -> the status its signature was answered with
        self.checkouts = []  # Location of every 303 of a donation
        self.stopping = threading.Event()
        self.threads, self.local = [], threading.local()
        self.serial = itertools.count(1)
        self.pages = itertools.cycle([(kind, lang) for kind in KINDS for lang in LANGS])

    # --- requests ---------------------------------------------------------------------------

    def call(self, endpoint, method, url, **kwargs):
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        started = self.clock()
        try:
            response = session.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
            status = response.status_code
        except requests.RequestException as error:
            response, status = None, f"connection error ({error.__class__.__name__})"
        self.records.append((endpoint, status, started, self.clock()))
        return response, status

    def sign(self, n, address, endpoint="sign"):
        email, lang = f"soak-{n}@example.org", LANGS[n % 2]
        name = "Soak Supporter" if lang == "en" else "سوک حامی"
        _, status = self.call(endpoint, "POST", f"{self.urls[n % 2]}/api/v1/campaigns/{self.slug}/signatures",
                              json={"name": name, "email": email, "country": "PK", "lang": lang},
                              headers={"X-Forwarded-For": address})
        self.signed[email] = status

    def view(self, n):
        kind, lang = next(self.pages)
        self.call(f"widget {kind} {lang}", "GET", f"{self.urls[n % 2]}/widgets/{self.slug}/{kind}?lang={lang}")

    def count(self, n):
        self.call("count", "GET", f"{self.urls[n % 2]}/api/v1/campaigns/{self.slug}/count")

    def count_on(self, url):
        try:
            return requests.get(f"{url}/api/v1/campaigns/{self.slug}/count", timeout=TIMEOUT).json()["signatures"]
        except (requests.RequestException, ValueError, KeyError):
            return None

    def donate(self, n):
        url, address = self.urls[n % 2], f"172.16.{n // 250 % 250}.{n % 250}"
        response, _ = self.call("form token (donate)", "POST", f"{url}/api/v1/campaigns/{self.slug}/form-tokens/donate",
                                headers={"X-Forwarded-For": address})
        if response is None or response.status_code != 200 or self.stopping.wait(FORM_WAIT):
            return
        form = {"currency": ("USD", "GBP", "EUR")[n % 3], "amount": "2500", "lang": LANGS[n % 2],
                "interval": ("once", "month")[n // 2 % 2], "form_token": response.json()["form_token"]}
        response, status = self.call("donate", "POST", f"{url}/widgets/{self.slug}/donate", data=form,
                                     headers={"X-Forwarded-For": address})
        if status == 303:
            self.checkouts.append(response.headers.get("Location", ""))

    # --- threads ----------------------------------------------------------------------------

    def paced(self, rate, step):
        """Call ``step(n)`` about ``rate`` times a second until stopped; never in bursts to catch up."""
        interval, due = 1 / rate, time.monotonic()
        while not self.stopping.is_set():
            step(next(self.serial))
            due = max(due + interval, time.monotonic() - interval)
            self.stopping.wait(max(0.0, due - time.monotonic()))

    def mixed(self, n):
        pick = n % 20  # 8 views, 7 counts, 5 signatures in every 20
        if pick < 8:
            self.view(n)
        elif pick < 15:
            self.count(n)
        else:
            self.sign(n, f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250}")

    def start(self, clock):
        self.clock = clock
        steps = [(self.rate / MIX_THREADS, self.mixed)] * MIX_THREADS + [
            (FLOOD_RATE, lambda n: self.sign(n, FLOOD_ADDRESS, "sign (flood)")),
            (1 / FORM_WAIT, self.donate),
        ]
        for rate, step in steps:
            thread = threading.Thread(target=self.paced, args=(rate, step), daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=TIMEOUT + 5)

    # --- reports ----------------------------------------------------------------------------

    def by_endpoint(self):
        table = {}
        for endpoint, status, _, _ in self.records:
            statuses = table.setdefault(endpoint, {})
            statuses[status] = statuses.get(status, 0) + 1
        return table

    def report_statuses(self):
        table = self.by_endpoint()
        total = sum(sum(statuses.values()) for statuses in table.values())
        print(f"\nrequests by status per endpoint ({total} in all)")
        for endpoint in sorted(table):
            shown = ", ".join(f"{status}: {n}" for status, n in sorted(table[endpoint].items(), key=str))
            print(f"  {endpoint:26} {shown}")

    def unexpected(self):
        """(endpoint, status, n) answered outside the endpoint's expected statuses, 5xx apart."""
        found = [(endpoint, status, n) for endpoint, statuses in self.by_endpoint().items()
                 for status, n in statuses.items()
                 if status not in EXPECTED[endpoint] and not (isinstance(status, int) and status >= 500)]
        for endpoint, status, n in found:
            print(f"unexpected: {endpoint} answered {status} {n} times")
        return found

    def report_server_errors(self, near):
        """Print every 5xx with its time and the fault it lies near; True if each is a 503 in a
        documented window."""
        errors = [record for record in self.records if isinstance(record[1], int) and record[1] >= 500]
        print(f"\n5xx answers: {len(errors)}")
        allowed = True
        for endpoint, status, started, ended in sorted(errors, key=lambda record: record[2]):
            where, documented = near(started, ended)
            documented &= status == 503
            allowed &= documented
            print(f"  {started:7.2f}-{ended:.2f}s {endpoint:22} {status}  {where}: "
                  f"{'inside a documented 503 window' if documented else 'OUTSIDE any documented window'}")
        return allowed

    def flood_refused(self):
        return self.by_endpoint().get("sign (flood)", {}).get(429, 0) > 0

    def donations_reached(self, sessions):
        return all(location.rsplit("/", 1)[-1] in sessions for location in self.checkouts)
