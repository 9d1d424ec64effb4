"""Action alerts: an alert per campaign and language pair of texts, and the subscriptions each
was queued for (unique per alert and subscription, so a resumed fan-out queues nobody twice).

Revision ID: 0015_alerts
Revises: 0014_retention
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_alerts'
down_revision = '0014_retention'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('subject_en', sa.String(length=200), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('subject_ur', sa.String(length=200), nullable=False),
    sa.Column('text_ur', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('tested_digest', sa.String(length=64), nullable=True),
    sa.Column('tested_at', sa.DateTime(), nullable=True),
    sa.Column('queued_through', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'sending', 'paused', 'sent')", name=op.f('ck_alert_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_alert_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    op.create_table('alert_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('limited', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_recipient_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_alert_recipient_subscription_id_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_recipient')),
    sa.UniqueConstraint('alert_id', 'subscription_id', name='uq_alert_recipient_alert_subscription')
    )
    with op.batch_alter_table('alert_recipient', schema=None) as batch_op:
        batch_op.create_index('ix_alert_recipient_queued_at', ['queued_at'], unique=False)


def downgrade():
    with op.batch_alter_table('alert_recipient', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_recipient_queued_at')
    op.drop_table('alert_recipient')
    op.execute("DELETE FROM outbox_mail WHERE kind IN ('alert', 'alert_test')")
    op.drop_table('alert')
