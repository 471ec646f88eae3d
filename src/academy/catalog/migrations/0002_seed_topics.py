from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from academy.catalog.choices import SEED_TOPICS


def seed_topics(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    topic_model = apps.get_model("catalog", "Topic")
    for position, (slug, names) in enumerate(SEED_TOPICS, start=1):
        topic_model.objects.update_or_create(
            slug=slug, defaults={"position": position, "names": names}
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(seed_topics, migrations.RunPython.noop)]
