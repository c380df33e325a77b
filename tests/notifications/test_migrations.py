"""The notifications schema migrations on SQLite and PostgreSQL: a database in use at revision 0001
(deliveries, a digest, an inbox entry) is upgraded without losing a row, ends up exactly as the
models describe it, and goes down and up again."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from services.common.database import make_engine
from services.notifications.migrations import MIGRATIONS
from services.notifications.storage.models import metadata

TABLES = ("subscriptions", "received_events", "deliveries", "inbox_entries")
#: Rows as revision 0001 stored them, so that both tables the upgrade recreates on SQLite have rows
#: pointing at them: an event, its e-mail notification bundled into a daily digest, and its inbox
#: delivery with the inbox entry.
ROWS_0001 = (
    ("INSERT INTO subscriptions (id, department, audience, channel, address, event_types, digest, language, active,"
     " created_at, created_by) VALUES (1, 'KS', 'member', 'email', 'ks@kreis.example', '[]', 'daily', 'de', true,"
     " '2026-03-02 10:00:00+00', 'admin'), (2, 'KS', 'member', 'inbox', NULL, '[]', 'immediate', 'de', true,"
     " '2026-03-02 10:00:00+00', 'admin')"),
    ("INSERT INTO received_events (event_id, event_type, measure_id, occurred_at, received_at, payload, deliveries)"
     " VALUES ('e1', 'measure_created', 'M-0042', '2026-03-02 10:00:00+00', '2026-03-02 10:00:01+00',"
     " '{\"event_id\": \"e1\"}', 2)"),
    ("INSERT INTO deliveries (id, digest_day, subscription_id, department, audience, channel, target, language,"
     " reason, status, attempts, created_at) VALUES (2, '2026-03-03', 1, 'KS', 'member', 'email', 'ks@kreis.example',"
     " 'de', 'daily digest', 'pending', 0, '2026-03-03 06:00:00+00')"),
    ("INSERT INTO deliveries (id, event_id, subscription_id, department, audience, channel, target, language, reason,"
     " status, attempts, created_at, digest_id) VALUES (1, 'e1', 1, 'KS', 'member', 'email', 'ks@kreis.example',"
     " 'de', 'new measure', 'bundled', 0, '2026-03-02 10:00:01+00', 2)"),
    ("INSERT INTO deliveries (id, event_id, subscription_id, department, audience, channel, target, language, reason,"
     " status, attempts, created_at, sent_at) VALUES (3, 'e1', 2, 'KS', 'member', 'inbox', 'KS/member', 'de',"
     " 'new measure', 'sent', 1, '2026-03-02 10:00:01+00', '2026-03-02 10:00:01+00')"),
    ("INSERT INTO inbox_entries (delivery_id, event_id, department, audience, event_type, measure_id, measure_title,"
     " summary, actor_user, actor_department, occurred_at) VALUES (3, 'e1', 'KS', 'member', 'measure_created',"
     " 'M-0042', 'Radwegenetz ausbauen', 'neu angelegt', 'mueller.ks', 'KS', '2026-03-02 10:00:00+00')"),
)


def rows(engine):
    with engine.connect() as connection:
        return {table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
                for table in TABLES}


def differences_from_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [difference for difference in compare_metadata(context, metadata)
                if "alembic_version" not in str(difference)]


def downgrade(engine, revision):
    with engine.begin() as connection:
        command.downgrade(MIGRATIONS._config(connection), revision)


def test_a_database_in_use_is_upgraded_without_losing_a_row(notifications_db_url):
    engine = make_engine(notifications_db_url)
    try:
        downgrade(engine, "0001")
        with engine.begin() as connection:
            for statement in ROWS_0001:
                connection.execute(text(statement))
        before = rows(engine)

        MIGRATIONS.upgrade(engine)

        assert MIGRATIONS.current(engine) == MIGRATIONS.head()
        after = rows(engine)
        report_id_column = len(before["deliveries"][0])  # added last
        assert [row[:report_id_column] for row in after["deliveries"]] == before["deliveries"]
        assert {table: after[table] for table in TABLES if table != "deliveries"} == {
            table: before[table] for table in TABLES if table != "deliveries"}
        assert differences_from_the_models(engine) == []
        downgrade(engine, "0001")
        assert rows(engine) == before
        MIGRATIONS.upgrade(engine)
        assert differences_from_the_models(engine) == []
    finally:
        engine.dispose()
