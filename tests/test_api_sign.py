"""POST /api/v1/campaigns/<slug>/signatures through HTTP, on SQLite and PostgreSQL."""
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import sqlalchemy
from sqlalchemy import func, select

from widget_service.campaigns import close_campaign, find_campaign
from widget_service.extensions import db
from widget_service.models import Signature

from .builders import make_campaign, signature
from .conftest import Widget


def rows(app, slug=None):
    with app.app_context():
        query = select(Signature)
        if slug:
            query = query.where(Signature.campaign_id == find_campaign(slug).id)
        return [
            {c.name: getattr(s, c.name) for c in Signature.__table__.columns}
            for s in db.session.scalars(query.order_by(Signature.id))
        ]


def test_signing_stores_the_signature_and_counts_it(app, widget, campaign):
    response = widget.sign(
        campaign, name="علی رضا", email="Ali.Raza@Example.org", country="pk", region="Quetta",
        comment="Justice now.", opt_in=True, lang="ur", ref="hrcp", origin="https://ally.example.org",
    )
    assert response.status_code == 202
    assert response.get_json()["ok"] is True
    [row] = rows(app)
    assert row["name"] == "علی رضا" and row["country"] == "PK" and row["region"] == "Quetta"
    assert row["email"] == "Ali.Raza@example.org" and row["email_canonical"] == "ali.raza@example.org"
    assert row["state"] == Signature.COUNTED and row["lang"] == "ur" and row["opt_in"] is True
    assert row["ref"] == "hrcp" and row["source_origin"] == "https://ally.example.org"
    assert widget.count(campaign) == 1


def test_opt_in_is_off_unless_asked(app, widget, campaign):
    widget.sign(campaign)
    assert rows(app)[0]["opt_in"] is False


def test_the_ip_is_kept_only_as_a_keyed_hash(app, client, campaign):
    client.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature(), environ_base={"REMOTE_ADDR": "203.0.113.9"})
    client.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature(), environ_base={"REMOTE_ADDR": "203.0.113.9"})
    first, second = rows(app)
    assert first["ip_hash"] and first["ip_hash"] == second["ip_hash"]
    assert "203.0.113.9" not in json.dumps(first, default=str)


def test_the_requests_own_origin_header_is_no_attribution(app, client, campaign):
    """Signing is not open to other origins, so the header only ever names the service itself."""
    client.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature(), headers={"Origin": "http://localhost"})
    assert rows(app)[0]["source_origin"] is None


@pytest.mark.parametrize(
    "again",
    ["Ali.Raza@gmail.com", "aliraza@gmail.com", "ALI.RAZA@GMAIL.COM", "a.l.i.r.a.z.a+petition@googlemail.com", " aliraza+x@Gmail.com "],
)
def test_a_duplicate_gets_the_same_answer_and_changes_nothing(app, widget, campaign, again):
    first = widget.sign(campaign, email="Ali.Raza@gmail.com")
    second = widget.sign(campaign, email=again, name="Someone Else")
    assert (second.status_code, second.data) == (first.status_code, first.data)
    assert len(rows(app)) == 1 and rows(app)[0]["name"] != "Someone Else"
    assert widget.count(campaign) == 1


def test_a_duplicate_raises_no_database_error(app, widget, campaign):
    """A failed insert would be logged by PostgreSQL with the signer's address in it."""
    from sqlalchemy import event

    errors = []
    with app.app_context():
        event.listen(db.engine, "handle_error", lambda context: errors.append(context.original_exception))
    widget.sign(campaign, email="ali@example.org")
    widget.sign(campaign, email="ALI@example.org")
    assert errors == [] and len(rows(app)) == 1


