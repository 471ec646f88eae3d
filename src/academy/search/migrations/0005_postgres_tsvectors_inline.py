"""PostgreSQL: keep the tsvector columns in the table's rows instead of the TOAST table.

Columns created since (`postgres.generated_columns`) are STORAGE MAIN already; older databases'
columns are switched and the table rewritten once (`VACUUM FULL`, which cannot run inside a
transaction, hence `atomic = False`). SQLite is unchanged.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from academy.search.backends import postgres


def tsvectors_inline(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = ANY(%s) AND attstorage <> 'm'",
            [postgres.DOCUMENTS, list(postgres.TSVECTOR_COLUMNS)],
        )
        if not cursor.fetchone()[0]:
            return
        for statement in postgres.INLINE_SQL:
            cursor.execute(statement)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("search", "0004_index_version")]

    operations = [migrations.RunPython(tsvectors_inline, migrations.RunPython.noop)]
