"""Default supervision measures per level: the seed document and the group's published practice."""

from django.db import migrations

DEFAULTS = {
    "green": ["业务办理绿色通道", "一对一“水保姆”服务", "免费管道试压", "免费测漏", "免费表井维修", "容缺受理"],
    "blue": ["常规管理"],
    "yellow": ["列为重点监管对象", "提高用水检查频次"],
    "red": ["从严审核", "取消容缺受理等便利措施", "依法依规实施联合惩戒"],
}


def create_defaults(apps, schema_editor):
    Measure = apps.get_model("ratings", "SupervisionMeasure")
    if Measure.objects.exists():
        return
    Measure.objects.bulk_create(
        Measure(level=level, text=text, position=i) for level, texts in DEFAULTS.items() for i, text in enumerate(texts)
    )


class Migration(migrations.Migration):
    dependencies = [("ratings", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
