"""Role groups, the two companies, and (on PostgreSQL) trigram indexes for name search."""

from django.db import migrations

ROLES = ["clerk", "supervisor", "admin"]
COMPANIES = [("city", "城市供水公司"), ("county", "随县供水公司")]


def create_roles_and_companies(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Company = apps.get_model("customers", "Company")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for code, name in COMPANIES:
        Company.objects.get_or_create(code=code, defaults={"name": name})


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_name_trgm ON customers_customer USING gin (name gin_trgm_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_uscc_pattern ON customers_customer (uscc varchar_pattern_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_account_pattern ON customers_customer (account_no varchar_pattern_ops)"
    )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("customer_name_trgm", "customer_uscc_pattern", "customer_account_pattern"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_roles_and_companies, migrations.RunPython.noop),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
