"""Configuration from WIDGET_* variables, and the table of them in docs/operators.md."""
import re
from pathlib import Path

import pytest
import sqlalchemy

from widget_service import config, create_app


def test_defaults_need_no_configuration():
    settings = config.from_environ({})
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert settings["REDIS_URL"] == "" and settings["TRUSTED_PROXIES"] == 0


def test_variables_are_read():
    settings = config.from_environ({
        "WIDGET_DATABASE_URL": "postgresql+psycopg://db/widgets", "WIDGET_TRUSTED_PROXIES": "2",
        "WIDGET_REDIS_URL": "redis://cache:6379/0", "WIDGET_COUNT_CACHE_SECONDS": "5",
    })
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/widgets"
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 5
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["keepalives"] == 1
    assert settings["TRUSTED_PROXIES"] == 2 and settings["COUNT_CACHE_SECONDS"] == 5
    assert settings["REDIS_URL"] == "redis://cache:6379/0"


@pytest.mark.parametrize("environ", [
    {"WIDGET_TRUSTED_PROXIES": "many"}, {"WIDGET_TRUSTED_PROXIES": "-1"}, {"WIDGET_ENV": "staging"},
    {"WIDGET_MAX_BODY_BYTES": "10"},
])
def test_bad_values_are_refused_with_a_clear_message(environ):
    with pytest.raises(config.ConfigError, match="WIDGET_"):
        config.from_environ(environ)


@pytest.mark.parametrize("secret", [None, config.DEV_SECRET_KEY, "short"])
def test_production_refuses_to_start_without_a_real_secret(monkeypatch, secret):
    monkeypatch.setenv("WIDGET_ENV", "production")
    if secret is None:
        monkeypatch.delenv("WIDGET_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("WIDGET_SECRET_KEY", secret)
    with pytest.raises(config.ConfigError, match="WIDGET_SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_and_its_public_address(monkeypatch, tmp_path):
    monkeypatch.setenv("WIDGET_ENV", "production")
    monkeypatch.setenv("WIDGET_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("WIDGET_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with pytest.raises(config.ConfigError, match="WIDGET_PUBLIC_URL"):
        create_app()  # links would otherwise be built on whatever Host header a request names
    monkeypatch.setenv("WIDGET_PUBLIC_URL", "https://widgets.example.org")
    assert create_app().config["WIDGET_ENV"] == "production"


@pytest.mark.parametrize("url", ["widgets.example.org", "ftp://widgets.example.org", "https://"])
def test_a_public_url_must_be_a_full_url(make_app, url):
    with pytest.raises(config.ConfigError, match="WIDGET_PUBLIC_URL"):
        make_app(PUBLIC_URL=url)


def test_production_with_captcha_checks_our_own_hostname(monkeypatch, tmp_path):
    monkeypatch.setenv("WIDGET_ENV", "production")
    monkeypatch.setenv("WIDGET_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("WIDGET_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.setenv("WIDGET_HCAPTCHA_SITEKEY", "site")
    monkeypatch.setenv("WIDGET_HCAPTCHA_SECRET", "secret")
    with pytest.raises(config.ConfigError, match="WIDGET_PUBLIC_URL"):
        create_app()
    monkeypatch.setenv("WIDGET_PUBLIC_URL", "https://widgets.example.org")
    assert create_app().config["PUBLIC_URL"] == "https://widgets.example.org"


def test_start_up_warns_when_limits_are_off_or_redis_is_missing(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("WIDGET_ENV", "production")
    monkeypatch.setenv("WIDGET_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("WIDGET_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.setenv("WIDGET_PUBLIC_URL", "https://widgets.example.org")
    monkeypatch.setenv("WIDGET_RATELIMIT_ENABLED", "false")
    create_app()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("WIDGET_RATELIMIT_ENABLED is off" in w for w in warnings)
    assert any("WIDGET_REDIS_URL is not set" in w for w in warnings)


def test_trusted_proxies_decide_whose_address_is_the_client(tmp_path):
    from .conftest import build_app

    seen = []

    def capture(app):
        @app.get("/_whoami")
        def whoami():
            from flask import request
            seen.append(request.remote_addr)
            return ""
        return app

    database = (f"sqlite:///{tmp_path / 'x.sqlite3'}", {})
    direct = capture(build_app(database, create_schema=False))
    direct.test_client().get("/_whoami", headers={"X-Forwarded-For": "198.51.100.7"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    proxied = capture(build_app(database, create_schema=False, TRUSTED_PROXIES=1))
    proxied.test_client().get("/_whoami", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen == ["10.0.0.2", "198.51.100.7"]


def test_the_operators_guide_documents_every_setting():
    guide = (Path(__file__).resolve().parent.parent / "docs" / "operators.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `WIDGET_([A-Z_]+)`", guide, re.MULTILINE))
    assert documented >= set(config.SETTINGS), set(config.SETTINGS) - documented


def test_database_errors_never_show_the_values_they_were_given(database_url):
    """A name or address sent to the database must not reach a log through an error's message."""
    url, _ = database_url
    engine = sqlalchemy.create_engine(url, **config.engine_options(url))
    try:
        with pytest.raises(sqlalchemy.exc.DBAPIError) as error, engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT no_such_column FROM (SELECT :name AS n) AS t"), {"name": "Zahra Secret"})
    finally:
        engine.dispose()
    assert "Zahra Secret" not in str(error.value) and "hidden" in str(error.value)
