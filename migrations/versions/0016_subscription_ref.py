"""Subscriptions keep the partner's ref they came with (the notify-me form's too), so partners'
statistics credit every subscription, not only those made with a petition signature.

Subscriptions made with a signature before this revision take that signature's ref.

Revision ID: 0016_subscription_ref
Revises: 0015_alerts
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_subscription_ref'
down_revision = '0015_alerts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.String(length=64), nullable=True))
    op.get_bind().execute(sa.text(
        "UPDATE subscription SET ref = (SELECT signature.ref FROM signature "
        "WHERE signature.campaign_id = subscription.campaign_id "
        "AND signature.email_canonical = subscription.email_canonical "
        "AND signature.state <> 'suspect') "  # one such row per mailbox (uq_signature_campaign_email)
        "WHERE source = 'petition'"
    ))


def downgrade():
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_column('ref')
