"""The task force (附件1) and the key tasks with their responsible units (附件2) of 随水务〔2023〕39号, as the
document writes them (in simplified characters, with full-width punctuation). Tasks 10 and 12 name
“综合办公室及相关子公司、部室”: kept as written, and given to 综合办公室 and the two companies.
The document numbers its tasks 1–10 and 12 (there is no 11); the numbers are kept."""

from django.db import migrations

UNITS = [
    ("城市供水公司", "city"),
    ("随县供水公司", "county"),
    ("综合办公室", None),
    ("法务审计部", None),
    ("客户服务中心", None),
]
LEADER = "严勤建"
LIAISONS = [
    ("城市供水公司", "冷腊梅"),
    ("随县供水公司", "钱谦"),
    ("综合办公室", "敖铖"),
    ("法务审计部", "唐小娥"),
    ("客户服务中心", "肖翔"),
]
COMPANIES = ["城市供水公司", "随县供水公司"]
WITH_SUBSIDIARIES = "综合办公室及相关子公司、部室"
TASKS = [
    (1, "工作机制", "明确信用工作分管领导和责任单位，落实专人协调推进。", ["综合办公室", "客户服务中心"]),
    (
        2,
        "责任落实",
        "制定供水领域信用工作实施方案及相关制定，明确重点工作及责任分工。",
        [*COMPANIES, "客户服务中心"],
    ),
    (3, "“信易供水”信息", "依照市信用办工作要求，向信用平台报送“信易供水”信息。", COMPANIES),
    (
        4,
        "信用承诺",
        "建立供水客户信用档案，完成《信用承诺书》的签订和信用等级的划分。及时往信用办上报用户用水信息文件。",
        COMPANIES,
    ),
    (5, "信用核查", "依照应用清单事项，通过信用平台开展信用核查，并反馈信用核查结果使用情况。", COMPANIES),
    (
        6,
        "信用应用场景",
        "在业务工作中参考使用企业法人公共信用电子证照、公共信用信息报告等信用产品，上报有效信用案例。",
        COMPANIES,
    ),
    (
        7,
        "分级分类监管",
        "制定或落实供水领域信用分级分类制度文件，开展分级分类监管，上报有效分级分类监管案例。",
        COMPANIES,
    ),
    (8, "信用奖惩", "按照国家和本市出台的守信联合激励和失信联合惩戒文件要求，依法依规有效落实。", COMPANIES),
    (9, "信用修复", "按照本市信用修复要求，及时受理并完成修复认定。", COMPANIES),
    (10, "工作动态", "撰写推送信用宣传活动及重点工作推进情况的工作动态。", WITH_SUBSIDIARIES),
    (12, "主题宣传", "积极开展信用知识科普、诚信文化宣传等相关活动。", WITH_SUBSIDIARIES),
]


def load_document(apps, schema_editor):
    Unit = apps.get_model("reporting", "Unit")
    TaskForceMember = apps.get_model("reporting", "TaskForceMember")
    KeyTask = apps.get_model("reporting", "KeyTask")
    Company = apps.get_model("customers", "Company")
    units = {}
    for position, (name, code) in enumerate(UNITS, start=1):
        company = Company.objects.filter(code=code).first() if code else None
        units[name], _ = Unit.objects.get_or_create(name=name, defaults={"company": company, "position": position})
    if not TaskForceMember.objects.exists():
        TaskForceMember.objects.create(role="leader", name=LEADER, position=0)
        for position, (unit, name) in enumerate(LIAISONS, start=1):
            TaskForceMember.objects.create(role="liaison", name=name, unit=units[unit], position=position)
    for number, title, content, responsible in TASKS:
        if isinstance(responsible, str):
            text, names = responsible, ["综合办公室", *COMPANIES]
        else:
            text, names = "、".join(responsible), responsible
        task, created = KeyTask.objects.get_or_create(
            number=number, defaults={"title": title, "content": content, "responsible": text}
        )
        if created:
            task.units.set([units[n] for n in names])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_roles_companies_trigram"),
        ("reporting", "0008_tracker"),
    ]

    operations = [migrations.RunPython(load_document, migrations.RunPython.noop)]
