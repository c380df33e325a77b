"""The body of every service's Alembic ``env.py``: migrate the connection `measures db upgrade`
hands over, recording the revision in the service's own version table."""

from alembic import context


def run_migrations(metadata):
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=context.config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
