"""`make run` as a person runs it, on spare ports: it prints every demo address the README lists,
each answers, the service's front page leads to the demo campaign, and Ctrl-C (or a SIGTERM to
make) stops both servers cleanly, without "Segmentation fault" or make's "***" error line."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from . import services

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 120  # migrating and seeding a fresh SQLite file, then starting both servers
STOP_SECONDS = 45  # gunicorn's graceful timeout is 30 s; a stop normally takes about a second


def readme_addresses():
    """The demo addresses the README's "two commands" section lists (default ports)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The two commands"):].split("\n## ")[0]
    found = re.findall(r"http://(?:localhost|127\.0\.0\.1):500[01][^\s>)`]*", section)
    assert len(found) >= 7, found
    return sorted(set(found))


def answers(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def make_run(tmp_path):
    """``make run`` in a session of its own (the terminal's process group), on free ports and a
    fresh SQLite file; yields ``(process, service_url, demo_url, log_path)``."""
    port, demo_port = services.free_port(), services.free_port()
    log_path = tmp_path / "make-run.log"
    env = {
        **os.environ, "WIDGET_ENV": "development", "WEB_CONCURRENCY": "2",
        "WIDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    # -o: the virtualenv is the one running these tests; never reinstall it from here.
    command = ["make", "-o", ".venv/.installed", "run", f"PORT={port}", f"DEMO_PORT={demo_port}"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    service, demo = f"http://127.0.0.1:{port}", f"http://localhost:{demo_port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (answers(f"{service}/healthz") and answers(f"{demo}/")):
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "make run did not start: " + log_path.read_text()
            time.sleep(0.3)
        yield process, service, demo, log_path
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of it, after a failure
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def stopped_cleanly(process, service, demo, log_path):
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail("make run did not stop: " + log_path.read_text())
    output = log_path.read_text()
    assert "Segmentation fault" not in output and "make: ***" not in output, output
    assert output.rstrip().endswith("Stopped."), output
    # make ends as the signal it was given asks (it re-raises it after its recipe exits cleanly).
    assert process.returncode in (0, -signal.SIGINT, -signal.SIGTERM), (process.returncode, output)
    assert not answers(f"{service}/healthz") and not answers(f"{demo}/")
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # not one process of the group is left behind


def test_make_run_prints_every_demo_address_and_stops_on_ctrl_c(make_run):
    process, service, demo, log_path = make_run
    port, demo_port = service.rsplit(":", 1)[1], demo.rsplit(":", 1)[1]
    output = log_path.read_text()
    for address in readme_addresses():
        here = address.replace(":5000", f":{port}").replace(":5001", f":{demo_port}")
        assert here in output, f"{here} is not in make run's banner:\n{output}"
        assert answers(here), here
    front = requests.get(f"{service}/", timeout=5)
    assert front.status_code == 200 and f'href="{service}/c/hazara-quetta"' in front.text
    # Ctrl-C: the terminal sends SIGINT to its whole foreground process group.
    os.killpg(process.pid, signal.SIGINT)
    stopped_cleanly(process, service, demo, log_path)


def test_a_sigterm_to_make_alone_stops_both_servers(make_run):
    process, service, demo, log_path = make_run
    os.kill(process.pid, signal.SIGTERM)  # make passes it on to its recipe's shell only
    stopped_cleanly(process, service, demo, log_path)