def test_one_email_may_sign_different_campaigns(app, widget, campaign):
    from .builders import make_campaign

    with app.app_context():
        other = make_campaign().slug
    assert widget.sign(campaign, email="ali@example.org").status_code == 202
    assert widget.sign(other, email="ali@example.org").status_code == 202
    assert widget.count(campaign) == 1 and widget.count(other) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name", "email", "country"}),
        (signature(name=""), {"name"}),
        (signature(name=7), {"name"}),
        (signature(name=None), {"name"}),
        (signature(name=["Ali"]), {"name"}),
        (signature(name="x" * 101), {"name"}),
        (signature(email="not-an-email"), {"email"}),
        (signature(email={"a": 1}), {"email"}),
        (signature(country="XX"), {"country"}),
        (signature(country="Pakistan"), {"country"}),
        (signature(region="r" * 101), {"region"}),
        (signature(comment="c" * 1001), {"comment"}),
        (signature(opt_in="maybe"), {"opt_in"}),
        (signature(lang="fr"), {"lang"}),
        (signature(ref=["ally"]), {"ref"}),
    ],
)
def test_invalid_fields_get_422_with_a_message_per_field(app, client, campaign, body, fields):
    response = client.post(f"/api/v1/campaigns/{campaign}/signatures", json=body)
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["error"] == "invalid_fields" and payload["message"]
    assert set(payload["errors"]) == fields
    assert rows(app) == []


