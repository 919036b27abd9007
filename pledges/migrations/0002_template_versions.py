"""Version 1 of both pledge templates: Annex 3 as issued (主动型), and a 信用修复型 text."""

from django.db import migrations

VOLUNTARY_V1 = {
    "kind": "voluntary",
    "version": 1,
    "title": "信用承诺书",
    "intro": "我单位/公司(名称){name},统一社会信用代码为{uscc}。",
    "preamble": "郑重承诺如下:",
    # Annex 3 as issued, clause 4 included ("自觉接受、行业组织…": 政府部门 is probably missing
    # after 接受; a later version may correct it, version 1 keeps the text as issued).
    "clauses": [
        "一、提供给随州市水务集团有限公司的所有资料均合法、真实、有效,并对所提供资料的真实性负责;",
        "二、遵守国家法律、法规、规章和政策规定,开展生产经营活动,主动接受行业监管,自愿接受依法开展的日常用水检查;",
        "三、若发生违法失信、违约用水等行为,将依照有关法律、法规规章和政策规定接受处罚,并依法承担相应责任;",
        "四、自觉接受、行业组织、社会公众、新闻舆论的监督,积极履行社会责任;",
        "五、本《信用承诺书》同意向社会公开。",
    ],
    "consequences_index": 3,
    "reason": "供水用水信用承诺",
    "disclosure": "public",
}

REPAIR_V1 = {
    "kind": "repair",
    "version": 1,
    "title": "信用修复承诺书",
    "intro": "我单位/公司(名称){name},统一社会信用代码为{uscc},现申请供水用水信用修复。",
    "preamble": "郑重承诺如下:",
    "clauses": [
        "一、本单位已对相关失信行为进行整改纠正,已履行补缴水费、赔偿损失等相关义务,消除了不良影响;",
        "二、申请信用修复时提供给随州市水务集团有限公司的所有资料均合法、真实、有效,并对所提供资料的真实性负责;",
        "三、今后严格遵守国家法律、法规、规章和政策规定及供用水合同约定,依法依约用水,不再发生同类失信行为;",
        "四、若再次发生违法失信、违约用水等行为,或所提供资料存在虚假,自愿接受撤销信用修复、从严认定信用等级等处理,并依法承担相应责任;",
        "五、本《信用修复承诺书》同意向社会公开。",
    ],
    "consequences_index": 4,
    "reason": "供水用水信用修复承诺",
    "disclosure": "public",
}


def create_templates(apps, schema_editor):
    PledgeTemplate = apps.get_model("pledges", "PledgeTemplate")
    for data in (VOLUNTARY_V1, REPAIR_V1):
        fields = dict(data)
        kind, version = fields.pop("kind"), fields.pop("version")
        PledgeTemplate.objects.get_or_create(kind=kind, version=version, defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("pledges", "0001_initial")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
