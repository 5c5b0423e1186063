"""Suggesting fields for an import file's columns (transfer/matching.py)."""

import pytest

from leadpool.transfer.matching import (
    SYNONYMS,
    duplicate_headers,
    name_parts,
    normalize_header,
    suggest_mapping,
    unmapped,
)

WECHAT = {"key": "wechat", "label": "微信", "entity": "lead"}


def test_the_chinese_lead_template_maps_to_the_right_fields():
    # given the headers of Kevin-Hu88/lead-system's 客户导入模板.xlsx and a 微信 custom field
    headers = ["名称", "联系人", "电话", "邮箱", "微信", "地址", "类型", "区域", "需求", "备注"]

    # when
    mapping = suggest_mapping(headers, entity="lead", custom_fields=[WECHAT])

    # then 名称 is the organisation because 联系人 names the person
    assert mapping == {
        "名称": "company",
        "联系人": "name",
        "电话": "phone",
        "邮箱": "email",
        "微信": "custom.wechat",
        "地址": None,
        "类型": None,
        "区域": "region",
        "需求": None,
        "备注": "notes",
    }
    assert unmapped(headers, mapping) == ["地址", "类型", "需求"]


def test_leadpools_own_chinese_export_headers_map_back_to_their_fields():
    # given the zh-Hans labels LeadPool exports with
    headers = ["名称", "公司", "电话", "其他电话", "邮箱", "来源", "地区", "行业", "备注"]

    mapping = suggest_mapping(headers, entity="customer", custom_fields=[])

    assert list(mapping.values()) == [
        "name", "company", "phone", "other_phone", "email", "source", "region", "industry",
        "notes",
    ]  # fmt: skip


def test_english_export_labels_and_field_keys_map_back():
    labels = ["name", "company", "phone", "other phone", "e-mail", "source", "region",
              "industry", "notes"]  # fmt: skip
    keys = list(SYNONYMS)

    assert list(suggest_mapping(labels, entity="lead").values()) == keys
    assert list(suggest_mapping(keys, entity="lead").values()) == keys


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("*姓名", "name"),
        ("姓名*", "name"),
        ("姓名（必填）", "name"),
        ("【必填】姓名", "name"),
        ("Ｅ－ｍａｉｌ", "email"),
        ("E-Mail Address", "email"),
        (" Phone ", "phone"),
        ("手机号码", "phone"),
        ("ＴＥＬ", "phone"),
        ("Contact Name", "name"),
        ("Full_Name", "name"),
        ("客户名称", "name"),
        ("企业名称", "company"),
        ("工作单位", "company"),
        ("Organization", "company"),
        ("线索来源", "source"),
        ("Lead Source", "source"),
        ("省份", "region"),
        ("城市", "region"),
        ("所属行业", "industry"),
        ("Description", "notes"),
        ("座机", "other_phone"),
        ("Name* (s.nom)", "name"),
    ],
)
def test_a_single_header_is_recognised_whatever_its_dress(header, field):
    assert suggest_mapping([header], entity="lead") == {header: field}


def test_each_field_goes_to_one_column_the_best_match_winning():
    # given two columns for region and three that could be the phone
    headers = ["城市", "地区", "电话", "手机号码", "联系电话"]

    mapping = suggest_mapping(headers, entity="lead")

    # then 地区 beats the looser 城市; the first phone column wins, the next is the other phone
    assert mapping == {
        "城市": None,
        "地区": "region",
        "电话": "phone",
        "手机号码": "other_phone",
        "联系电话": None,
    }
    chosen = [field for field in mapping.values() if field]
    assert len(chosen) == len(set(chosen))


def test_numbered_columns_fill_the_field_and_its_second_field():
    # given the columns of datablist's leads-100.csv
    headers = ["Index", "Account Id", "Lead Owner", "First Name", "Last Name", "Company",
               "Phone 1", "Phone 2", "Email 1", "Email 2", "Website", "Source", "Deal Stage",
               "Notes"]  # fmt: skip

    mapping = suggest_mapping(headers, entity="lead")

    assert {header: field for header, field in mapping.items() if field} == {
        "Company": "company",
        "Phone 1": "phone",
        "Phone 2": "other_phone",
        "Email 1": "email",
        "Source": "source",
        "Notes": "notes",
    }
    assert unmapped(headers, mapping) == [
        "Index", "Account Id", "Lead Owner", "First Name", "Last Name", "Email 2", "Website",
        "Deal Stage",
    ]  # fmt: skip
    assert name_parts(headers, mapping) == ("First Name", "Last Name")


def test_name_parts_are_not_offered_when_a_column_maps_to_name():
    headers = ["姓", "名", "联系人"]
    mapping = suggest_mapping(headers, entity="lead")

    assert mapping["联系人"] == "name"
    assert name_parts(headers, mapping) is None
    assert name_parts(["姓", "名"], suggest_mapping(["姓", "名"], entity="lead")) == ("名", "姓")


def test_dolibarr_headers_with_hints_and_required_marks():
    headers = ["Name* (s.nom)", "Status (s.status)", "Town (s.ville)", "Phone (s.tel)",
               "Fax (s.fax)", "Email (s.email)", "Note (s.note)"]  # fmt: skip

    mapping = suggest_mapping(headers, entity="lead")

    assert mapping == {
        "Name* (s.nom)": "name",
        "Status (s.status)": None,
        "Town (s.ville)": "region",
        "Phone (s.tel)": "phone",
        "Fax (s.fax)": None,
        "Email (s.email)": "email",
        "Note (s.note)": "notes",
    }


def test_custom_fields_match_by_label_or_key_and_beat_standard_synonyms():
    class Field:  # a CustomField stand-in: the matcher reads attributes
        def __init__(self, key, label, is_active=True, entity="lead"):
            self.key, self.label, self.is_active, self.entity = key, label, is_active, entity

    custom = [
        Field("wechat_id", "微信号"),
        Field("budget", "预算（万元）"),
        Field("channel", "渠道"),
        Field("old", "旧字段", is_active=False),
        Field("tier", "客户等级", entity="customer"),
    ]
    headers = ["WeChat_ID", "预算", "渠道", "旧字段", "客户等级"]

    mapping = suggest_mapping(headers, entity="lead", custom_fields=custom)

    assert mapping == {
        "WeChat_ID": "custom.wechat_id",
        "预算": "custom.budget",
        "渠道": "custom.channel",
        "旧字段": None,
        "客户等级": None,
    }


def test_repeated_and_blank_headers():
    headers = ["电话", "", "电话", "  "]

    mapping = suggest_mapping(headers, entity="lead")

    assert mapping == {"电话": "phone", "": None, "  ": None}
    assert unmapped(headers, mapping) == []
    assert duplicate_headers(headers) == ["电话"]


def test_an_unknown_entity_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown entity"):
        suggest_mapping(["姓名"], entity="contact")


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("*Ｅ－ｍａｉｌ (必填)", "email"),
        (" Full  Name ", "fullname"),
        ("手机号码：", "手机号码"),
        ("Phone (s.tel)", "phone"),
    ],
)
def test_normalize_header(header, normal):
    assert normalize_header(header) == normal
