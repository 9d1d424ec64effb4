"""Donations keep the partner's ref their checkout was started with (Stripe hands it back in the
session's or subscription's metadata, ``msp_ref``), so a gift is credited as a signature is.
Donations recorded before this revision have none: the service kept no ref for them.

Revision ID: 0017_donation_ref
Revises: 0016_subscription_ref
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_donation_ref'
down_revision = '0016_subscription_ref'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_column('ref')
