"""Sessions: none at all outside ``/console``; server-side ones under it.

The public routes (widgets, API, campaign page, embed.js) never read or set a cookie. Under
``/console`` the cookie carries only a random id; the session's data lives in the
``console_session`` table under the id's SHA-256 digest, so signing out, ``flask staff
disable`` and ``flask staff reset`` end a session for good, whatever copy of the cookie exists.
"""
import hashlib
import logging
import secrets
from datetime import timedelta

from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from ..extensions import db
from ..models import utcnow
from .models import ConsoleSession

log = logging.getLogger(__name__)

COOKIE_NAME = "msp_console"
PREFIX = "/console"
# How often an active session's last-seen time is written: not on every request, and often
# enough that the idle limit is exact to a quarter of itself.
TOUCH_EVERY = timedelta(seconds=60)


def is_console_path(path):
    return path == PREFIX or path.startswith(PREFIX + "/")


def digest(session_id):
    return hashlib.sha256(session_id.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """The session's data; ``sid`` is the cookie's id (None until first saved)."""

    def __init__(self, initial=None, sid=None, row_seen=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.row_seen = row_seen
        self.modified = False
        self.ended = False  # set by ``end``: delete the row and the cookie

    def end(self):
        """Forget this session server-side (sign-out), now: a database error raises here, in
        the view (a 503), rather than leave a session alive behind a page saying it ended."""
        self._forget_row()
        self.clear()

    def rotate(self):
        """Give the session a new id (at sign-in), so an id known before it is worth nothing,
        and a new CSRF token (Flask-WTF's, kept under ``csrf_token``) for the same reason."""
        self._forget_row()
        self.pop("csrf_token", None)
        self.modified = True

    def _forget_row(self):
        if self.sid:
            table = ConsoleSession.__table__
            with db.engine.begin() as connection:
                connection.execute(delete(table).where(table.c.id_hash == digest(self.sid)))
        self.ended = True


class ConsoleSessions(SessionInterface):
    """The app's session interface: a null session outside /console, a server-side one in it."""

    def open_session(self, app, request):
        if not is_console_path(request.path):
            return self.make_null_session(app)
        sid = request.cookies.get(COOKIE_NAME)
        if sid and len(sid) < 100:
            try:
                # Its own connection, outside the request's transaction (as are the writes below).
                with db.engine.connect() as connection:
                    row = connection.execute(
                        select(ConsoleSession.data, ConsoleSession.created_at, ConsoleSession.last_seen_at)
                        .where(ConsoleSession.id_hash == digest(sid))
                    ).first()
            except SQLAlchemyError as error:  # the database is down: the view will answer 503
                log.warning("console session not read: %s", error.__class__.__name__)
                row = None
            if row is not None and not expired(app, row):
                return ServerSession(dict(row.data or {}), sid=sid, row_seen=row.last_seen_at)
        return ServerSession()

    def save_session(self, app, session, response):
        if not isinstance(session, ServerSession):
            return  # a public route: no cookie, ever
        try:
            self._save(app, session, response)
        except SQLAlchemyError as error:  # the answer stands; a session not stored sets no cookie
            log.warning("console session not saved: %s", error.__class__.__name__)

    def _save(self, app, session, response):
        now = utcnow()
        secure = app.config["WIDGET_ENV"] != "development"
        table = ConsoleSession.__table__
        if session.ended and session.sid:  # its row went in ``end`` or ``rotate``
            session.sid = None
            if not session:
                response.delete_cookie(COOKIE_NAME, path=PREFIX, secure=secure, httponly=True, samesite="Strict")
                return
        if session.sid is None:
            if not session:
                return  # nothing worth keeping: no row, no cookie
            session.sid = secrets.token_urlsafe(32)
            with db.engine.begin() as connection:
                purge_expired(app, connection, now)
                connection.execute(
                    insert(table).values(
                        id_hash=digest(session.sid), staff_id=_staff_id(session), data=dict(session),
                        created_at=now, last_seen_at=now,
                    )
                )
            response.set_cookie(
                COOKIE_NAME, session.sid, path=PREFIX, secure=secure, httponly=True, samesite="Strict"
            )
            return
        values = {}
        if session.modified:
            values.update(data=dict(session), staff_id=_staff_id(session))
        if session.modified or session.row_seen is None or now - session.row_seen >= min(TOUCH_EVERY, idle_limit(app) / 4):
            values["last_seen_at"] = now
        if values:
            with db.engine.begin() as connection:
                connection.execute(update(table).where(table.c.id_hash == digest(session.sid)).values(**values))


def _staff_id(session):
    value = session.get("_user_id")
    return int(value) if value is not None else None


def idle_limit(app):
    return timedelta(seconds=app.config["CONSOLE_IDLE_SECONDS"])


def total_limit(app):
    return timedelta(seconds=app.config["CONSOLE_MAX_SECONDS"])


def expired(app, row, now=None):
    now = now or utcnow()
    return now - row.last_seen_at > idle_limit(app) or now - row.created_at > total_limit(app)


def purge_expired(app, connection, now):
    """Delete sessions past either limit (run as new sessions start, so the table stays small)."""
    connection.execute(
        delete(ConsoleSession).where(
            or_(ConsoleSession.last_seen_at < now - idle_limit(app), ConsoleSession.created_at < now - total_limit(app))
        )
    )


def end_sessions_of(staff_id):
    """End every session of one staff member (disable, reset)."""
    db.session.execute(delete(ConsoleSession).where(ConsoleSession.staff_id == staff_id))
