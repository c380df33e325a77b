"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22

Subscriptions, the received-events log (de-duplication by event id), deliveries (send queue and
audit log in one) and the departments' inbox entries.
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('received_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('measure_id', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_received_events'))
    )
    with op.batch_alter_table('received_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_received_events_measure_id'), ['measure_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=2000), nullable=True),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=100), nullable=True),
    sa.CheckConstraint("(channel = 'inbox') = (address IS NULL)", name=op.f('ck_subscriptions_address_unless_inbox')),
    sa.CheckConstraint("audience IN ('member', 'manager')", name=op.f('ck_subscriptions_audience_known')),
    sa.CheckConstraint("channel <> 'inbox' OR digest = 'immediate'", name=op.f('ck_subscriptions_inbox_is_immediate')),
    sa.CheckConstraint("channel IN ('email', 'webhook', 'inbox')", name=op.f('ck_subscriptions_channel_known')),
    sa.CheckConstraint("digest IN ('immediate', 'daily')", name=op.f('ck_subscriptions_digest_known')),
    sa.CheckConstraint("language IN ('de', 'en')", name=op.f('ck_subscriptions_language_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_routing', ['department', 'audience', 'active'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('digest_day', sa.Date(), nullable=True),
    sa.Column('subscription_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=2000), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=True),
    sa.Column('measure_id', sa.String(length=16), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claim_expires', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('digest_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("channel IN ('email', 'webhook', 'inbox')", name=op.f('ck_deliveries_channel_known')),
    sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_deliveries_sent_has_time')),
    sa.CheckConstraint("status IN ('pending', 'waiting', 'bundled', 'sent', 'failed', 'cancelled')", name=op.f('ck_deliveries_status_known')),
    sa.CheckConstraint('(event_id IS NULL) <> (digest_day IS NULL)', name=op.f('ck_deliveries_event_or_digest')),
    sa.ForeignKeyConstraint(['digest_id'], ['deliveries.id'], name=op.f('fk_deliveries_digest_id_deliveries')),
    sa.ForeignKeyConstraint(['event_id'], ['received_events.event_id'], name=op.f('fk_deliveries_event_id_received_events')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_deliveries_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('event_id', 'channel', 'target', name=op.f('uq_deliveries_event_id_channel_target')),
    sa.UniqueConstraint('subscription_id', 'digest_day', name=op.f('uq_deliveries_subscription_id_digest_day'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index('ix_deliveries_waiting', ['subscription_id', 'status'], unique=False)

    op.create_table('inbox_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('measure_id', sa.String(length=16), nullable=False),
    sa.Column('measure_title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('actor_user', sa.String(length=100), nullable=False),
    sa.Column('actor_department', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_by', sa.String(length=100), nullable=True),
    sa.CheckConstraint("audience IN ('member', 'manager')", name=op.f('ck_inbox_entries_audience_known')),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_inbox_entries_delivery_id_deliveries')),
    sa.ForeignKeyConstraint(['event_id'], ['received_events.event_id'], name=op.f('fk_inbox_entries_event_id_received_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_entries')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_inbox_entries_delivery_id'))
    )
    with op.batch_alter_table('inbox_entries', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_entries_reading', ['department', 'audience', 'read_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('inbox_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_entries_reading')

    op.drop_table('inbox_entries')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_waiting')
        batch_op.drop_index(batch_op.f('ix_deliveries_measure_id'))
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_deliveries_digest_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_department'))

    op.drop_table('deliveries')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_routing')

    op.drop_table('subscriptions')
    with op.batch_alter_table('received_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_received_events_measure_id'))

    op.drop_table('received_events')
