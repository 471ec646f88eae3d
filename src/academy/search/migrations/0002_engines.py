"""The database's own full-text engine over the search tables: SQLite FTS5 tables and triggers,
or PostgreSQL extensions, text search configurations, a generated tsvector and GIN indexes.

The statements live beside each backend (`search/backends/`), where `academy search reindex
--rebuild` runs them again.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from academy.search.backends import postgres, sqlite

STATEMENTS = {
    "sqlite": (sqlite.CREATE_SQL, sqlite.DROP_SQL),
    "postgresql": (postgres.CREATE_SQL, postgres.DROP_SQL),
}


def create_engine(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    create, _drop = STATEMENTS[schema_editor.connection.vendor]
    for statement in create:
        schema_editor.execute(statement, params=None)


def drop_engine(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _create, drop = STATEMENTS[schema_editor.connection.vendor]
    for statement in drop:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create_engine, drop_engine)]
