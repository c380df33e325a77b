"""report deliveries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Reports by e-mail (``report_generated``): a delivery may go to a recipient of a report kind instead
of a subscription, so ``subscription_id``, ``department`` and ``audience`` become optional and
``report_id`` names the report; a received event need not concern a measure.
"""

import contextlib

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
#: Tables whose rows reference ``received_events`` or ``deliveries``, children first.
CHILDREN = ('inbox_entries', 'deliveries')


@contextlib.contextmanager
def children_parked():
    """On SQLite, hold the rows of ``CHILDREN`` aside while their parent tables are recreated.

    SQLite changes a column's NULL constraint only by recreating the table (batch mode), and
    dropping a table that other rows reference fails with foreign keys on; the pragma that turns
    them off has no effect inside the migration's transaction. With the child rows parked in
    plain tables, the parents have no children while they are recreated; the rows come back
    unchanged, and the foreign keys are checked again as they do. PostgreSQL alters in place.
    """
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    for table in CHILDREN:
        op.execute(f'CREATE TABLE _parked_{table} AS SELECT * FROM {table}')
        op.execute(f'DELETE FROM {table}')
    yield
    for table in reversed(CHILDREN):
        parked = {column['name'] for column in sa.inspect(bind).get_columns(f'_parked_{table}')}
        columns = ', '.join(column['name'] for column in sa.inspect(bind).get_columns(table)
                            if column['name'] in parked)
        op.execute(f'INSERT INTO {table} ({columns}) SELECT {columns} FROM _parked_{table}')
        op.execute(f'DROP TABLE _parked_{table}')


def upgrade():
    with children_parked():
        with op.batch_alter_table('received_events', schema=None) as batch_op:
            batch_op.alter_column('measure_id', existing_type=sa.String(length=16), nullable=True)

        with op.batch_alter_table('deliveries', schema=None) as batch_op:
            batch_op.add_column(sa.Column('report_id', Id, nullable=True))
            batch_op.alter_column('subscription_id', existing_type=Id, nullable=True)
            batch_op.alter_column('department', existing_type=sa.String(length=32), nullable=True)
            batch_op.alter_column('audience', existing_type=sa.String(length=16), nullable=True)
            batch_op.create_check_constraint(
                op.f('ck_deliveries_subscription_or_report'), '(subscription_id IS NULL) <> (report_id IS NULL)')
            batch_op.create_check_constraint(
                op.f('ck_deliveries_subscription_has_audience'),
                'subscription_id IS NULL OR (department IS NOT NULL AND audience IS NOT NULL)')
            batch_op.create_index(batch_op.f('ix_deliveries_report_id'), ['report_id'], unique=False)


def downgrade():
    # Report deliveries and report events cannot exist under the old schema.
    op.execute('DELETE FROM deliveries WHERE subscription_id IS NULL')
    op.execute('DELETE FROM received_events WHERE measure_id IS NULL')
    with children_parked():
        with op.batch_alter_table('deliveries', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_deliveries_report_id'))
            batch_op.drop_constraint(op.f('ck_deliveries_subscription_has_audience'), type_='check')
            batch_op.drop_constraint(op.f('ck_deliveries_subscription_or_report'), type_='check')
            batch_op.alter_column('audience', existing_type=sa.String(length=16), nullable=False)
            batch_op.alter_column('department', existing_type=sa.String(length=32), nullable=False)
            batch_op.alter_column('subscription_id', existing_type=Id, nullable=False)
            batch_op.drop_column('report_id')

        with op.batch_alter_table('received_events', schema=None) as batch_op:
            batch_op.alter_column('measure_id', existing_type=sa.String(length=16), nullable=False)
