"""Instructions per request, counted by valgrind: the service's own CPU work, in a unit that does
not drift with the speed of a shared virtual machine the way seconds do.

    .venv/bin/python bench/instructions.py [--requests 100] [--only healthz,count,sign,page,revalidate]

For /healthz, the count, signing, a view of the petition page (``page``: the English page as
the loader asks for it, compressed for Chromium's Accept-Encoding, answered from the kept
answers in front of Flask as every repeated view in its window is) and its revalidation (``revalidate``: the same with the
ETag the first answer gave, a 304), rate limits on, PostgreSQL and Redis, as in production,
the app runs in-process (Flask's test client, no HTTP server) under callgrind, once with N and
once with 3N requests after a warm-up, instrumented only while those requests run; the
difference over 2N is the cost of one request, free of start-up and warm-up. Instructions in
PostgreSQL and Redis are not counted, nor in gunicorn (about the same for every request). The
two runs of an endpoint go in parallel; each takes a minute or two. Needs valgrind
(`apt-get install valgrind`), PostgreSQL and Redis. Run by hand, like bench/run.py.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

KINDS = ("healthz", "count", "sign", "page", "revalidate")
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd", "Accept-Language": "en-GB,en;q=0.9"}


def child(kind, requests, ready):
    """Set up, warm up, tell the parent (``ready``), wait until it has switched the counting on
    (``ready`` + ".go"), then make ``requests`` requests of ``kind``."""
    from profile_signing import service_app, signer

    with service_app() as (app, slug):
        client = app.test_client()
        sign = signer(client, slug)

        page = f"/widgets/{slug}/petition?origin=https%3A%2F%2Fally.example&lang=en&ref=ally"
        etag = client.get(page, headers=BROWSER).headers["ETag"]

        def one(n):
            if kind == "sign":
                return sign(n)
            if kind == "page":
                assert client.get(page, headers=BROWSER).status_code == 200
                return
            if kind == "revalidate":
                assert client.get(page, headers={**BROWSER, "If-None-Match": etag}).status_code == 304
                return
            path = "/healthz" if kind == "healthz" else f"/api/v1/campaigns/{slug}/count"
            assert client.get(path).status_code == 200

        for n in range(50):
            one(n)
        Path(ready).touch()
        go = Path(ready + ".go")
        while not go.exists():
            time.sleep(0.05)
        for n in range(50, 50 + requests):
            one(n)


def counted(kind, requests, scratch):
    """Start one child under callgrind; returns a function that waits for it and gives the
    instructions of its measured requests."""
    ready, output = Path(scratch, f"{kind}-{requests}.ready"), Path(scratch, f"{kind}-{requests}.out")
    log = output.open("w")
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={scratch}/{kind}-{requests}.cg",
         sys.executable, __file__, "--child", kind, str(requests), str(ready)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    deadline = time.monotonic() + 600
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"{kind}: the run under valgrind stopped early:\n{output.read_text()[-2000:]}")
        time.sleep(0.2)
    subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True)
    Path(f"{ready}.go").touch()

    def result():
        if process.wait() != 0:
            raise SystemExit(f"{kind}: the run under valgrind failed:\n{output.read_text()[-2000:]}")
        log.close()
        return int(re.search(r"Collected : (\d+)", output.read_text()).group(1))

    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="N: the runs make N and 3N requests")
    parser.add_argument("--only", default=",".join(KINDS), help="comma-separated: " + ", ".join(KINDS))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, requests, ready = args.child
        return child(kind, int(requests), ready)
    kinds = [kind for kind in args.only.split(",") if kind]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SystemExit(f"unknown endpoints: {', '.join(sorted(unknown))}")
    if not subprocess.run(["which", "valgrind"], capture_output=True).returncode == 0:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    low, high = args.requests, 3 * args.requests
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            runs = counted(kind, low, scratch), counted(kind, high, scratch)
            few, many = (run() for run in runs)
            print(f"{kind:8} {(many - few) / (high - low) / 1e6:6.2f} M instructions per request", flush=True)


if __name__ == "__main__":
    main()
