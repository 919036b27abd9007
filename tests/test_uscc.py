"""USCC checks (GB 32100-2015): the reason for a bad code, and the kind of holder from its prefix."""

from __future__ import annotations

import pytest

from customers.uscc import (
    COOPERATIVE,
    ENTERPRISE,
    GOVERNMENT,
    INDIVIDUAL,
    INSTITUTION,
    OTHER,
    SOCIAL,
    make_uscc,
    uscc_error,
    uscc_kind,
)

VALID = [
    "91110000600037341L",  # published code of a large enterprise
    "911100007109288314",
    make_uscc("91421302MA4F1A2B3"),  # 曾都区, post-2015 organisation code
    make_uscc("92421321000000017"),  # 随县 individual business
    make_uscc("93421321MA4FXY123"),  # 随县 farmers' cooperative
    make_uscc("12421300420000011"),  # Suizhou public institution
    make_uscc("51421302MA4G00001"),  # social organisation
    make_uscc("91421381MA49TT8R0"),  # 广水市
]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_have_no_error(code):
    assert uscc_error(code) is None


def test_wrong_check_character_is_named():
    good = make_uscc("91421302MA4F1A2B3")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert uscc_error(wrong) == "校验位不正确"


@pytest.mark.parametrize("code", ["", "9142130", "91421302MA4F1A2B3", "91421302MA4F1A2B3XY"])
def test_wrong_length_reports_the_length(code):
    assert uscc_error(code) == f"应为18位，实际 {len(code)} 位"


def test_lowercase_is_refused():
    good = make_uscc("91421302MA4F1A2B3")
    assert uscc_error(good.lower()) == "只能包含大写字母和数字"


def test_surrounding_spaces_are_refused():
    code = " " + make_uscc("91421302MA4F1A2B3")[:17]  # 18 characters with the space
    assert uscc_error(code) == "只能包含大写字母和数字"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_outside_the_alphabet_are_refused(letter):
    code = "91421302MA4F1A2B3" + letter  # as the check character
    assert uscc_error(code) == "格式不符合 GB 32100-2015"
    body = "91421302MA4F1A2B" + letter + "0"  # inside the organisation code
    assert uscc_error(body) == "格式不符合 GB 32100-2015"


def test_non_digit_region_code_is_refused():
    assert uscc_error("9142A302MA4F1A2B30") == "格式不符合 GB 32100-2015"


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("91", ENTERPRISE),
        ("92", INDIVIDUAL),
        ("93", COOPERATIVE),
        ("11", GOVERNMENT),
        ("12", INSTITUTION),
        ("A1", INSTITUTION),
        ("51", SOCIAL),
        ("52", SOCIAL),
        ("53", SOCIAL),
        ("Y1", OTHER),
        ("", OTHER),
    ],
)
def test_kind_from_prefix(prefix, kind):
    assert uscc_kind(prefix + "421300MA4F1A2B30") == kind


def test_kind_ignores_case_and_none():
    assert uscc_kind("a1421300MA4F1A2B30") == INSTITUTION
    assert uscc_kind(None) == OTHER
