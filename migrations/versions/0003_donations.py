"""Donations recorded from Stripe's webhook, and the raised totals per campaign and currency.

Revision ID: 0003_donations
Revises: 0002_actions
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_donations'
down_revision = '0002_actions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('donation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('interval', sa.String(length=8), nullable=False),
    sa.Column('stripe_event_id', sa.String(length=255), nullable=False),
    sa.Column('stripe_object_id', sa.String(length=255), nullable=False),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("interval IN ('once', 'month')", name=op.f('ck_donation_interval')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_donation_amount')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_donation_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donation')),
    sa.UniqueConstraint('stripe_event_id', name=op.f('uq_donation_stripe_event_id')),
    sa.UniqueConstraint('stripe_object_id', name=op.f('uq_donation_stripe_object_id'))
    )
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.create_index('ix_donation_campaign_currency', ['campaign_id', 'currency'], unique=False)

    op.create_table('donation_total',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('donations', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_donation_total_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'currency', name=op.f('pk_donation_total'))
    )


def downgrade():
    op.drop_table('donation_total')
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_index('ix_donation_campaign_currency')

    op.drop_table('donation')
