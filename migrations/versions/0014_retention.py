"""Campaigns remember when they were closed and when their personal data was last erased
(the retention period runs from the closing).

Campaigns closed before this revision are taken as closed now (or at their closing time, if
that passed): the service never knew when they closed, and starting their period now keeps
every promise made to their supporters.

Revision ID: 0014_retention
Revises: 0013_coordinator_confirmation
Create Date: 2026-12-03
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_retention'
down_revision = '0013_coordinator_confirmation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.get_bind().execute(sa.text(
        "UPDATE campaign SET closed_at = CASE WHEN closes_at IS NOT NULL AND closes_at < :now THEN closes_at ELSE :now END "
        "WHERE status = 'closed'"
    ), {"now": now})


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
        batch_op.drop_column('closed_at')
