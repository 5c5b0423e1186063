"""Custom-field definitions and the validation of their values (fields/models.py, services.py)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from leadpool.fields.models import CustomField
from leadpool.fields.services import active_fields, clean_custom_values, clean_value

Type = CustomField.Type
CHOICES = ["Hot", "Warm", "Cold"]


@pytest.fixture
def make_field(db):
    def make(key="extra", type=Type.TEXT, *, entity="lead", label=None, **extra):
        if type in (Type.CHOICE, Type.MULTI_CHOICE):
            extra.setdefault("choices", list(CHOICES))
        return CustomField.objects.create(
            entity=entity, key=key, label=label or key.title(), type=type, **extra
        )

    return make


def _errors(raised) -> dict:
    return raised.value.message_dict


# --- every type: good values in their stored form ---------------------------------------


@pytest.mark.parametrize(
    ("field_type", "raw", "stored"),
    [
        (Type.TEXT, "Beijing office", "Beijing office"),
        (Type.TEXT, "  padded  ", "padded"),
        (Type.TEXT, 42, "42"),
        (Type.TEXT, "x" * 255, "x" * 255),
        (Type.LONG_TEXT, "line one\nline two", "line one\nline two"),
        (Type.LONG_TEXT, "x" * 10_000, "x" * 10_000),
        (Type.NUMBER, 12, 12),
        (Type.NUMBER, "12", 12),
        (Type.NUMBER, " 12.0 ", 12),
        (Type.NUMBER, "1,234.5", 1234.5),
        (Type.NUMBER, -3.25, -3.25),
        (Type.NUMBER, "1e3", 1000),
        (Type.DATE, "2024-05-01", "2024-05-01"),
        (Type.DATE, datetime.date(2024, 5, 1), "2024-05-01"),
        (Type.DATE, datetime.datetime(2024, 5, 1, 23, 0, tzinfo=datetime.UTC), "2024-05-01"),
        (Type.DATETIME, "2024-05-01T10:00:00+08:00", "2024-05-01T02:00:00+00:00"),
        (Type.DATETIME, "2024-05-01 10:00", "2024-05-01T02:00:00+00:00"),  # Asia/Shanghai
        (
            Type.DATETIME,
            datetime.datetime(2024, 5, 1, 2, 0, tzinfo=datetime.UTC),
            "2024-05-01T02:00:00+00:00",
        ),
        (Type.CHOICE, "Warm", "Warm"),
        (Type.CHOICE, " Warm ", "Warm"),
        (Type.MULTI_CHOICE, ["Hot", "Cold"], ["Hot", "Cold"]),
        (Type.MULTI_CHOICE, "Hot, Cold", ["Hot", "Cold"]),
        (Type.MULTI_CHOICE, ["Cold", "Hot", "Cold"], ["Cold", "Hot"]),
        (Type.PHONE, "138 0013 8000", "+8613800138000"),
        (Type.PHONE, "010-62345678", "+861062345678"),
        (Type.EMAIL, " Zhang@Example.COM ", "zhang@example.com"),
        (Type.URL, "https://example.com/path?q=1", "https://example.com/path?q=1"),
        (Type.URL, " http://example.cn ", "http://example.cn"),
        (Type.BOOLEAN, True, True),
        (Type.BOOLEAN, False, False),
        (Type.BOOLEAN, "yes", True),
        (Type.BOOLEAN, "Y", True),
        (Type.BOOLEAN, "1", True),
        (Type.BOOLEAN, 1, True),
        (Type.BOOLEAN, "是", True),
        (Type.BOOLEAN, "no", False),
        (Type.BOOLEAN, 0, False),
        (Type.BOOLEAN, "否", False),
    ],
)
def test_each_type_accepts_good_values_in_their_stored_form(make_field, field_type, raw, stored):
    # given
    field = make_field(type=field_type)
    # when
    cleaned = clean_value(field, raw)
    # then
    assert (cleaned, type(cleaned)) == (stored, type(stored))


@pytest.mark.parametrize("field_type", list(Type))
@pytest.mark.parametrize("blank", [None, "", "   ", []])
def test_blank_values_of_every_type_clean_to_none(make_field, field_type, blank):
    # given
    field = make_field(type=field_type)
    # when
    cleaned = clean_value(field, blank)
    # then
    assert cleaned is None


# --- every type: bad values rejected with a message -------------------------------------


@pytest.mark.parametrize(
    ("field_type", "raw", "message"),
    [
        (Type.TEXT, "x" * 256, "Enter at most 255 characters (this has 256)."),
        (Type.TEXT, True, "Enter text."),
        (Type.TEXT, ["a"], "Enter text."),
        (Type.TEXT, {"a": 1}, "Enter text."),
        (Type.LONG_TEXT, "x" * 10_001, "Enter at most 10000 characters (this has 10001)."),
        (Type.NUMBER, "abc", "“abc” is not a number."),
        (Type.NUMBER, "12 apples", "“12 apples” is not a number."),
        (Type.NUMBER, "NaN", "“NaN” is not a number."),
        (Type.NUMBER, "Infinity", "“Infinity” is not a number."),
        (Type.NUMBER, True, "Enter a number."),
        (Type.DATE, "2024-02-30", "“2024-02-30” is not a date (YYYY-MM-DD)."),
        (Type.DATE, "2024/05/01", "“2024/05/01” is not a date (YYYY-MM-DD)."),
        (Type.DATE, "tomorrow", "“tomorrow” is not a date (YYYY-MM-DD)."),
        (
            Type.DATETIME,
            "2024-13-01T10:00",
            "“2024-13-01T10:00” is not a date and time (ISO 8601) between 1970 and 2099.",
        ),
        (
            Type.DATETIME,
            "yesterday",
            "“yesterday” is not a date and time (ISO 8601) between 1970 and 2099.",
        ),
        (Type.CHOICE, "hot", "“hot” is not one of the choices: Hot, Warm, Cold."),
        (Type.CHOICE, "Lukewarm", "“Lukewarm” is not one of the choices: Hot, Warm, Cold."),
        (
            Type.MULTI_CHOICE,
            ["Hot", "Lukewarm", "Tepid"],
            "“Lukewarm, Tepid” is not one of the choices: Hot, Warm, Cold.",
        ),
        (Type.MULTI_CHOICE, "Hot, Icy", "“Icy” is not one of the choices: Hot, Warm, Cold."),
        (Type.PHONE, "12345", "“12345” is not a valid phone number."),
        (Type.EMAIL, "zhang@", "“zhang@” is not a valid e-mail address."),
        (Type.URL, "example.com", "“example.com” is not a valid URL."),
        (Type.URL, "ftp://example.com/file", "“ftp://example.com/file” is not a valid URL."),
        (Type.URL, "javascript:alert(1)", "“javascript:alert(1)” is not a valid URL."),
        (Type.BOOLEAN, "maybe", "“maybe” is not yes or no."),
        (Type.BOOLEAN, 2, "“2” is not yes or no."),
    ],
)
def test_each_type_rejects_bad_values_with_a_message(make_field, field_type, raw, message):
    # given
    field = make_field(type=field_type)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_value(field, raw)
    # then
    assert raised.value.messages == [message]


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59-10:00",
        "0001-01-01T00:00:00+08:00",
        "0001-01-01T00:00:00",
        "1358-10-19T16:28:32-22:44",
        "2100-01-01T00:00:00Z",
    ],
)
def test_a_datetime_outside_1970_to_2099_is_rejected(make_field, raw):
    # given
    field = make_field(type=Type.DATETIME)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_value(field, raw)
    # then
    assert raised.value.messages == [
        f"“{raw}” is not a date and time (ISO 8601) between 1970 and 2099."
    ]


@pytest.mark.parametrize("raw", ["1" + "0" * 400 + ".5", "1e400", "-1e400"])
def test_a_number_too_large_to_store_is_rejected(make_field, raw):
    # given
    field = make_field(type=Type.NUMBER)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_value(field, raw)
    # then
    assert raised.value.messages == [f"“{raw}” is too large."]


# --- clean_custom_values ----------------------------------------------------------------


def test_values_are_cleaned_into_their_stored_form_together(make_field):
    # given
    make_field("budget", Type.NUMBER)
    make_field("visit_on", Type.DATE)
    make_field("tags", Type.MULTI_CHOICE)
    make_field("vip", Type.BOOLEAN)
    # when
    cleaned = clean_custom_values(
        entity="lead",
        values={"budget": "1,000", "visit_on": "2024-05-01", "tags": "Hot,Cold", "vip": "是"},
    )
    # then
    assert cleaned == {
        "budget": 1000,
        "visit_on": "2024-05-01",
        "tags": ["Hot", "Cold"],
        "vip": True,
    }


def test_errors_of_several_keys_are_raised_together_keyed_custom_dot_key(make_field):
    # given
    make_field("budget", Type.NUMBER)
    make_field("site", Type.URL)
    make_field("note", Type.TEXT)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(
            entity="lead",
            values={"budget": "lots", "site": "nowhere", "note": "fine", "colour": "red"},
        )
    # then
    assert _errors(raised) == {
        "custom.budget": ["“lots” is not a number."],
        "custom.site": ["“nowhere” is not a valid URL."],
        "custom.colour": ["There is no custom field “colour”."],
    }


def test_unknown_keys_are_errors(make_field):
    # given
    make_field("budget", Type.NUMBER)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values={"budgte": 5})
    # then
    assert _errors(raised) == {"custom.budgte": ["There is no custom field “budgte”."]}


def test_a_field_of_the_other_record_type_is_unknown(make_field):
    # given
    make_field("credit_limit", Type.NUMBER, entity="customer")
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values={"credit_limit": 5})
    # then
    assert _errors(raised) == {"custom.credit_limit": ["There is no custom field “credit_limit”."]}


def test_values_must_be_given_as_an_object(make_field):
    # given
    make_field("budget", Type.NUMBER)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values=[("budget", 5)])
    # then
    assert _errors(raised) == {"custom": ["Custom fields must be an object of key: value."]}


def test_a_required_field_must_have_a_value_on_create(make_field):
    # given
    make_field("budget", Type.NUMBER, label="Budget", is_required=True)
    make_field("note", Type.TEXT)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values={"note": "hello"})
    # then
    assert _errors(raised) == {"custom.budget": ["Budget is required."]}


@pytest.mark.parametrize("blank", ["", None, "  "])
def test_a_required_field_given_blank_on_create_is_required(make_field, blank):
    # given
    make_field("budget", Type.NUMBER, label="Budget", is_required=True)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values={"budget": blank})
    # then
    assert _errors(raised) == {"custom.budget": ["Budget is required."]}


def test_a_required_field_with_a_bad_value_reports_the_bad_value(make_field):
    # given
    make_field("budget", Type.NUMBER, label="Budget", is_required=True)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values={"budget": "lots"})
    # then
    assert _errors(raised) == {"custom.budget": ["“lots” is not a number."]}


def test_a_required_field_may_be_left_alone_on_update(make_field):
    # given
    make_field("budget", Type.NUMBER, label="Budget", is_required=True)
    make_field("note", Type.TEXT)
    # when
    cleaned = clean_custom_values(entity="lead", values={"note": "hi"}, existing={})
    # then
    assert cleaned == {"note": "hi"}


@pytest.mark.parametrize("blank", ["", None])
def test_a_required_field_may_not_be_cleared_on_update(make_field, blank):
    # given
    make_field("budget", Type.NUMBER, label="Budget", is_required=True)
    existing = {"budget": 100}
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values={"budget": blank}, existing=existing)
    # then
    assert _errors(raised) == {"custom.budget": ["Budget is required."]}
    assert existing == {"budget": 100}


def test_an_update_merges_into_the_existing_values_without_changing_them(make_field):
    # given
    make_field("budget", Type.NUMBER)
    make_field("note", Type.TEXT)
    existing = {"budget": 100, "note": "old"}
    # when
    cleaned = clean_custom_values(entity="lead", values={"note": "new"}, existing=existing)
    # then
    assert cleaned == {"budget": 100, "note": "new"}
    assert existing == {"budget": 100, "note": "old"}


def test_blanking_an_optional_field_removes_its_value(make_field):
    # given
    make_field("budget", Type.NUMBER)
    make_field("note", Type.TEXT)
    # when
    cleaned = clean_custom_values(
        entity="lead", values={"note": ""}, existing={"budget": 100, "note": "old"}
    )
    # then
    assert cleaned == {"budget": 100}


def test_an_inactive_field_is_unknown_to_new_values(make_field):
    # given
    make_field("legacy_code", Type.TEXT, is_active=False)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_custom_values(entity="lead", values={"legacy_code": "A1"})
    # then
    assert _errors(raised) == {"custom.legacy_code": ["There is no custom field “legacy_code”."]}


def test_an_inactive_required_field_is_not_required(make_field):
    # given
    make_field("legacy_code", Type.TEXT, is_required=True, is_active=False)
    # when
    cleaned = clean_custom_values(entity="lead", values={})
    # then
    assert cleaned == {}


def test_an_inactive_fields_stored_value_is_kept_on_update(make_field):
    # given
    make_field("legacy_code", Type.TEXT, is_active=False)
    make_field("note", Type.TEXT)
    # when
    cleaned = clean_custom_values(
        entity="lead", values={"note": "n"}, existing={"legacy_code": "A1"}
    )
    # then
    assert cleaned == {"legacy_code": "A1", "note": "n"}


def test_active_fields_lists_only_the_active_fields_of_one_record_type(make_field):
    # given
    budget = make_field("budget", Type.NUMBER)
    make_field("legacy_code", Type.TEXT, is_active=False)
    make_field("credit_limit", Type.NUMBER, entity="customer")
    # when
    fields = active_fields("lead")
    # then
    assert fields == {"budget": budget}


def test_explicit_definitions_replace_the_database_lookup(make_field):
    # given
    stored = make_field("budget", Type.NUMBER)
    draft = CustomField(entity="lead", key="size", label="Size", type=Type.CHOICE, choices=["S"])
    # when
    cleaned = clean_custom_values(entity="lead", values={"size": "S"}, definitions={"size": draft})
    # then
    assert cleaned == {"size": "S"}
    assert stored.key not in cleaned


# --- CustomField.clean() ----------------------------------------------------------------


@pytest.mark.parametrize("field_type", [Type.CHOICE, Type.MULTI_CHOICE])
def test_a_choice_field_with_distinct_choices_is_valid(field_type):
    # given
    field = CustomField(entity="lead", key="heat", label="Heat", type=field_type, choices=CHOICES)
    # when
    field.clean()
    # then
    assert field.choices == CHOICES


@pytest.mark.parametrize("field_type", [Type.CHOICE, Type.MULTI_CHOICE])
@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([], "A choice field needs a list of choices."),
        (["Hot", ""], "A choice field needs a list of choices."),
        (["Hot", "  "], "A choice field needs a list of choices."),
        (["Hot", 1], "A choice field needs a list of choices."),
        (["Hot", "Hot"], "Choices must differ from each other."),
        ("Hot,Cold", "Choices must be a list."),
        ({"Hot": 1}, "Choices must be a list."),
    ],
)
def test_a_choice_field_needs_a_list_of_distinct_non_blank_choices(field_type, choices, message):
    # given
    field = CustomField(entity="lead", key="heat", label="Heat", type=field_type, choices=choices)
    # when
    with pytest.raises(ValidationError) as raised:
        field.clean()
    # then
    assert raised.value.message_dict == {"choices": [message]}


@pytest.mark.parametrize(
    "field_type", [t for t in Type if t not in (Type.CHOICE, Type.MULTI_CHOICE)]
)
def test_only_choice_fields_have_choices(field_type):
    # given
    field = CustomField(entity="lead", key="x", label="X", type=field_type, choices=["a"])
    # when
    with pytest.raises(ValidationError) as raised:
        field.clean()
    # then
    assert raised.value.message_dict == {"choices": ["Only choice fields have choices."]}


@pytest.mark.parametrize(
    "field_type", [t for t in Type if t not in (Type.CHOICE, Type.MULTI_CHOICE)]
)
def test_other_fields_without_choices_are_valid(field_type):
    # given
    field = CustomField(entity="lead", key="x", label="X", type=field_type)
    # when
    field.clean()
    # then
    assert field.choices == []


@pytest.mark.parametrize("key", ["Budget", "1st", "has space", "_x", "a-b"])
def test_a_key_must_be_lower_case_letters_digits_and_underscores(db, key):
    # given
    field = CustomField(entity="lead", key=key, label="X", type=Type.TEXT)
    # when
    with pytest.raises(ValidationError) as raised:
        field.full_clean()
    # then
    assert raised.value.message_dict == {
        "key": ["Use lower-case letters, digits and underscores, starting with a letter."]
    }


def test_text_with_a_nul_character_is_refused(make_field):
    # given
    field = make_field(type=Type.TEXT)
    # when
    with pytest.raises(ValidationError) as raised:
        clean_value(field, "a\x00b")
    # then
    assert raised.value.messages == ["Remove the NUL character."]
