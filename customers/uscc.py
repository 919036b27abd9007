"""USCC (统一社会信用代码, GB 32100-2015): validation via python-stdnum, and the kind of holder."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

ENTERPRISE = "enterprise"
INDIVIDUAL = "individual"
COOPERATIVE = "cooperative"
GOVERNMENT = "government"
INSTITUTION = "institution"
SOCIAL = "social"
OTHER = "other"

USCC_KIND_CHOICES = [
    (ENTERPRISE, _("企业")),
    (INDIVIDUAL, _("个体工商户")),
    (COOPERATIVE, _("农民专业合作社")),
    (GOVERNMENT, _("机关")),
    (INSTITUTION, _("事业单位")),
    (SOCIAL, _("社会组织")),
    (OTHER, _("其他")),
]

# First two characters: registering authority and entity type (GB 32100-2015, table 1).
_KIND_BY_PREFIX = {
    "91": ENTERPRISE,
    "92": INDIVIDUAL,
    "93": COOPERATIVE,
    "11": GOVERNMENT,
    "12": INSTITUTION,
    "A1": INSTITUTION,
    "13": SOCIAL,
    "51": SOCIAL,
    "52": SOCIAL,
    "53": SOCIAL,
}


def uscc_kind(code: str) -> str:
    """The kind of holder a USCC names, from its first two characters."""
    return _KIND_BY_PREFIX.get((code or "")[:2].upper(), OTHER)


def uscc_error(code: str) -> str | None:
    """None when `code` is a valid 18-character USCC as written, else the reason in Chinese."""
    if len(code) != 18:
        return str(_("应为18位，实际 %(n)d 位") % {"n": len(code)})
    if code != code.strip().upper():
        return str(_("只能包含大写字母和数字"))
    try:
        stdnum_uscc.validate(code)
    except InvalidLength:
        return str(_("长度不正确"))
    except InvalidChecksum:
        return str(_("校验位不正确"))
    except (InvalidFormat, InvalidComponent):
        return str(_("格式不符合 GB 32100-2015"))
    except ValidationError:
        return str(_("不是有效的统一社会信用代码"))
    return None


def make_uscc(body17: str) -> str:
    """Append the check character to 17 characters (for demo data and tests)."""
    return body17 + stdnum_uscc.calc_check_digit(body17)
