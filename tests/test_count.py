"""GET /api/v1/campaigns/<slug>/count: exact, cheap, cacheable."""
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event, func, select

from widget_service.campaigns import find_campaign
from widget_service.extensions import db
from widget_service.models import Signature

from .builders import signature


def test_count_has_signatures_and_goal(widget, client, campaign):
    assert client.get(f"/api/v1/campaigns/{campaign}/count").get_json() == {"signatures": 0, "goal": 1000}
    widget.sign(campaign)
    widget.sign(campaign)
    assert client.get(f"/api/v1/campaigns/{campaign}/count").get_json() == {"signatures": 2, "goal": 1000}


def test_count_is_cacheable_with_an_etag(client, widget, campaign):
    first = client.get(f"/api/v1/campaigns/{campaign}/count")
    assert "public" in first.headers["Cache-Control"] and "max-age=3" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/campaigns/{campaign}/count", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    widget.sign(campaign)
    changed = client.get(f"/api/v1/campaigns/{campaign}/count", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["signatures"] == 1


def test_count_is_open_to_other_origins_for_reading(client, campaign):
    response = client.get(f"/api/v1/campaigns/{campaign}/count", headers={"Origin": "https://ally.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Signing follows the campaign's embed policy (tests/allies/test_api_cors.py): an open
    # campaign answers the asking origin, never "*".
    signing = client.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature(), headers={"Origin": "https://ally.example.org"})
    assert signing.headers["Access-Control-Allow-Origin"] == "https://ally.example.org"


def test_only_counted_signatures_count(app, widget, campaign):
    widget.sign(campaign)
    with app.app_context():
        campaign_id = find_campaign(campaign).id
        db.session.add(Signature(campaign_id=campaign_id, name="Bot", email="b@example.org", email_canonical="b@example.org",
                                 country="PK", lang="en", state=Signature.SUSPECT))
        db.session.add(Signature(campaign_id=campaign_id, name="Later", email="l@example.org", email_canonical="l@example.org",
                                 country="PK", lang="en", state=Signature.PENDING))
        db.session.commit()
    assert widget.count(campaign) == 1


def recorded_statements(app):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    return statements


def test_reading_the_count_never_counts_rows_and_hot_reads_skip_the_database(app, client, widget, campaign):
    widget.sign(campaign)
    statements = recorded_statements(app)
    assert client.get(f"/api/v1/campaigns/{campaign}/count").get_json()["signatures"] == 1
    assert statements, "the first read goes to the database"
    assert not any("count(" in s for s in statements), statements
    statements.clear()
    for _ in range(20):
        assert client.get(f"/api/v1/campaigns/{campaign}/count").status_code == 200
    assert statements == []


def test_concurrent_signing_keeps_count_equal_to_rows(app, campaign):
    """Many threads sign at once, some of them twice with the same mailbox."""
    threads, per_thread = 8, 15
    outcomes = []
    lock = threading.Lock()

    def sign_many(worker):
        client = app.test_client()
        for i in range(per_thread):
            # Every third signature re-uses a mailbox another worker also uses.
            email = f"shared{i}@example.org" if i % 3 == 0 else f"w{worker}-{i}@example.org"
            response = client.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature(email=email))
            with lock:
                outcomes.append(response.status_code)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(sign_many, range(threads)))

    assert outcomes.count(202) == threads * per_thread, set(outcomes)
    expected_rows = threads * (per_thread - per_thread // 3) + per_thread // 3
    with app.app_context():
        campaign_id = find_campaign(campaign).id
        stored = db.session.scalar(select(func.count()).select_from(Signature).where(Signature.campaign_id == campaign_id))
    assert stored == expected_rows
    assert app.test_client().get(f"/api/v1/campaigns/{campaign}/count").get_json()["signatures"] == expected_rows


def test_reconcile_repairs_a_count_after_rows_are_changed_by_hand(app, runner, widget, campaign):
    for _ in range(3):
        widget.sign(campaign)
    with app.app_context():
        db.session.delete(db.session.scalars(select(Signature)).first())  # deleted at its signer's request
        db.session.commit()
    assert widget.count(campaign) == 3
    result = runner.invoke(args=["counts", "reconcile", campaign])
    assert result.exit_code == 0 and f"{campaign}: 3 -> 2 (repaired a drift of -1)" in result.output
    assert widget.count(campaign) == 2
    assert f"{campaign}: 2 -> 2" in runner.invoke(args=["counts", "reconcile"]).output


def test_reconcile_while_people_sign_loses_and_doubles_nothing(app, campaign):
    from widget_service.counting import reconcile

    stop = threading.Event()
    answers = []

    def sign_until_stopped(worker):
        client, n = app.test_client(), 0
        while not stop.is_set() and n < 60:
            n += 1
            answers.append(client.post(f"/api/v1/campaigns/{campaign}/signatures",
                                       json=signature(email=f"r{worker}-{n}@example.org")).status_code)

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(sign_until_stopped, w) for w in range(4)]
        with app.app_context():
            campaign_id = find_campaign(campaign).id
            for _ in range(5):
                reconcile(campaign_id)
        stop.set()
        for future in running:
            future.result()
    assert set(answers) == {202}
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Signature))
        assert rows == len(answers)
        from widget_service.counting import count_from_sql
        assert count_from_sql(campaign_id) == rows
