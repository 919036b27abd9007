"""Stored pledge coverage by opening date (pledges/coverage.py): the figures as of a day are one query
over the stored rows, instead of subtracting the customers not yet opened found through the customers."""

from django.db import migrations, models


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from pledges import coverage

    coverage.install_triggers(schema_editor)
    schema_editor.execute("DELETE FROM pledges_coveragecount")
    schema_editor.execute(coverage.RECOUNT_SQL)


class Migration(migrations.Migration):
    dependencies = [("pledges", "0005_coverage_count")]

    operations = [
        migrations.AddField(model_name="coveragecount", name="opens_on", field=models.DateField(blank=True, null=True)),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
