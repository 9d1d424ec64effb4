"""The console: staff accounts, recovery codes, server-side sessions, the append-only audit log.

Revision ID: 0007_console
Revises: 0006_subscription_confirmed
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_console'
down_revision = '0006_subscription_confirmed'
branch_labels = None
depends_on = None

# As in widget_service/console/models.py (kept here as text: a migration must not change when
# the models do).
APPEND_ONLY_MESSAGE = "the audit log is append-only"
APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER audit_entry_no_{verb.lower()} BEFORE {verb} ON audit_entry "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        for verb in ("UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$",
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
    ],
}


def upgrade():
    op.create_table(
        'staff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=True),
        sa.Column('totp_secret', sa.Text(), nullable=True),
        sa.Column('totp_last_step', sa.BigInteger(), nullable=False),
        sa.Column('setup_token_hash', sa.String(length=64), nullable=True),
        sa.Column('setup_expires_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_sign_in_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('viewer', 'admin')", name=op.f('ck_staff_role')),
        sa.CheckConstraint("state IN ('pending', 'active', 'disabled')", name=op.f('ck_staff_state')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
        sa.UniqueConstraint('email', name=op.f('uq_staff_email')),
        sa.UniqueConstraint('setup_token_hash', name=op.f('uq_staff_setup_token_hash')),
    )
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_recovery_code_staff_id_staff'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
        sa.UniqueConstraint('staff_id', 'code_hash', name='uq_recovery_code_staff_code'),
    )
    op.create_table(
        'console_session',
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_console_session_staff_id_staff'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_console_session')),
    )
    op.create_index('ix_console_session_staff_id', 'console_session', ['staff_id'], unique=False)
    op.create_index('ix_console_session_last_seen_at', 'console_session', ['last_seen_at'], unique=False)
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=254), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=300), nullable=False),
        sa.Column('details', sa.JSON(), nullable=True),
        sa.Column('ip_hash', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    )
    op.create_index('ix_audit_entry_at', 'audit_entry', ['at'], unique=False)
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    op.drop_index('ix_audit_entry_at', table_name='audit_entry')
    op.drop_table('audit_entry')  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    op.drop_index('ix_console_session_last_seen_at', table_name='console_session')
    op.drop_index('ix_console_session_staff_id', table_name='console_session')
    op.drop_table('console_session')
    op.drop_table('recovery_code')
    op.drop_table('staff')
