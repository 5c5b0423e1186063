"""Normal forms of phones, e-mails and company names (core/normalize.py)."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from leadpool.core.normalize import (
    normalize_company,
    normalize_email,
    normalize_phone,
    phone_search_digits,
)

# Mobile prefixes whose every 8-digit continuation is a valid Chinese mobile number.
CN_MOBILE_PREFIXES = [
    *map(str, range(130, 140)),
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    *map(str, range(180, 190)),
]
FULL_WIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")


# --- phones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86-13800138000",
        "+86 138 0013 8000",
        "8613800138000",
        "0086 138 0013 8000",
        "(+86) 138 0013 8000",
        " 13800138000 ",
    ],
)
def test_spellings_of_one_mobile_number_normalise_to_e164(spelling):
    # when
    normalized = normalize_phone(spelling)
    # then
    assert normalized == "+8613800138000"


def test_full_width_digits_are_read_as_digits():
    # given
    spelling = "１３８００１３８０００"
    # when
    normalized = normalize_phone(spelling)
    # then
    assert normalized == "+8613800138000"


def test_full_width_plus_and_country_code_are_read_too():
    # given
    spelling = "＋８６　１３８－００１３－８０００"
    # when
    normalized = normalize_phone(spelling)
    # then
    assert normalized == "+8613800138000"


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("010-62345678", "+861062345678"),
        ("(010) 6234 5678", "+861062345678"),
        ("+86 10 6234 5678", "+861062345678"),
        ("861062345678", "+861062345678"),
        ("021-6234 5678", "+862162345678"),
        ("0755-8765 4321", "+8675587654321"),
    ],
)
def test_landlines_with_their_area_code_normalise_to_e164(spelling, expected):
    # when
    normalized = normalize_phone(spelling)
    # then
    assert normalized == expected


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("+1 650-253-0000", "+16502530000"),
        ("001 650 253 0000", "+16502530000"),
        ("+44 20 7183 8750", "+442071838750"),
        ("+81 3-3580-3311", "+81335803311"),
        ("+852 2123 4567", "+85221234567"),
    ],
)
def test_foreign_numbers_keep_their_country_code(spelling, expected):
    # when
    normalized = normalize_phone(spelling)
    # then
    assert normalized == expected


def test_a_bare_number_is_read_in_the_region_asked_for():
    # given
    spelling = "(650) 253-0000"
    # when
    normalized = normalize_phone(spelling, region="US")
    # then
    assert normalized == "+16502530000"


def test_the_default_region_comes_from_the_settings(settings):
    # given
    settings.LEADPOOL_PHONE_REGION = "US"
    # when
    normalized = normalize_phone("(650) 253-0000")
    # then
    assert normalized == "+16502530000"


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_blank_phone_normalises_to_empty(blank):
    # when
    normalized = normalize_phone(blank)
    # then
    assert normalized == ""


@pytest.mark.parametrize(
    "invalid",
    [
        "12345",
        "abc",
        "1380013800",  # one digit short
        "138001380001",  # one digit too many
        "+86 12345",
        "０００",
        "phone: ask reception",
    ],
)
def test_invalid_phone_numbers_raise_a_validation_error_naming_them(invalid):
    # when
    with pytest.raises(ValidationError) as raised:
        normalize_phone(invalid)
    # then
    assert raised.value.messages == [f"“{invalid}” is not a valid phone number."]


@given(
    prefix=st.sampled_from(CN_MOBILE_PREFIXES),
    tail=st.integers(min_value=0, max_value=99_999_999),
)
def test_every_spelling_of_a_chinese_mobile_number_agrees(prefix, tail):
    # given
    national = f"{prefix}{tail:08d}"
    spellings = [
        national,
        f"{national[:3]} {national[3:7]} {national[7:]}",
        f"{national[:3]}-{national[3:7]}-{national[7:]}",
        f"+86{national}",
        f"+86-{national}",
        f"86{national}",
        f"0086 {national}",
        national.translate(FULL_WIDTH),
        f"+86 {national}".translate(FULL_WIDTH),
    ]
    # when
    normalized = {normalize_phone(spelling) for spelling in spellings}
    # then
    assert normalized == {f"+86{national}"}


@given(
    prefix=st.sampled_from(CN_MOBILE_PREFIXES),
    tail=st.integers(min_value=0, max_value=99_999_999),
)
def test_normalize_phone_is_idempotent_on_chinese_mobiles(prefix, tail):
    # given
    once = normalize_phone(f"{prefix}{tail:08d}")
    # when
    twice = normalize_phone(once)
    # then
    assert twice == once


def _example_numbers() -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.is_valid_number(example):
                numbers.append(
                    phonenumbers.format_number(
                        example, phonenumbers.PhoneNumberFormat.INTERNATIONAL
                    )
                )
    return numbers


@given(st.sampled_from(_example_numbers()))
def test_normalize_phone_is_idempotent_on_its_own_output_for_every_country(spelling):
    # given
    once = normalize_phone(spelling)
    # when
    twice = normalize_phone(once)
    # then
    assert twice == once
    assert once.startswith("+") and once[1:].isdigit()


@given(st.text(max_size=40))
def test_normalize_phone_either_returns_e164_or_raises_validation_error(text):
    # when
    try:
        normalized = normalize_phone(text)
    except ValidationError:
        return
    # then
    assert normalized == "" or (normalized.startswith("+") and normalized[1:].isdigit())


@pytest.mark.parametrize(
    ("fragment", "digits"),
    [("8000", "8000"), ("138 0013", "1380013"), ("＋８６-１３８", "86138"), ("", ""), ("ab", "")],
)
def test_phone_search_digits_keeps_only_the_digits_of_a_fragment(fragment, digits):
    # when
    found = phone_search_digits(fragment)
    # then
    assert found == digits


# --- e-mail ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "zhang@example.com",
        "Zhang@Example.COM",
        "  ZHANG@EXAMPLE.COM ",
        "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    ],
)
def test_email_is_trimmed_lower_cased_and_width_folded(spelling):
    # when
    normalized = normalize_email(spelling)
    # then
    assert normalized == "zhang@example.com"


@pytest.mark.parametrize("invalid", ["zhang", "zhang@", "@example.com", "zhang@@example.com"])
def test_invalid_email_raises_a_validation_error_naming_it(invalid):
    # when
    with pytest.raises(ValidationError) as raised:
        normalize_email(invalid)
    # then
    assert raised.value.messages == [f"“{invalid}” is not a valid e-mail address."]


def test_a_blank_email_normalises_to_empty():
    # when
    normalized = normalize_email("  ")
    # then
    assert normalized == ""


# --- companies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术股份有限公司", "华为技术"),
        ("华为技术有限责任公司", "华为技术"),
        ("华为技术", "华为技术"),
        ("华为集团有限公司", "华为"),
        ("华为集团股份有限公司", "华为"),
        ("华为北京分公司", "华为北京"),
        ("腾讯科技(深圳)有限公司", "腾讯科技深圳"),
        ("阿里巴巴（中国）网络技术有限公司", "阿里巴巴中国网络技术"),
        ("小李工作室", "小李"),
    ],
)
def test_chinese_legal_suffixes_and_brackets_are_stripped(name, expected):
    # when
    normalized = normalize_company(name)
    # then
    assert normalized == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACME Co., Ltd.", "acme"),
        ("acme inc", "acme"),
        ("ACME, Inc.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme LLC", "acme"),
        ("Acme Limited", "acme"),
        ("Acme Group Co., Ltd.", "acme"),
        ("Acme (China) Co.,Ltd.", "acmechina"),
        ("Acme Robotics GmbH", "acmerobotics"),
        ("Siemens AG", "siemens"),
        ("Acme Pte. Ltd.", "acme"),
    ],
)
def test_english_legal_suffixes_punctuation_and_case_are_stripped(name, expected):
    # when
    normalized = normalize_company(name)
    # then
    assert normalized == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ＡＣＭＥ有限公司", "acme"),
        ("ＡＣＭＥ Ｃｏ．， Ｌｔｄ．", "acme"),
        ("Ａｃｍｅ　Ｉｎｃ", "acme"),
    ],
)
def test_full_width_letters_and_punctuation_are_folded(name, expected):
    # when
    normalized = normalize_company(name)
    # then
    assert normalized == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("公司", "公司"),  # a suffix alone is the whole name
        ("Ltd", "ltd"),
        ("Costco", "costco"),  # "co" only counts as a separate word
        ("Tesco PLC", "tesco"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_company_names_that_are_or_end_like_suffixes_are_kept(name, expected):
    # when
    normalized = normalize_company(name)
    # then
    assert normalized == expected


@given(
    name=st.from_regex(r"[A-Za-z]{1,10}( [A-Za-z]{1,10}){0,2}", fullmatch=True),
    suffix=st.sampled_from([" Co., Ltd.", " Inc.", " LLC", " Limited", " GmbH", " Corp."]),
)
def test_an_english_legal_suffix_never_changes_the_normal_form(name, suffix):
    # when
    with_suffix = normalize_company(name + suffix)
    # then
    assert with_suffix == normalize_company(name)


@given(
    name=st.text(alphabet="华为技术阿里巴腾讯科大疆小米东方", min_size=1, max_size=8),
    suffix=st.sampled_from(["有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "公司"]),
)
def test_a_chinese_legal_suffix_never_changes_the_normal_form(name, suffix):
    # when
    with_suffix = normalize_company(name + suffix)
    # then
    assert with_suffix == normalize_company(name)


def _full_parse(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


SPELLINGS = [
    lambda d: d,
    lambda d: "+86" + d,
    lambda d: "+86 " + d,
    lambda d: f"{d[:3]} {d[3:7]} {d[7:]}",
    lambda d: f"({d[:3]}) {d[3:7]}-{d[7:]}",
]


@given(
    digits=st.text(alphabet="0123456789", min_size=10, max_size=10).map(lambda d: "1" + d),
    spell=st.sampled_from(SPELLINGS),
)
def test_the_mobile_fast_path_agrees_with_phonenumbers(digits, spell):
    from leadpool.core.normalize import _mobile_fast_path

    text = spell(digits)
    expected = _full_parse(text, "CN")
    # The fast path answers only when it is sure, and then as phonenumbers would.
    fast = _mobile_fast_path(text, "CN")
    assert fast is None or fast == expected
    assert _normalized_or_none(text) == expected


def _normalized_or_none(text: str) -> str | None:
    try:
        return normalize_phone(text, region="CN")
    except ValidationError:
        return None


@pytest.mark.parametrize("region", ["US", "GB", "HK", "SG"])
def test_the_mobile_fast_path_in_other_regions(region):
    from leadpool.core.normalize import _mobile_fast_path

    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    expected = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    assert _mobile_fast_path(national, region) in (expected, None)
    assert normalize_phone(national, region=region) == expected
