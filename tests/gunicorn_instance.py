"""The service under real gunicorn (``gunicorn.conf.py``, as ``make run`` and the deployment start
it), one worker, on a free port of 127.0.0.1: ``Gunicorn(env, log_dir)``. With a ``log_dir``
everything it logs is kept there: gunicorn's error log and the app's own lines in ``error_log``,
the access log in ``access_log``; without one, nothing is kept.

``served(**env)`` (a fixture) starts one on the test's SQLite file with the ``WIDGET_*``
settings of ``SETTINGS`` and ``env``; it is stopped at the end of the test. tests/test_instances.py
runs several on PostgreSQL.
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from . import services

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"  # build_app's, so tokens agree


class Gunicorn:
    def __init__(self, env, log_dir=None):
        self.url = f"http://127.0.0.1:{services.free_port()}"
        if log_dir is None:
            self.error_log = self.access_log = Path(os.devnull)
        else:
            self.error_log, self.access_log = log_dir / "error.log", log_dir / "access.log"
        with open(self.error_log, "wb") as stderr:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", str(self.access_log),
                 "wsgi:app"],
                cwd=ROOT, env={**os.environ, **env, "GUNICORN_BIND": self.url[7:], "WEB_CONCURRENCY": "1"},
                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                pytest.fail(f"gunicorn did not start:\n{self.error_log.read_text(errors='replace')}")
            time.sleep(0.1)

    def logs(self):
        """Everything logged so far, both logs."""
        return self.error_log.read_text(errors="replace") + self.access_log.read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture
def served(database_url, tmp_path):
    """``served(**env)``: a gunicorn instance on this test's SQLite database."""
    url, _ = database_url
    assert url.startswith("sqlite:"), "these instances run on the test's SQLite file"
    instances = []

    def start(**env):
        settings = {
            "WIDGET_ENV": "testing",
            "WIDGET_SECRET_KEY": SECRET_KEY,
            "WIDGET_DATABASE_URL": url,
            "WIDGET_REDIS_URL": "",
            "WIDGET_RATELIMIT_ENABLED": "false",
            "WIDGET_LOG_LEVEL": "INFO",
            **env,
        }
        log_dir = tmp_path / f"gunicorn-{len(instances)}"
        log_dir.mkdir()
        instances.append(Gunicorn(settings, log_dir))
        return instances[-1]

    yield start
    for instance in instances:
        instance.stop()
