"""deadlines: fulfilled grant obligations and the log of emitted deadline notices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('obligations_fulfilled', sa.JSON(), nullable=False, server_default='{}'))
    op.create_table(
        'deadline_notices',
        sa.Column('measure_id', sa.String(length=16), nullable=False),
        sa.Column('notice_key', sa.String(length=120), nullable=False),
        sa.Column('notice_type', sa.String(length=40), nullable=False),
        sa.Column('emitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_deadline_notices_measure_id_measures')),
        sa.PrimaryKeyConstraint('measure_id', 'notice_key', name=op.f('pk_deadline_notices')),
    )
    with op.batch_alter_table('deadline_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_notices_notice_type'), ['notice_type'], unique=False)


def downgrade():
    op.drop_table('deadline_notices')
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_column('obligations_fulfilled')
