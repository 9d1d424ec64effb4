"""The real ``flask`` command, run as staff run it: a process of its own, configured by the
environment alone, on a SQLite database of the test's own."""
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from widget_service.config import DEV_SECRET_KEY

from .conftest import build_app, dispose

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))
SLUG = "hazara-quetta"


@pytest.fixture
def flask(tmp_path):
    """``flask(*args, **environ)``: run the command with ``FLASK_APP=wsgi`` as docs/console.md says,
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


def test_subscribers_export_works_with_the_settings_of_make_run(flask):
    """``make run`` sets WIDGET_ENV=development and no WIDGET_PUBLIC_URL: the export's links
    point to the demo service it starts."""
    make_run = {"WIDGET_ENV": "development"}
    for step in (["db", "upgrade"], ["campaigns", "seed-demo"]):
        assert flask(*step, **make_run).returncode == 0
    service = build_app((flask.database_url, {}), create_schema=False, SECRET_KEY=DEV_SECRET_KEY)  # make run's key
    try:
        client = service.test_client()
        answer = client.post(f"/api/v1/campaigns/{SLUG}/subscriptions", json={"email": "ali@example.org"})
        assert answer.status_code == 202, answer.data

        def export(*options, **environ):
            result = flask("subscribers", "export", SLUG, *options, **make_run, **environ)
            assert result.returncode == 0, result.stderr
            assert "WIDGET_PUBLIC_URL" in result.stderr, "says where the links point and how to change it"
            return list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))

        [asked] = export("--unconfirmed")
        assert asked["confirm_url"].startswith("http://127.0.0.1:5000/")
        assert client.post(asked["confirm_url"].removeprefix("http://127.0.0.1:5000")).status_code == 200
        [row] = export()
        assert row["email"] == "ali@example.org" and row["unsubscribe_url"].startswith("http://127.0.0.1:5000/unsubscribe/")
        [row] = export(PORT="8080")  # make run PORT=8080
        assert row["unsubscribe_url"].startswith("http://127.0.0.1:8080/unsubscribe/")
    finally:
        dispose(service)


def test_outside_development_the_export_still_asks_for_the_address_of_its_links(flask):
    secret = {"WIDGET_ENV": "testing", "WIDGET_SECRET_KEY": "x" * 48}
    assert flask("db", "upgrade", **secret).returncode == 0
    assert flask("campaigns", "seed-demo", **secret).returncode == 0
    result = flask("subscribers", "export", SLUG, **secret)
    assert result.returncode == 1 and result.stderr.startswith("Error: set WIDGET_PUBLIC_URL")
