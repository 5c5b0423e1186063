"""Normal forms of phone numbers, e-mail addresses and company names.

Duplicate checks compare these normal forms by indexed equality, so every path that
writes a record (forms, API, import, web forms) must store them through this module.
"""

import functools
import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return the number in E.164 (`+8613800138000`), or raise ValidationError.

    `138 0013 8000`, `+86-13800138000` and `8613800138000` are one number. A bare
    number is read in the configured default region (CN unless set).
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return ""
    region = region or settings.LEADPOOL_PHONE_REGION
    fast = _mobile_fast_path(text, region)
    if fast:
        return fast
    digits = re.sub(r"\D", "", text)
    candidates = [text]
    # `8613800138000` without a plus is the country code written without its prefix;
    # phonenumbers reads it as a (too long) national number unless told otherwise.
    if not text.startswith("+") and not text.startswith("00") and len(digits) > 11:
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": raw})


_SEPARATORS = re.compile(r"[\s\-().]")


def _mobile_fast_path(text: str, region: str) -> str | None:
    """E.164 for a plain mobile number of the region (`138 0013 8000`, `+86 13800138000`),
    or None to take the full parse.

    phonenumbers needs ~40 µs a number, most of an import row's cost; a mobile number
    written plainly is checked here against the same metadata pattern and lengths that
    phonenumbers' validity check uses, so the answer is the same (tests compare them).
    """
    mobile = _mobile_description(region)
    if mobile is None:
        return None
    pattern, lengths, country_code = mobile
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+" + country_code):
        digits = digits[len(country_code) + 1 :]
    if (
        digits.isascii()
        and digits.isdigit()
        and len(digits) in lengths
        and pattern.fullmatch(digits)
    ):
        return f"+{country_code}{digits}"
    return None


@functools.cache
def _mobile_description(region: str) -> tuple[re.Pattern, frozenset[int], str] | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    mobile = metadata.mobile if metadata is not None else None
    if mobile is None or not mobile.national_number_pattern or not mobile.possible_length:
        return None
    return (
        re.compile(mobile.national_number_pattern),
        frozenset(mobile.possible_length),
        str(metadata.country_code),
    )


def phone_search_digits(fragment: str) -> str:
    """Digits of a partial phone number typed into a search box (no validation)."""
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", fragment or ""))


def normalize_email(raw: str) -> str:
    """Return the address lower-cased and trimmed, or raise ValidationError."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address.") % {"value": raw}
        ) from None
    return text.lower()


# Longest first, so "股份有限公司" is removed whole rather than leaving "股份".
_LEGAL_SUFFIXES = sorted(
    [
        "有限责任公司",
        "股份有限公司",
        "集团有限公司",
        "集团股份有限公司",
        "有限公司",
        "集团公司",
        "分公司",
        "总公司",
        "集团",
        "公司",
        "工作室",
        "合伙企业",
        "个体工商户",
        "co ltd",
        "co limited",
        "company limited",
        "company ltd",
        "limited",
        "ltd",
        "incorporated",
        "inc",
        "corporation",
        "corp",
        "company",
        "co",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "srl",
        "bv",
        "pte ltd",
        "pty ltd",
        "pte",
        "pty",
        "kk",
        "group",
    ],
    key=len,
    reverse=True,
)
_PUNCTUATION = re.compile(r"[\s\.,;:'\"()\[\]{}（）【】《》、，。·&\-_/\\+]+")


def normalize_company(raw: str) -> str:
    """A comparable form of a company name: `华为技术有限公司` → `华为技术`,
    `ACME Co., Ltd.` → `acme`, full-width letters folded, spaces and punctuation gone.
    """
    text = unicodedata.normalize("NFKC", raw or "").casefold().strip()
    if not text:
        return ""
    words = _PUNCTUATION.sub(" ", text).split()
    spaced = " ".join(words)
    # Strip legal suffixes repeatedly: "Acme Group Co., Ltd." has two.
    changed = True
    while changed and spaced:
        changed = False
        for suffix in _LEGAL_SUFFIXES:
            is_cjk = not suffix.isascii()
            if is_cjk and spaced.endswith(suffix) and len(spaced) > len(suffix):
                spaced = spaced[: -len(suffix)].rstrip()
                changed = True
                break
            if not is_cjk and spaced.endswith(" " + suffix):
                spaced = spaced[: -len(suffix) - 1].rstrip()
                changed = True
                break
    return spaced.replace(" ", "")