def test_errors_speak_the_readers_language(client, campaign):
    response = client.post(f"/api/v1/campaigns/{campaign}/signatures?lang=ur", json={})
    assert response.get_json()["errors"]["name"] == "اپنا پورا نام درج کریں۔"
    response = client.post(f"/api/v1/campaigns/{campaign}/signatures", json={}, headers={"Accept-Language": "ur-PK,ur;q=0.9"})
    assert response.get_json()["errors"]["email"] == "اپنا ای میل پتا درج کریں۔"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "malformed_request"),
        ("", "application/json", 400, "malformed_request"),
        ("[1, 2]", "application/json", 400, "malformed_request"),
        ('"a string"', "application/json", 400, "malformed_request"),
        ("null", "application/json", 400, "malformed_request"),
        (b"\xff\xfe\x00garbage", "application/json", 400, "malformed_request"),
        ("name=Ali&email=a@example.org", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("<xml/>", "text/xml", 415, "unsupported_media_type"),
        ('{"name": "Ali"}', None, 415, "unsupported_media_type"),
    ],
)
def test_malformed_bodies_are_refused(app, client, campaign, data, content_type, status, code):
    response = client.post(f"/api/v1/campaigns/{campaign}/signatures", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert rows(app) == []


def test_a_huge_body_gets_413(app, client, campaign):
    body = json.dumps(signature(comment="x" * 20_000))
    response = client.post(f"/api/v1/campaigns/{campaign}/signatures", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"
    assert rows(app) == []


def test_deeply_nested_json_is_refused_cleanly(app, client, campaign):
    body = "[" * 5000 + "]" * 5000
    response = client.post(f"/api/v1/campaigns/{campaign}/signatures", data=body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("slug", ["no-such-campaign", "UPPER", "x" * 200, "..", "a%00b"])
def test_unknown_campaign_gets_404(client, slug):
    response = client.post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    assert response.status_code == 404
    assert response.get_json()["error"] == "campaign_not_found"
    assert client.get(f"/api/v1/campaigns/{slug}/count").status_code == 404


def test_closed_campaign_gets_409(app, widget, campaign):
    with app.app_context():
        close_campaign(find_campaign(campaign))
    response = widget.sign(campaign)
    assert response.status_code == 409
    assert response.get_json()["error"] == "campaign_closed"
    assert rows(app) == []


def test_wrong_method_is_405_not_500(client, campaign):
    response = client.put(f"/api/v1/campaigns/{campaign}/signatures", json=signature())
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"


def test_nothing_is_stored_when_the_count_cannot_be_written(app, widget, campaign):
    """The signature and its count commit together: if one fails, neither is kept."""
    from widget_service.models import CounterShard

    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production would
    with app.app_context():
        CounterShard.__table__.drop(db.engine)
    response = widget.sign(campaign)
    assert response.status_code >= 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signature)) == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("opt_in", [False, True])
def test_a_signature_is_one_round_trip_to_postgresql_unless_a_subscription_commits_with_it(
        app, widget, campaign, tmp_path, opt_in):
    """What the service and PostgreSQL say to each other, traced by libpq: without an opt-in, the
    signature and its count are one statement in one round trip (no BEGIN, no COMMIT); with one,
    the subscription and the mail asking to confirm it (one statement into the outbox) join the
    signature's transaction."""
    assert widget.sign(campaign, email="warm-up@example.org").status_code == 202  # the campaign is cached
    trace = (tmp_path / "libpq-trace").open("w")

    def start(dbapi_connection, record, proxy):
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def stop(dbapi_connection, record):
        dbapi_connection.pgconn.untrace()

    with app.app_context():
        sqlalchemy.event.listen(db.engine, "checkout", start)
        sqlalchemy.event.listen(db.engine, "checkin", stop)
    try:
        assert widget.sign(campaign, email="traced@example.org", opt_in=opt_in).status_code == 202
    finally:
        with app.app_context():
            sqlalchemy.event.remove(db.engine, "checkout", start)
            sqlalchemy.event.remove(db.engine, "checkin", stop)
        trace.close()
    said = (tmp_path / "libpq-trace").read_text()
    round_trips = said.count("\tReadyForQuery\t")  # the server's "done, your turn", once per exchange
    transaction_commands = re.findall(r'^F\t\d+\tQuery\t "(BEGIN|COMMIT)"', said, re.MULTILINE)
    if opt_in:
        assert round_trips == 5 and transaction_commands == ["BEGIN", "COMMIT"], said
        assert "INSERT INTO outbox_mail" in said
    else:
        assert round_trips == 1 and transaction_commands == [], said
    assert [row["email"] for row in rows(app)] == ["warm-up@example.org", "traced@example.org"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_healthy_pooled_connections_are_reused(app, widget, campaign):
    """The check on connections leaving the pool keeps the healthy ones: signing one after
    another opens no new connection."""
    opened = []
    with app.app_context():
        sqlalchemy.event.listen(db.engine, "connect", lambda *args: opened.append(args))
    assert [widget.sign(campaign).status_code for _ in range(5)] == [202] * 5
    assert opened == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server to close them
def test_a_pooled_connection_the_server_closed_is_replaced_before_use(make_app, database_url):
    """The server ends the pool's idle connections (``pg_terminate_backend``, as in a restart or a
    failover): the next signature gets fresh ones and succeeds, instead of failing with a 503
    on a dead connection. The pool checks each connection's socket as it hands it out."""
    url, options = database_url
    name = f"pool-{uuid.uuid4().hex[:12]}"
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={
        **options, "connect_args": {**options["connect_args"], "application_name": name},
    })
    with app.app_context():
        slug = make_campaign().slug

    def sign(email):
        return Widget(app.test_client()).sign(slug, email=email).status_code

    with ThreadPoolExecutor(4) as pool:  # several connections in the pool
        assert set(pool.map(sign, [f"pool{n}@example.org" for n in range(8)])) == {202}
    admin = sqlalchemy.create_engine(url)
    try:
        with admin.connect() as connection:
            query = "SELECT pid FROM pg_stat_activity WHERE application_name = :name"
            assert connection.execute(sqlalchemy.text(query), {"name": name}).all(), "the pool holds connections"
            connection.execute(sqlalchemy.text(f"SELECT pg_terminate_backend(pid) FROM ({query}) AS pooled"), {"name": name})
            deadline = time.monotonic() + 10
            while connection.execute(sqlalchemy.text(query), {"name": name}).all() and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        admin.dispose()
    assert [sign(f"after{n}@example.org") for n in range(5)] == [202] * 5
    assert Widget(app.test_client()).count(slug) == len(rows(app)) == 13
