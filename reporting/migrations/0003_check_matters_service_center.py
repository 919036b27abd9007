"""The business matters a credit check is made for (应用清单事项, extended by administrators in the admin),
and the 客户服务中心 role group (the group's follow-up of both companies' credit work)."""

from django.db import migrations

MATTERS = ["新装用水", "过户", "增容", "报装", "招投标", "变更用水性质", "销户"]


def create_matters_and_role(apps, schema_editor):
    CheckMatter = apps.get_model("reporting", "CheckMatter")
    Group = apps.get_model("auth", "Group")
    for position, name in enumerate(MATTERS, start=1):
        CheckMatter.objects.get_or_create(name=name, defaults={"position": position * 10})
    Group.objects.get_or_create(name="service_center")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("reporting", "0002_credit_checks"),
    ]

    operations = [migrations.RunPython(create_matters_and_role, migrations.RunPython.noop)]
