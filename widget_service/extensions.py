"""Flask extensions, created unbound and bound in ``create_app``."""
import select

from flask_babel import Babel
from flask_cors import CORS
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.dialects import postgresql, sqlite

# Named constraints, so Alembic's batch mode (SQLite) can alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)
babel = Babel()
cors = CORS()


def insert(target):
    """An ``INSERT`` of the session's database that takes ``ON CONFLICT`` (PostgreSQL or SQLite)."""
    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(target)


_built = {}


def prepared(name, build):
    """The statement ``build(insert)`` makes, built once per database dialect and kept under
    ``name``: run with parameters, SQLAlchemy then compiles it once, not on every request."""
    dialect = db.session.get_bind().dialect.name
    if (name, dialect) not in _built:
        _built[name, dialect] = build(postgresql.insert if dialect == "postgresql" else sqlite.insert)
    return _built[name, dialect]


def insert_unless_present(model, values):
    """Insert a ``model`` row unless its mailbox has one in the campaign already (among the rows
    ``model.ONE_PER_MAILBOX`` names); the new row's id when it was inserted, else None.

    ``ON CONFLICT DO NOTHING`` against the partial unique index on ``(campaign_id,
    email_canonical)`` rather than catching the error: the database is still the backstop for
    concurrent double submits, but PostgreSQL does not log a failed insert, whose message would
    name the person's address.
    """
    def build(insert):
        table = model.__table__
        return (
            insert(table)
            .on_conflict_do_nothing(
                index_elements=[table.c.campaign_id, table.c.email_canonical],
                index_where=text(model.ONE_PER_MAILBOX),
            )
            .returning(table.c.id)
        )

    return db.session.execute(prepared(f"insert-unless-present:{model.__tablename__}", build), values).scalar()


def drop_connections_closed_while_idle(engine):
    """Check each PostgreSQL connection as it leaves the pool, without a round trip.

    A connection that the server closed while it sat in the pool (``pg_terminate_backend``, a
    restart, a failover) has something to read although nothing was asked: the server's
    goodbye, or the end of the stream. The check polls the socket, and raising
    ``DisconnectionError`` makes the pool open a fresh connection instead (SQLAlchemy's
    documented custom pessimistic check). It replaces ``pool_pre_ping``, which sent a
    ``SELECT 1`` before every request's first statement. A connection whose server vanished
    without a word has nothing to read until its TCP keepalives (``config.engine_options``)
    give up; used before that, it fails: that request gets a 503, and SQLAlchemy renews the
    pool. (An idle connection would also have something to read after a ``NOTIFY``, and be
    replaced for nothing; the service never ``LISTEN``s.)
    """

    @event.listens_for(engine, "checkout")
    def drop_if_closed(dbapi_connection, record, proxy):
        if dbapi_connection.closed:
            raise DisconnectionError("the connection was closed")
        poller = select.poll()
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
        if poller.poll(0):
            raise DisconnectionError("the server closed the connection while it was idle")
