"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22

Departments, measures with their funding, the append-only journal, the id counter and the outbox.
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departments',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['parent'], ['departments.code'], name=op.f('fk_departments_parent_departments')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_departments'))
    )
    op.create_table('id_counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_id_counters'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claim_expires', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['id'], unique=False, postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))

    op.create_table('measures',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('programme', sa.String(length=200), nullable=True),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('partners', sa.JSON(), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('planned_end', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('budget_planned_cents', sa.BigInteger(), nullable=True),
    sa.Column('funding_source', sa.String(length=16), nullable=True),
    sa.Column('funding_programme', sa.String(length=200), nullable=True),
    sa.Column('funding_reference', sa.String(length=100), nullable=True),
    sa.Column('funding_amount_approved_cents', sa.BigInteger(), nullable=True),
    sa.Column('funding_period_start', sa.Date(), nullable=True),
    sa.Column('funding_period_end', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("funding_source IS NULL OR funding_source IN ('own_budget', 'grant', 'third_party')", name=op.f('ck_measures_funding_source_known')),
    sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name=op.f('ck_measures_priority_known')),
    sa.CheckConstraint("status <> 'done' OR progress = 100", name=op.f('ck_measures_done_is_complete')),
    sa.CheckConstraint("status IN ('planned', 'funded', 'in_progress', 'done', 'cancelled')", name=op.f('ck_measures_status_known')),
    sa.CheckConstraint("status NOT IN ('funded', 'in_progress') OR (funding_source IS NOT NULL AND funding_amount_approved_cents > 0)", name=op.f('ck_measures_funded_has_funding')),
    sa.CheckConstraint('budget_planned_cents IS NULL OR budget_planned_cents >= 0', name=op.f('ck_measures_budget_not_negative')),
    sa.CheckConstraint('funding_amount_approved_cents IS NULL OR funding_amount_approved_cents >= 0', name=op.f('ck_measures_funding_not_negative')),
    sa.CheckConstraint('planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start', name=op.f('ck_measures_planned_in_order')),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_measures_progress_percent')),
    sa.ForeignKeyConstraint(['department'], ['departments.code'], name=op.f('fk_measures_department_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measures')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_measures_external_ref')),
    sa.UniqueConstraint('number', name=op.f('uq_measures_number'))
    )
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measures_area'), ['area'], unique=False)
        batch_op.create_index(batch_op.f('ix_measures_department'), ['department'], unique=False)
        batch_op.create_index('ix_measures_open_due', ['due_date', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_measures_programme'), ['programme'], unique=False)
        batch_op.create_index(batch_op.f('ix_measures_status'), ['status'], unique=False)

    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('measure_id', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_user', sa.String(length=100), nullable=False),
    sa.Column('actor_department', sa.String(length=32), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_journal_entries_measure_id_measures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    sa.UniqueConstraint('measure_id', 'version', name=op.f('uq_journal_entries_measure_id_version'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_measure_id'), ['measure_id'], unique=False)

    op.bulk_insert(sa.table('id_counters', sa.column('name'), sa.column('value')), [{'name': 'measure', 'value': 0}])
    _make_journal_append_only()


def _make_journal_append_only():
    """The journal is evidence: the database itself refuses to change or delete an entry."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION journal_entries_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'journal_entries is append-only';
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
            FOR EACH ROW EXECUTE FUNCTION journal_entries_append_only()
        """)
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f"""
                CREATE TRIGGER journal_entries_no_{verb.lower()} BEFORE {verb} ON journal_entries
                BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END
            """)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER journal_entries_append_only ON journal_entries")
        op.execute("DROP FUNCTION journal_entries_append_only()")
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entries_measure_id'))

    op.drop_table('journal_entries')
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measures_status'))
        batch_op.drop_index(batch_op.f('ix_measures_programme'))
        batch_op.drop_index('ix_measures_open_due')
        batch_op.drop_index(batch_op.f('ix_measures_department'))
        batch_op.drop_index(batch_op.f('ix_measures_area'))

    op.drop_table('measures')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending', postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))

    op.drop_table('outbox')
    op.drop_table('id_counters')
    op.drop_table('departments')
