"""Offers to coordinate wait for their mailbox's confirmation (state 'pending'), and only
received offers are unique per mailbox and campaign, so an unconfirmed one never shadows a
genuine one.

Revision ID: 0013_coordinator_confirmation
Revises: 0012_console_moderation
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_coordinator_confirmation'
down_revision = '0012_console_moderation'
branch_labels = None
depends_on = None


def _recreate(states, unique_where):
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.drop_index('uq_coordinator_campaign_email')
        batch_op.drop_constraint(op.f('ck_coordinator_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_coordinator_state'), f"state IN ({states})")
        batch_op.create_index(
            'uq_coordinator_campaign_email', ['campaign_id', 'email_canonical'], unique=True,
            sqlite_where=sa.text(unique_where), postgresql_where=sa.text(unique_where),
        )


def upgrade():
    _recreate("'received', 'pending', 'suspect'", "state = 'received'")


def downgrade():
    op.execute("DELETE FROM coordinator WHERE state = 'pending'")
    _recreate("'received', 'suspect'", "state <> 'suspect'")
