"""Create the schema: campaigns and their texts, signatures, the sharded counter.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('goal', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=True),
    sa.Column('default_lang', sa.String(length=8), nullable=False),
    sa.Column('report_url', sa.String(length=500), nullable=True),
    sa.Column('kit_url', sa.String(length=500), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_campaign_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('slug', name=op.f('uq_campaign_slug'))
    )
    op.create_table('campaign_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('petition_text', sa.Text(), nullable=False),
    sa.Column('is_draft', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_text_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_text')),
    sa.UniqueConstraint('campaign_id', 'lang', name='uq_campaign_text_lang')
    )
    op.create_table('counter_shard',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_counter_shard_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'shard', name=op.f('pk_counter_shard'))
    )
    op.create_table('signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_canonical', sa.String(length=254), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('opt_in', sa.Boolean(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('source_origin', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('counted', 'pending', 'suspect')", name=op.f('ck_signature_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_signature_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature')),
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index('ix_signature_campaign_created', ['campaign_id', 'created_at'], unique=False)
        batch_op.create_index('ix_signature_campaign_state', ['campaign_id', 'state'], unique=False)
        # One canonical email per campaign, suspect rows aside (see models.Signature).
        batch_op.create_index(
            'uq_signature_campaign_email', ['campaign_id', 'email_canonical'], unique=True,
            sqlite_where=sa.text("state <> 'suspect'"), postgresql_where=sa.text("state <> 'suspect'"),
        )



def downgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index('uq_signature_campaign_email')
        batch_op.drop_index('ix_signature_campaign_state')
        batch_op.drop_index('ix_signature_campaign_created')

    op.drop_table('signature')
    op.drop_table('counter_shard')
    op.drop_table('campaign_text')
    op.drop_table('campaign')
