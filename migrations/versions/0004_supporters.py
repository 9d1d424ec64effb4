"""Supporters beyond signatures: coordinators and subscriptions to more actions.

Revision ID: 0004_supporters
Revises: 0003_donations
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_supporters'
down_revision = '0003_donations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coordinator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_canonical', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('source_origin', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('received', 'suspect')", name=op.f('ck_coordinator_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_coordinator_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coordinator')),
    )
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        # One offer per mailbox and campaign, suspect rows aside (see models.Coordinator).
        batch_op.create_index(
            'uq_coordinator_campaign_email', ['campaign_id', 'email_canonical'], unique=True,
            sqlite_where=sa.text("state <> 'suspect'"), postgresql_where=sa.text("state <> 'suspect'"),
        )
    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_canonical', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('subscribed_at', sa.DateTime(), nullable=False),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("source IN ('petition', 'notify')", name=op.f('ck_subscription_source')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_subscription_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription')),
    sa.UniqueConstraint('campaign_id', 'email_canonical', name='uq_subscription_campaign_email')
    )


def downgrade():
    op.drop_table('subscription')
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.drop_index('uq_coordinator_campaign_email')
    op.drop_table('coordinator')
