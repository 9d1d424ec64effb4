"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from widget_service.extensions import db


def test_upgrade_on_an_empty_database_matches_the_models(make_app):
    app = make_app(create_schema=False)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_subscriptions_made_before_0016_take_their_signature_s_ref(make_app):
    """0016 gives each subscription the ref it came with: one made with a petition signature
    before it takes that signature's (its counted one, not a suspect's); a notify-me one has none."""
    app = make_app(create_schema=False)
    with app.app_context():
        upgrade(revision="0015_alerts")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO campaign (id, slug, goal, default_lang, status, settings, created_at) "
                "VALUES (1, 'c', 0, 'en', 'open', '{}', '2026-01-01 00:00:00')"
            ))
            for id_, ref, state in ((1, "quetta-net~whatsapp", "counted"), (2, "bot", "suspect")):
                connection.execute(text(
                    "INSERT INTO signature (id, campaign_id, name, email, email_canonical, country, lang, ref, opt_in, "
                    "state, created_at) VALUES (:id, 1, 'A', 'a@x.example', 'a@x.example', 'PK', 'en', :ref, true, :state, "
                    "'2026-01-01 00:00:00')"
                ), {"id": id_, "ref": ref, "state": state})
            for id_, email, source in ((1, "a@x.example", "petition"), (2, "b@x.example", "notify")):
                connection.execute(text(
                    "INSERT INTO subscription (id, campaign_id, email, email_canonical, lang, source, created_at, "
                    "subscribed_at) VALUES (:id, 1, :email, :email, 'en', :source, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ), {"id": id_, "email": email, "source": source})
        upgrade()
        with db.engine.connect() as connection:
            refs = dict(connection.execute(text("SELECT email, ref FROM subscription")).all())
        assert refs == {"a@x.example": "quetta-net~whatsapp", "b@x.example": None}
        downgrade(revision="base")
