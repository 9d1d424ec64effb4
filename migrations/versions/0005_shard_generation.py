"""The counter shards' generation, raised by every recount that changes them.

Revision ID: 0005_shard_generation
Revises: 0004_supporters
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_shard_generation'
down_revision = '0004_supporters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('counter_shard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('counter_shard', schema=None) as batch_op:
        batch_op.drop_column('generation')
