"""Stored pledge coverage (pledges/coverage.py): the CoverageCount table (its triggers and first count:
migration 0006)."""

import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    """The triggers and the first count came here first; they are installed by 0006 now (pledges.coverage's
    current SQL needs 0006's column), so a database migrated from scratch gets them once, in their form."""


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from pledges import coverage

    coverage.drop_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_name_bigrams_opened_on"),
        ("pledges", "0004_batch_heartbeat"),
    ]

    operations = [
        migrations.CreateModel(
            name="CoverageCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "customers",
                    models.BigIntegerField(default=0, help_text="customers with a USCC, whatever their opening date"),
                ),
                (
                    "signed",
                    models.BigIntegerField(default=0, help_text="of them, with a signed (unrevoked) voluntary pledge"),
                ),
                (
                    "company",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="customers.company"
                    ),
                ),
            ],
            options={"verbose_name": "承诺覆盖统计", "verbose_name_plural": "承诺覆盖统计"},
        ),
        migrations.RunPython(install, uninstall),
    ]
