"""Mail: the outbox, every mail as a row written with its cause.

Revision ID: 0010_mail
Revises: 0008_console_stats
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_mail'
down_revision = '0008_console_stats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('ref_id', sa.Integer(), nullable=True),
    sa.Column('to_email', sa.String(length=254), nullable=False),
    sa.Column('to_hash', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('base_url', sa.String(length=255), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'sent', 'failed', 'cancelled')", name=op.f('ck_outbox_mail_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_outbox_mail_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mail'))
    )
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_mail_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_mail_kind_ref', ['kind', 'ref_id'], unique=False)
        batch_op.create_index('ix_outbox_mail_to_hash_created', ['to_hash', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_mail_to_hash_created')
        batch_op.drop_index('ix_outbox_mail_kind_ref')
        batch_op.drop_index('ix_outbox_mail_due')
    op.drop_table('outbox_mail')
