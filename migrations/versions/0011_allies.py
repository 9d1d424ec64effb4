"""Allies: partners, the origins they embed from, their statistics link's hash.

Existing signatures, offers and their free-text refs need no change: they are credited to a
partner by key when read (the ref, or its part before ``~``), so the refs recorded before this
revision are matched as they are, and a ref no partner holds stays as it came.

Revision ID: 0011_allies
Revises: 0010_mail
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_allies'
down_revision = '0010_mail'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stats_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'disabled')", name=op.f('ck_partner_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('key', name=op.f('uq_partner_key')),
    sa.UniqueConstraint('stats_token_hash', name=op.f('uq_partner_stats_token_hash'))
    )
    op.create_table('partner_origin',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_partner_origin_partner_id_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'origin', name=op.f('pk_partner_origin'))
    )


def downgrade():
    op.drop_table('partner_origin')
    op.drop_table('partner')
