"""Suggesting which field each column of an import file fills, from its header.

Headers are compared in a normal form (full-width folded, case-folded, without spaces,
punctuation, `*` required marks or hints in brackets), so `*姓名`, `Ｅ－ｍａｉｌ`,
` Phone ` and `Name* (s.nom)` all match. The user can override every suggestion.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Header names of each standard field, in English and Chinese (exact matches, strongest).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "full name", "contact", "contact name", "contact person", "person",
        "lead name", "customer name",
        "姓名", "名字", "全名", "联系人", "联系人姓名", "联系人名称", "客户姓名", "称呼",
    ),
    "company": (
        "company", "company name", "organization", "organisation", "organization name",
        "org", "account", "account name", "business", "business name", "employer", "firm",
        "公司", "公司名称", "公司名", "企业", "企业名称", "单位", "单位名称", "工作单位",
        "所属公司", "客户公司", "机构", "机构名称", "组织", "组织名称",
    ),
    "phone": (
        "phone", "phone number", "mobile", "mobile phone", "mobile number", "cell",
        "cell phone", "cellphone", "tel", "telephone", "telephone number", "contact number",
        "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "联系方式", "联系手机",
        "移动电话", "手机电话",
    ),
    "other_phone": (
        "other phone", "phone 2", "second phone", "secondary phone", "alternate phone",
        "alternative phone", "home phone", "work phone", "office phone", "landline",
        "其他电话", "其它电话", "备用电话", "备用手机", "座机", "固话", "固定电话", "办公电话",
        "电话2", "手机2",
    ),
    "email": (
        "email", "e-mail", "mail", "email address", "e-mail address",
        "邮箱", "电子邮箱", "电子邮件", "邮件", "邮箱地址", "电邮",
    ),
    "source": (
        "source", "lead source", "channel", "origin",
        "来源", "线索来源", "客户来源", "来源渠道", "渠道", "获客渠道",
    ),
    "region": (
        "region", "area", "地区", "区域", "所在地区", "所在地", "地域",
    ),
    "industry": (
        "industry", "sector", "行业", "所属行业", "行业类别", "行业分类",
    ),
    "notes": (
        "notes", "note", "remarks", "remark", "comment", "comments", "description", "memo",
        "备注", "备注信息", "说明", "描述",
    ),
}  # fmt: skip

# Names that fit a field less well: they win it only when no exact synonym claims it.
LOOSE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "region": (
        "province", "state", "city", "town", "location",
        "省", "省份", "城市", "市", "省市", "所在城市", "所在省份",
    ),
}  # fmt: skip

# Names that mean different fields in different files, most likely field first. 名称 is
# LeadPool's own Chinese label for `name`, but in most Chinese templates it names the
# organisation (with the person under 联系人).
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "名称": ("company", "name"),
    "客户名称": ("name", "company"),
    "客户": ("name", "company"),
    "客户名": ("name", "company"),
}

# A column whose header names a field that another column took may fill this one instead
# (`Phone`, then `Mobile`: the second becomes the other phone).
FALLBACKS: dict[str, str] = {"phone": "other_phone"}

# Columns holding parts of a name; the importer may join them when nothing maps to `name`.
GIVEN_NAME = ("first name", "given name", "forename", "名")
FAMILY_NAME = ("last name", "family name", "surname", "姓")

ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "lead": tuple(SYNONYMS),
    "customer": tuple(SYNONYMS),
}

# Scores: a custom field's own label or key beats a standard synonym, which beats a loose
# or ambiguous one; a header with a trailing number (`Phone 1`) scores a little less.
_CUSTOM, _EXACT, _LOOSE, _FALLBACK, _NUMBERED_PENALTY = 4.0, 3.0, 2.0, 1.0, 0.5

_HINTS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|<[^>]*>")
_SEPARATORS = re.compile(r"[\s_\-‐‑–—.,，、·・:;'\"`/\\|#*]+")
_TRAILING_NUMBER = re.compile(r"(?<=\D)\d+$")


def normalize_header(header: str) -> str:
    """The form headers are compared in: `*Ｅ－ｍａｉｌ (必填)` → `email`."""
    text = unicodedata.normalize("NFKC", header or "").casefold()
    text = _HINTS.sub("", text)
    return _SEPARATORS.sub("", text)


def suggest_mapping(
    headers: Iterable[str], *, entity: str, custom_fields: Iterable = ()
) -> dict[str, str | None]:
    """Suggest a field key (`phone`, `custom.wechat`) or None for each header.

    `custom_fields` are CustomField objects (or mappings with `key` and `label`) of the
    entity. Each field goes to at most one column: the best-scoring match wins, and on a
    tie the column further left. Repeated headers get the suggestion of their first column.
    """
    if entity not in ENTITY_FIELDS:
        raise ValueError(f"unknown entity {entity!r}")
    headers = list(headers)
    table = _candidates_table(entity, custom_fields)
    pairs: list[tuple[float, int, str, str]] = []
    for column, header in enumerate(headers):
        for field, score in _candidates(normalize_header(header), table):
            pairs.append((score, column, header, field))
    pairs.sort(key=lambda pair: (-pair[0], pair[1]))
    mapping: dict[str, str | None] = dict.fromkeys(headers)
    taken: set[str] = set()
    for _score, _column, header, field in pairs:
        if mapping[header] is None and field not in taken:
            mapping[header] = field
            taken.add(field)
    return mapping


def unmapped(headers: Iterable[str], mapping: Mapping[str, str | None]) -> list[str]:
    """The non-empty headers that fill no field, in file order, each once."""
    return list(dict.fromkeys(h for h in headers if h.strip() and not mapping.get(h)))


def duplicate_headers(headers: Iterable[str]) -> list[str]:
    """Non-empty headers that appear more than once (a mapping cannot tell them apart)."""
    counts: dict[str, int] = {}
    for header in headers:
        if header.strip():
            counts[header] = counts.get(header, 0) + 1
    return [header for header, count in counts.items() if count > 1]


def name_parts(headers: Iterable[str], mapping: Mapping[str, str | None]) -> tuple[str, str] | None:
    """(given-name header, family-name header) when the file splits names over two
    unmapped columns and no column maps to `name`; otherwise None."""
    if "name" in mapping.values():
        return None
    given_names = {normalize_header(name) for name in GIVEN_NAME}
    family_names = {normalize_header(name) for name in FAMILY_NAME}
    given = family = None
    for header in headers:
        if mapping.get(header):
            continue
        normal = normalize_header(header)
        if given is None and normal in given_names:
            given = header
        elif family is None and normal in family_names:
            family = header
    return (given, family) if given and family else None


def _candidates_table(entity: str, custom_fields: Iterable) -> dict[str, list[tuple[str, float]]]:
    """Normal header form → [(field key, score)]."""
    table: dict[str, list[tuple[str, float]]] = {}

    def add(name: str, field: str, score: float) -> None:
        normal = normalize_header(name)
        if normal:
            table.setdefault(normal, []).append((field, score))

    fields = ENTITY_FIELDS[entity]
    for field in fields:
        add(field, field, _EXACT)
        for name in SYNONYMS.get(field, ()):
            add(name, field, _EXACT)
        for name in LOOSE_SYNONYMS.get(field, ()):
            add(name, field, _LOOSE)
    for name, choices in AMBIGUOUS.items():
        for rank, field in enumerate(choices):
            if field in fields:
                add(name, field, _LOOSE - rank * 0.5)
    for custom in custom_fields:
        key, label, active, custom_entity = _custom_attributes(custom)
        if not key or not active or custom_entity not in (None, entity):
            continue
        add(label, f"custom.{key}", _CUSTOM)
        add(key, f"custom.{key}", _CUSTOM)
    return table


def _custom_attributes(custom) -> tuple[str, str, bool, str | None]:
    if isinstance(custom, Mapping):
        get = custom.get
    else:

        def get(name, default=None):
            return getattr(custom, name, default)

    return (
        get("key") or "",
        get("label") or "",
        bool(get("is_active", True)),
        get("entity", None),
    )


def _candidates(normal: str, table: dict[str, list[tuple[str, float]]]):
    if not normal:
        return []
    found = list(table.get(normal, ()))
    stem = _TRAILING_NUMBER.sub("", normal)
    if stem != normal:
        found += [(field, score - _NUMBERED_PENALTY) for field, score in table.get(stem, ())]
    for field, score in list(found):
        if field in FALLBACKS:
            found.append((FALLBACKS[field], min(score, _FALLBACK)))
    return found
