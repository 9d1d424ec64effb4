"""The console dashboard's statistics: signatures rolled up per hour and state, and per day (and
in all) and partner key, embedding site, country and language; an index for coordinators by campaign.

Revision ID: 0008_console_stats
Revises: 0007_console
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_console_stats'
down_revision = '0007_console'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_rollup',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('rolled_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_stats_rollup_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_stats_rollup'))
    )
    op.create_table('stats_hour',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_stats_hour_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'hour', 'state', name=op.f('pk_stats_hour'))
    )
    op.create_table('stats_day',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_stats_day_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'dimension', 'day', 'key', name=op.f('pk_stats_day'))
    )
    op.create_table('stats_total',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_stats_total_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'dimension', 'key', name=op.f('pk_stats_total'))
    )
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.create_index('ix_coordinator_campaign_state', ['campaign_id', 'state'], unique=False)


def downgrade():
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.drop_index('ix_coordinator_campaign_state')
    op.drop_table('stats_total')
    op.drop_table('stats_day')
    op.drop_table('stats_hour')
    op.drop_table('stats_rollup')
