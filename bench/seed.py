"""A campaign with many signatures on PostgreSQL, seeded in bulk, for the console's benchmarks.

    .venv/bin/python bench/seed.py [--signatures 1000000] [--keep]

or, from another benchmark:

    from bench.seed import seeded_schema
    with seeded_schema(signatures=1_000_000) as seeded:
        seeded.database_url   # the PostgreSQL URL, its search_path set to the seeded schema
        seeded.slug, seeded.campaign_id, seeded.counts   # counts: {state: signatures}

Everything lives in a schema of its own (``bench_console_...``), dropped on leaving the block
(``--keep`` leaves it and prints its URL). The signatures are made by one ``INSERT ... SELECT``
over ``generate_series``, spread over ``--days`` (90) days before now, with a steady daily rise,
``--partners`` (50) partner keys and their sites (the first ones bring most; one in ten has none),
``--countries`` (60) countries (Pakistan first and most), English and Urdu (one in three), and
one in a hundred held back as suspect; a few coordinators, subscriptions and donations besides.
The counter shards are then recounted (``counting.reconcile``), so the public count is right.
PostgreSQL URL: ``WIDGET_TEST_POSTGRES_URL``, as the tests.
"""
import argparse
import os
import secrets
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTGRES_URL = os.environ.get("WIDGET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SLUG = "bench-million"
# Pakistan first: the skewed pick below makes the first codes the most frequent.
COUNTRIES = (
    "PK GB US CA AE SA DE AU NO SE NL FR IT ES QA KW OM BH IN BD MY SG JP KR CN TR IR AF NZ IE "
    "BE DK FI CH AT PT GR PL CZ HU RO ZA KE NG EG MA TN JO LB BR AR MX CL CO PE RU UA TH ID LK"
).split()

SIGNATURES_SQL = """
INSERT INTO signature (campaign_id, name, email, email_canonical, country, region, comment, opt_in,
                       lang, ref, source_origin, state, ip_hash, created_at)
SELECT :campaign_id, 'Bench Signer ' || g, 'signer' || g || '@example.org', 'signer' || g || '@example.org',
       (CAST(:countries AS text[]))[1 + floor(:country_count * power(random(), 3))::int],
       NULL, CASE WHEN g % 20 = 0 THEN 'A comment from signer ' || g END, false,
       CASE WHEN g % 3 = 0 THEN 'ur' ELSE 'en' END,
       partner, 'https://' || partner || '.example',
       CASE WHEN g % 100 = 0 THEN 'suspect' ELSE 'counted' END,
       md5('ip-' || (g % 40000)),
       -- later days get more signatures (sqrt), and none are in the future
       CAST(:now AS timestamp) - make_interval(secs => :seconds * (1 - sqrt(random())))
FROM (
    SELECT g, CASE WHEN random() < 0.1 THEN NULL  -- one in ten came without a partner
                   ELSE 'partner-' || lpad((1 + floor(:partner_count * power(random(), 2)))::int::text, 2, '0')
              END AS partner
    FROM generate_series(1, :signatures) AS g
) AS seeds
"""


def _others(connection, campaign_id, now):
    """Coordinators, subscriptions and donations: far fewer than signatures, as in life."""
    connection.execute(sqlalchemy.text("""
        INSERT INTO coordinator (campaign_id, name, email, email_canonical, phone, region, country, lang, state, created_at)
        SELECT :c, 'Coordinator ' || g, 'coord' || g || '@example.org', 'coord' || g || '@example.org',
               '+92300' || lpad(g::text, 7, '0'),
               (ARRAY['PK-BA','PK-KP','PK-PB','PK-SD','PK-IS','PK-GB','PK-JK','outside'])[1 + g % 8],
               CASE WHEN g % 8 = 7 THEN 'GB' ELSE 'PK' END, 'en',
               CASE WHEN g % 50 = 0 THEN 'suspect' ELSE 'received' END, :now - make_interval(hours => g % 2000)
        FROM generate_series(1, 2000) AS g"""), {"c": campaign_id, "now": now})
    connection.execute(sqlalchemy.text("""
        INSERT INTO subscription (campaign_id, email, email_canonical, lang, source, created_at, subscribed_at,
                                  confirmed_at, unsubscribed_at)
        SELECT :c, 'signer' || g || '@example.org', 'signer' || g || '@example.org', 'en', 'petition', :now, :now,
               CASE WHEN g % 3 <> 0 THEN :now END, CASE WHEN g % 10 = 0 THEN :now END
        FROM generate_series(1, 50000) AS g"""), {"c": campaign_id, "now": now})
    connection.execute(sqlalchemy.text("""
        INSERT INTO donation (campaign_id, amount, currency, interval, stripe_event_id, stripe_object_id, created_at)
        SELECT :c, 500 * (1 + g % 20), (ARRAY['PKR','USD','GBP'])[1 + g % 3],
               CASE WHEN g % 4 = 0 THEN 'month' ELSE 'once' END, 'evt_bench_' || g, 'cs_bench_' || g,
               :now - make_interval(hours => g % 2000)
        FROM generate_series(1, 3000) AS g"""), {"c": campaign_id, "now": now})


@contextmanager
def seeded_schema(signatures=1_000_000, days=90, partners=50, countries=60, keep=False, log=print):
    """A schema holding one campaign with ``signatures`` signatures (see the module's docstring)."""
    from widget_service import create_app
    from widget_service.campaigns import create_campaign
    from widget_service.config import engine_options
    from widget_service.counting import reconcile
    from widget_service.extensions import db
    from widget_service.models import Signature, utcnow

    schema = f"bench_console_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    database_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    app = create_app({
        "WIDGET_ENV": "testing", "SECRET_KEY": secrets.token_urlsafe(48),
        "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": "",
    })
    try:
        with app.app_context():
            db.create_all()
            now = utcnow()
            texts = {"en": {"title": "A million voices", "summary": "Bench.", "petition_text": "Bench."},
                     "ur": {"title": "دس لاکھ آوازیں", "summary": "بینچ", "petition_text": "بینچ"}}
            campaign = create_campaign(SLUG, 2_000_000, texts)
            campaign.created_at = now - timedelta(days=days)
            campaign.settings = {**(campaign.settings or {}), "captcha": False}
            db.session.commit()
            campaign_id = campaign.id
            started = time.monotonic()
            with db.engine.begin() as connection:
                connection.execute(sqlalchemy.text(SIGNATURES_SQL), {
                    "campaign_id": campaign_id, "countries": COUNTRIES[:countries], "country_count": countries,
                    "partner_count": partners, "signatures": signatures, "now": now,
                    "seconds": days * 86400,
                })
                _others(connection, campaign_id, now)
                connection.execute(sqlalchemy.text("ANALYZE signature, coordinator, subscription, donation"))
            reconcile(campaign_id)
            counts = dict(db.session.execute(
                sqlalchemy.select(Signature.state, sqlalchemy.func.count())
                .where(Signature.campaign_id == campaign_id).group_by(Signature.state)
            ).all())
            log(f"seeded {signatures:,} signatures in {time.monotonic() - started:.1f} s into schema {schema}")
        yield SimpleNamespace(database_url=database_url, schema=schema, slug=SLUG, campaign_id=campaign_id,
                              counts=counts, app=app, now=now)
    finally:
        with app.app_context():
            db.engine.dispose()
        if keep:
            log(f"kept: {database_url}")
        else:
            with admin.begin() as connection:
                connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def service_env(seeded, redis_url, **extra):
    """The ``WIDGET_*`` settings of a gunicorn serving ``seeded`` as in production, with its Redis
    keys under a prefix of its own (``redis_keys_removed`` cleans them up)."""
    return {
        # The seeding app's key: staff TOTP secrets are stored encrypted under it.
        "WIDGET_ENV": "production", "WIDGET_SECRET_KEY": seeded.app.config["SECRET_KEY"],
        "WIDGET_DATABASE_URL": seeded.database_url, "WIDGET_REDIS_URL": redis_url,
        "WIDGET_REDIS_PREFIX": f"{seeded.schema}:", "WIDGET_TRUSTED_PROXIES": "1",
        "WIDGET_PUBLIC_URL": "http://127.0.0.1", "WIDGET_LOG_LEVEL": "WARNING",
        "WIDGET_PRIVACY_CONTACT": "privacy@example.org",
        # Signatures count as they are stored, as bench/run.py measures them.
        "WIDGET_CONFIRM_SIGNATURES": "false",
        **extra,
    }


@contextmanager
def redis_keys_removed(redis_url, prefix):
    """Delete every Redis key under ``prefix`` on the way out."""
    import redis

    try:
        yield
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--countries", type=int, default=60, choices=range(1, len(COUNTRIES) + 1), metavar="1-60")
    parser.add_argument("--keep", action="store_true", help="leave the schema in place and print its URL")
    args = parser.parse_args()
    with seeded_schema(args.signatures, args.days, args.partners, args.countries, keep=args.keep) as seeded:
        print(f"{seeded.slug}: {seeded.counts}")


if __name__ == "__main__":
    main()
