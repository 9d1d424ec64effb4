"""Subscriptions are confirmed by their mailbox's owner (double opt-in).

Revision ID: 0006_subscription_confirmed
Revises: 0005_shard_generation
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_subscription_confirmed'
down_revision = '0005_shard_generation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
