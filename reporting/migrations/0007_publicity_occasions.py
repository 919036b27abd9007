"""The occasions the group's publicity is tied to (实施方案 三(五): 世界水日、中国水周; the 诚信宣传月), extended
by administrators in the admin."""

from django.db import migrations

OCCASIONS = [
    ("世界水日", "3月22日"),
    ("中国水周", "3月22日—28日"),
    ("诚信宣传月", ""),
    ("信用记录关爱日", "6月14日"),
    ("日常宣传", ""),
]


def create_occasions(apps, schema_editor):
    Occasion = apps.get_model("reporting", "Occasion")
    for position, (name, when) in enumerate(OCCASIONS, start=1):
        Occasion.objects.get_or_create(name=name, defaults={"when": when, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("reporting", "0006_publicity")]

    operations = [migrations.RunPython(create_occasions, migrations.RunPython.noop)]
