"""PostgreSQL: one pair of tsvector columns per language instead of one pair for all.

Databases migrated before this change have `document` and `head` columns (migration 0002 created
them then); they are replaced by `document_<lang>` and `head_<lang>`, whose statistics are per
language. A database created since has the new columns already, and SQLite is unchanged.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from academy.search.backends import postgres


def per_language_columns(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'search_searchdocument' AND column_name = 'document'"
        )
        if cursor.fetchone() is None:
            return
    for statement in (
        "DROP INDEX IF EXISTS search_document_fts",
        "DROP INDEX IF EXISTS search_document_head",
        "ALTER TABLE search_searchdocument DROP COLUMN document, DROP COLUMN head",
        *postgres.generated_columns(),
    ):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_engines")]

    operations = [migrations.RunPython(per_language_columns, migrations.RunPython.noop)]
