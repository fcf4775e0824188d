"""Alembic environment: migrations run on a connection handed over by canvas.db.engine.upgrade."""

from alembic import context

from canvas.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
