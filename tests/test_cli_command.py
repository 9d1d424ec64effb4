"""The real ``flask`` command, run as staff run it: a process of its own, configured by the
environment alone, on a SQLite database of the test's own."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))
SLUG = "hazara-quetta"


@pytest.fixture
def flask(tmp_path):
    """``flask(*args, **environ)``: run the command with ``FLASK_APP=wsgi`` as the README says,
    none of the test process's own ``WIDGET_*`` variables, and this test's database."""
    database_url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def run(*args, **environ):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WIDGET_", "FLASK_")) and k != "PORT"}
        env.update(FLASK_APP="wsgi", WIDGET_DATABASE_URL=database_url, **environ)
        return subprocess.run([FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    run.database_url = database_url
    return run


@pytest.mark.parametrize(("args", "environ", "named"), [
    (["campaigns", "list"], {}, "WIDGET_SECRET_KEY"),  # production by default, with the development key
    (["db", "upgrade"], {"WIDGET_ENV": "development", "WIDGET_TRUSTED_PROXIES": "many"}, "WIDGET_TRUSTED_PROXIES"),
    (["signatures", "export", SLUG], {"WIDGET_ENV": "development", "WIDGET_RATELIMIT_EMAIL": "often"}, "WIDGET_RATELIMIT_EMAIL"),
])
def test_a_refused_configuration_is_one_line_and_a_failed_exit(flask, args, environ, named):
    result = flask(*args, **environ)
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {named} "), line

