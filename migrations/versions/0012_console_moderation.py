"""The console's moderation: which held-back signatures a moderator took off the count (so that
in a campaign asking for confirmation by mail, only those are restored, never one a bot trap
caught). Signatures held back before this revision were all caught by traps.

Revision ID: 0012_console_moderation
Revises: 0011_allies
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_console_moderation'
down_revision = '0011_allies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_signature',
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_held_signature_signature_id_signature'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_held_signature'))
    )


def downgrade():
    op.drop_table('held_signature')
