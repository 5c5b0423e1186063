"""Settings → Custom fields and Conversion mapping: the API's rules (fields/services.py,
customers/services.py) behind web forms, their refusals shown on the fields."""

from django.urls import reverse

from leadpool.customers.models import CustomFieldMapping
from leadpool.fields.models import CustomField

LEAD_FIELDS = reverse("web:settings_fields", args=["lead"])
NEW_LEAD_FIELD = reverse("web:settings_field_create", args=["lead"])
MAPPING = reverse("web:settings_mapping")


def field_form(**changes) -> dict:
    data = {
        "key": "budget",
        "label": "预算",
        "type": "number",
        "choices": "",
        "order": "0",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def customer_field(key="grade", type="choice", choices=("A", "B", "C"), **extra) -> CustomField:
    return CustomField.objects.create(
        entity="customer", key=key, label=key.title(), type=type, choices=list(choices), **extra
    )


def test_the_list_shows_one_record_types_fields(client_for, admin, level_field):
    # given
    customer_field()
    # when
    leads = client_for(admin).get(LEAD_FIELDS).content.decode()
    customers = client_for(admin).get(reverse("web:settings_fields", args=["customer"]))
    # then
    assert "客户等级" in leads and "Grade" not in leads
    assert "Grade" in customers.content.decode()
    assert client_for(admin).get("/settings/fields/order/").status_code == 404


def test_an_admin_creates_a_choice_field(client_for, admin):
    # when
    response = client_for(admin).post(
        NEW_LEAD_FIELD,
        field_form(
            key="level",
            label="级别",
            type="choice",
            choices="A\n B \n\nC",
            is_required="on",
            entity="customer",  # not the form's to set: the page is the lead fields'
        ),
    )
    # then
    assert response["Location"] == LEAD_FIELDS
    field = CustomField.objects.get(key="level")
    assert (field.entity, field.label, field.type) == ("lead", "级别", "choice")
    assert (field.choices, field.is_required, field.is_active) == (["A", "B", "C"], True, True)


def test_the_services_refusals_appear_on_the_fields(client_for, admin, level_field):
    client = client_for(admin)
    # when
    bad_key = client.post(NEW_LEAD_FIELD, field_form(key="Bad Key"))
    taken = client.post(NEW_LEAD_FIELD, field_form(key="level"))
    no_choices = client.post(NEW_LEAD_FIELD, field_form(type="choice"))
    stray_choices = client.post(NEW_LEAD_FIELD, field_form(choices="A\nB"))
    # then
    for response, message in (
        (bad_key, "Use lower-case letters, digits and underscores, starting with a letter."),
        (taken, "There is already a field with this key."),
        (no_choices, "A choice field needs a list of choices."),
        (stray_choices, "Only choice fields have choices."),
    ):
        assert response.status_code == 400
        assert message in response.content.decode()
    assert list(CustomField.objects.values_list("key", flat=True)) == ["level"]


def test_an_admin_edits_and_retires_a_field_but_not_its_key_or_type(client_for, admin, level_field):
    # when
    response = client_for(admin).post(
        reverse("web:settings_field", args=["lead", level_field.pk]),
        field_form(
            key="renamed",
            type="text",
            label="等级",
            choices="A\nB\nC",
            is_required="on",
            order="5",
            is_active=None,
        ),
    )
    # then
    assert response.status_code == 302
    level_field.refresh_from_db()
    assert (level_field.key, level_field.type) == ("level", "choice")
    assert (level_field.label, level_field.choices, level_field.order) == (
        "等级",
        ["A", "B", "C"],
        5,
    )
    assert level_field.is_required and not level_field.is_active


def test_a_field_is_edited_under_its_own_record_type_only(client_for, admin, level_field):
    # then
    url = reverse("web:settings_field", args=["customer", level_field.pk])
    assert client_for(admin).get(url).status_code == 404


def test_a_rep_may_not_define_fields(client_for, rep_east):
    # when
    response = client_for(rep_east).post(NEW_LEAD_FIELD, field_form())
    # then
    assert response.status_code == 403
    assert not CustomField.objects.exists()


def test_the_field_list_escapes_labels(client_for, admin):
    # given
    CustomField.objects.create(
        entity="lead", key="x", label="<img src=x onerror=alert(1)>", type="text"
    )
    # when
    page = client_for(admin).get(LEAD_FIELDS).content.decode()
    # then
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- conversion mapping ------------------------------------------------------------------


def test_the_mapping_page_shows_the_fixed_and_the_custom_mapping(client_for, admin, level_field):
    # given
    grade = customer_field()
    CustomFieldMapping.objects.create(lead_field=level_field, customer_field=grade)
    # when
    page = client_for(admin).get(MAPPING).content.decode()
    # then
    assert "Always carried over: 9 fields of every lead" in page
    assert f'name="lead_{level_field.pk}"' in page
    assert f'<option value="{grade.pk}" selected>' in page


def test_an_admin_maps_a_lead_field_onto_a_customer_field(client_for, admin, level_field):
    # given
    grade = customer_field()
    # when
    response = client_for(admin).post(MAPPING, {f"lead_{level_field.pk}": grade.pk})
    # then
    assert response["Location"] == MAPPING
    mapping = CustomFieldMapping.objects.get()
    assert (mapping.lead_field, mapping.customer_field) == (level_field, grade)


def test_an_incompatible_mapping_is_refused_and_nothing_is_saved(client_for, admin, level_field):
    # given a second lead field that could be mapped, and a customer field lacking a choice
    notes = CustomField.objects.create(entity="lead", key="memo", label="Memo", type="text")
    memo = customer_field(key="memo", type="long_text", choices=())
    narrow = customer_field(key="narrow", choices=("A",))
    # when
    response = client_for(admin).post(
        MAPPING, {f"lead_{level_field.pk}": narrow.pk, f"lead_{notes.pk}": memo.pk}
    )
    # then
    assert response.status_code == 400
    assert "The customer field lacks the choices: B." in response.content.decode()
    assert not CustomFieldMapping.objects.exists()


def test_choosing_none_removes_a_mapping(client_for, admin, level_field):
    # given
    CustomFieldMapping.objects.create(lead_field=level_field, customer_field=customer_field())
    # when
    response = client_for(admin).post(MAPPING, {f"lead_{level_field.pk}": ""})
    # then
    assert response.status_code == 302
    assert not CustomFieldMapping.objects.exists()


def test_a_manager_may_not_change_the_mapping(client_for, manager, level_field):
    # when
    response = client_for(manager).post(MAPPING, {f"lead_{level_field.pk}": customer_field().pk})
    # then
    assert response.status_code == 403
    assert not CustomFieldMapping.objects.exists()


def test_choices_are_held_to_the_apis_limits(client_for, admin):
    # when
    response = client_for(admin).post(
        NEW_LEAD_FIELD, field_form(key="level", type="choice", choices="A\n" + "长" * 101)
    )
    # then
    assert response.status_code == 400
    assert "Keep each choice to 100 characters" in response.content.decode()
    assert not CustomField.objects.exists()
