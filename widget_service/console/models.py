"""The console's tables: staff accounts, their recovery codes, server-side sessions, the audit log.

Other parts of the console add their own tables here or in a module of their own that
``console/__init__.py`` imports, so ``db.metadata`` knows them.
"""
from sqlalchemy import DDL, CheckConstraint, Index, UniqueConstraint, event

from ..extensions import db
from ..models import utcnow


class Staff(db.Model):
    """An MSP staff member. ``pending`` until set up through the link ``flask staff create``
    printed (a password and an authenticator), then ``active`` until disabled."""

    VIEWER = "viewer"  # aggregates only
    ADMIN = "admin"  # personal data, campaigns, moderation, exports, the audit log
    ROLES = (VIEWER, ADMIN)
    PENDING = "pending"
    ACTIVE = "active"
    DISABLED = "disabled"
    STATES = (PENDING, ACTIVE, DISABLED)

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    role = db.Column(db.String(16), nullable=False)
    state = db.Column(db.String(16), nullable=False, default=PENDING)
    password_hash = db.Column(db.String(200), nullable=True)
    # The TOTP secret, encrypted (Fernet, key derived from the secret key): a copy of the
    # database alone does not give anybody the second factor.
    totp_secret = db.Column(db.Text, nullable=True)
    # The last time step whose code was accepted: a code is good once.
    totp_last_step = db.Column(db.BigInteger, nullable=False, default=0)
    # The set-up link's token, as a SHA-256 digest: single use, expires.
    setup_token_hash = db.Column(db.String(64), nullable=True, unique=True)
    setup_expires_at = db.Column(db.DateTime, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_sign_in_at = db.Column(db.DateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'admin')", name="role"),
        CheckConstraint("state IN ('pending', 'active', 'disabled')", name="state"),
    )

    @property
    def is_admin(self):
        return self.role == self.ADMIN

    # Flask-Login's user interface.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self):
        return self.state == self.ACTIVE

    def get_id(self):
        return str(self.id)


class RecoveryCode(db.Model):
    """One of a staff member's one-time recovery codes, as a keyed hash; used once."""

    id = db.Column(db.Integer, primary_key=True)
    staff_id = db.Column(db.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False)
    code_hash = db.Column(db.String(64), nullable=False)
    used_at = db.Column(db.DateTime, nullable=True)

    __table_args__ = (UniqueConstraint("staff_id", "code_hash", name="uq_recovery_code_staff_code"),)


class ConsoleSession(db.Model):
    """A console session. The cookie holds a random id; the row holds its SHA-256 digest, so
    ending the row (sign-out, ``staff disable``, ``staff reset``, expiry) makes the cookie
    worthless, and a copy of this table gives no usable cookie."""

    id_hash = db.Column(db.String(64), primary_key=True)
    staff_id = db.Column(db.ForeignKey("staff.id", ondelete="CASCADE"), nullable=True)
    data = db.Column(db.JSON, nullable=False, default=dict)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_console_session_staff_id", "staff_id"),
        Index("ix_console_session_last_seen_at", "last_seen_at"),
    )


class AuditEntry(db.Model):
    """One line of the audit log: who did what, when. Append-only: no code path updates or
    deletes a row, and a trigger on the table refuses it (SQLite and PostgreSQL)."""

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # The staff member's email, "cli:<user>", or "system".
    actor = db.Column(db.String(254), nullable=False)
    action = db.Column(db.String(64), nullable=False)
    target = db.Column(db.String(300), nullable=False, default="")
    details = db.Column(db.JSON, nullable=True)
    # A keyed hash of the client's network, never the address itself.
    ip_hash = db.Column(db.String(32), nullable=True)

    __table_args__ = (Index("ix_audit_entry_at", "at"),)


APPEND_ONLY_MESSAGE = "the audit log is append-only"

# The same statements run in migrations/versions/0007_console.py.
APPEND_ONLY_SQLITE = [
    f"CREATE TRIGGER audit_entry_no_{verb.lower()} BEFORE {verb} ON audit_entry "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$",
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
]
for _statement in APPEND_ONLY_SQLITE:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in APPEND_ONLY_POSTGRESQL:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
