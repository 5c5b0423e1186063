"""The API of custom field definitions: /api/v1/fields/ (fields/api.py)."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.fields.models import CustomField

ADMINS_ONLY = {"detail": "Only system admins define custom fields."}


@pytest.fixture(autouse=True)
def no_throttles(settings):
    settings.LEADPOOL_RATES = {"login_ip": None, "login_username": None, "write": None}
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def field_rows() -> list[dict]:
    return list(CustomField.objects.order_by("pk").values())


def as_json(field: CustomField) -> dict:
    return {
        "id": field.pk,
        "entity": field.entity,
        "key": field.key,
        "label": field.label,
        "type": field.type,
        "is_required": field.is_required,
        "choices": field.choices,
        "order": field.order,
        "is_active": field.is_active,
    }


@pytest.fixture
def level(db):
    return CustomField.objects.create(
        entity="lead",
        key="level",
        label="Level",
        type=CustomField.Type.CHOICE,
        choices=["A", "B", "C"],
        order=1,
    )


@pytest.fixture
def budget(db):
    return CustomField.objects.create(
        entity="lead", key="budget", label="Budget", type=CustomField.Type.NUMBER, order=2
    )


@pytest.fixture
def retired(db):
    return CustomField.objects.create(
        entity="lead", key="fax", label="Fax", type=CustomField.Type.PHONE, is_active=False
    )


@pytest.fixture
def contract_date(db):
    return CustomField.objects.create(
        entity="customer", key="contract_date", label="Contract date", type=CustomField.Type.DATE
    )


# --- reading ---------------------------------------------------------------------------


def test_any_signed_in_user_lists_the_active_fields_of_a_record_type(
    outsider, level, budget, retired, contract_date
):
    # when
    response = client_for(outsider).get("/api/v1/fields/?entity=lead")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": budget.pk,
                "entity": "lead",
                "key": "budget",
                "label": "Budget",
                "type": "number",
                "is_required": False,
                "choices": [],
                "order": 2,
                "is_active": True,
            },
            {
                "id": level.pk,
                "entity": "lead",
                "key": "level",
                "label": "Level",
                "type": "choice",
                "is_required": False,
                "choices": ["A", "B", "C"],
                "order": 1,
                "is_active": True,
            },
        ],
        "next": None,
    }


def test_without_an_entity_the_list_has_both_record_types(
    rep_east, level, budget, retired, contract_date
):
    # when
    response = client_for(rep_east).get("/api/v1/fields/")
    # then
    assert [row["key"] for row in response.json()["results"]] == [
        "contract_date",
        "budget",
        "level",
    ]


def test_retired_fields_are_listed_with_active_false(rep_east, level, retired, contract_date):
    # when
    response = client_for(rep_east).get("/api/v1/fields/?entity=lead&active=false")
    # then
    assert response.status_code == 200
    assert response.json()["results"] == [as_json(retired), as_json(level)]


def test_an_unknown_entity_is_a_400(rep_east, level):
    # when
    response = client_for(rep_east).get("/api/v1/fields/?entity=opportunity")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"entity": ["Give lead or customer."]}}


def test_any_signed_in_user_retrieves_a_field_even_a_retired_one(rep_west, retired):
    # when
    response = client_for(rep_west).get(f"/api/v1/fields/{retired.pk}")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": retired.pk,
        "entity": "lead",
        "key": "fax",
        "label": "Fax",
        "type": "phone",
        "is_required": False,
        "choices": [],
        "order": 0,
        "is_active": False,
    }


def test_an_unknown_field_is_a_404(rep_west):
    # when
    response = client_for(rep_west).get("/api/v1/fields/999999")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such field."}


def test_listing_fields_needs_a_signed_in_user(db):
    # when
    response = APIClient().get("/api/v1/fields/")
    # then
    assert response.status_code == 401


# --- creating --------------------------------------------------------------------------


def test_a_system_admin_defines_a_field(admin):
    # when
    response = client_for(admin).post(
        "/api/v1/fields/",
        {
            "entity": "customer",
            "key": "tier",
            "label": " Tier ",
            "type": "multi_choice",
            "is_required": True,
            "choices": ["Gold", "Silver"],
            "order": 5,
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    field = CustomField.objects.get(key="tier")
    assert response.json() == {
        "id": field.pk,
        "entity": "customer",
        "key": "tier",
        "label": "Tier",
        "type": "multi_choice",
        "is_required": True,
        "choices": ["Gold", "Silver"],
        "order": 5,
        "is_active": True,
    }


@pytest.mark.parametrize("persona", ["manager", "pool_admin", "rep_east"])
def test_only_system_admins_define_fields(request, persona):
    # when
    response = client_for(request.getfixturevalue(persona)).post(
        "/api/v1/fields/",
        {"entity": "lead", "key": "tier", "label": "Tier", "type": "text"},
        format="json",
    )
    # then
    assert response.status_code == 403
    assert response.json() == ADMINS_ONLY
    assert not CustomField.objects.exists()


def test_a_new_field_needs_a_record_type_key_label_and_type(admin):
    # when
    response = client_for(admin).post("/api/v1/fields/", {"order": 1}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "entity": ["This field is required."],
            "key": ["This field is required."],
            "label": ["This field is required."],
            "type": ["This field is required."],
        }
    }
    assert not CustomField.objects.exists()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"type": "colour"}, {"type": ['"colour" is not a valid choice.']}),
        ({"entity": "order"}, {"entity": ['"order" is not a valid choice.']}),
        (
            {"key": "Tier Level"},
            {"key": ["Use lower-case letters, digits and underscores, starting with a letter."]},
        ),
        (
            {"key": "1st"},
            {"key": ["Use lower-case letters, digits and underscores, starting with a letter."]},
        ),
        ({"order": -1}, {"order": ["Ensure this value is greater than or equal to 0."]}),
        ({"label": "  "}, {"label": ["This field may not be blank."]}),
        ({"searchable": True}, {"searchable": ["Unknown field."]}),
    ],
)
def test_a_bad_definition_is_refused_and_nothing_is_written(admin, changes, errors):
    # when
    response = client_for(admin).post(
        "/api/v1/fields/",
        {"entity": "lead", "key": "tier", "label": "Tier", "type": "text", **changes},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert not CustomField.objects.exists()


@pytest.mark.parametrize(
    ("field_type", "choices", "errors"),
    [
        ("choice", [], {"choices": ["A choice field needs a list of choices."]}),
        ("multi_choice", ["A", " "], {"choices.1": ["This field may not be blank."]}),
        ("choice", ["A", "A"], {"choices": ["Choices must differ from each other."]}),
        ("text", ["A"], {"choices": ["Only choice fields have choices."]}),
    ],
)
def test_bad_choices_are_refused(admin, field_type, choices, errors):
    # when
    response = client_for(admin).post(
        "/api/v1/fields/",
        {"entity": "lead", "key": "tier", "label": "Tier", "type": field_type, "choices": choices},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert not CustomField.objects.exists()


def test_a_key_already_used_by_the_record_type_is_refused(admin, level, retired):
    # given
    before = field_rows()
    client = client_for(admin)
    # when
    active_key = client.post(
        "/api/v1/fields/",
        {"entity": "lead", "key": "level", "label": "Level 2", "type": "text"},
        format="json",
    )
    retired_key = client.post(
        "/api/v1/fields/",
        {"entity": "lead", "key": "fax", "label": "Fax 2", "type": "text"},
        format="json",
    )
    # then
    for response in (active_key, retired_key):
        assert response.status_code == 400
        assert response.json() == {"errors": {"key": ["There is already a field with this key."]}}
    assert field_rows() == before


def test_the_same_key_may_serve_the_other_record_type(admin, level):
    # when
    response = client_for(admin).post(
        "/api/v1/fields/",
        {"entity": "customer", "key": "level", "label": "Level", "type": "text"},
        format="json",
    )
    # then
    assert response.status_code == 201
    assert CustomField.objects.filter(key="level").count() == 2


# --- editing and retiring --------------------------------------------------------------


def test_a_system_admin_edits_a_fields_label_choices_and_order(admin, level):
    # when
    response = client_for(admin).patch(
        f"/api/v1/fields/{level.pk}",
        {"label": "Grade", "choices": ["A", "B", "C", "D"], "order": 9, "is_required": True},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": level.pk,
        "entity": "lead",
        "key": "level",
        "label": "Grade",
        "type": "choice",
        "is_required": True,
        "choices": ["A", "B", "C", "D"],
        "order": 9,
        "is_active": True,
    }
    level.refresh_from_db()
    assert as_json(level) == response.json()


@pytest.mark.parametrize(
    "changes",
    [{"key": "grade"}, {"type": "multi_choice"}, {"entity": "customer"}],
)
def test_a_fields_key_type_and_record_type_cannot_change(admin, level, changes):
    # given
    before = field_rows()
    # when
    response = client_for(admin).patch(f"/api/v1/fields/{level.pk}", changes, format="json")
    # then
    assert response.status_code == 400
    [name] = changes
    assert response.json() == {"errors": {name: ["This cannot change once the field exists."]}}
    assert field_rows() == before


def test_sending_the_unchanged_key_type_and_record_type_is_allowed(admin, level):
    # when
    response = client_for(admin).patch(
        f"/api/v1/fields/{level.pk}",
        {"key": "level", "type": "choice", "entity": "lead", "label": "Grade"},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json()["label"] == "Grade"


def test_an_edit_that_leaves_a_choice_field_without_choices_is_refused(admin, level):
    # given
    before = field_rows()
    # when
    response = client_for(admin).patch(f"/api/v1/fields/{level.pk}", {"choices": []}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"choices": ["A choice field needs a list of choices."]}}
    assert field_rows() == before


@pytest.mark.parametrize("persona", ["manager", "pool_admin", "rep_east"])
def test_only_system_admins_edit_or_retire_fields(request, level, persona):
    # given
    client = client_for(request.getfixturevalue(persona))
    before = field_rows()
    # when
    patched = client.patch(f"/api/v1/fields/{level.pk}", {"label": "Mine"}, format="json")
    deleted = client.delete(f"/api/v1/fields/{level.pk}")
    # then
    for response in (patched, deleted):
        assert response.status_code == 403
        assert response.json() == ADMINS_ONLY
    assert field_rows() == before


def test_deleting_a_field_retires_it(admin, rep_east, level):
    # when
    response = client_for(admin).delete(f"/api/v1/fields/{level.pk}")
    # then
    assert response.status_code == 204
    level.refresh_from_db()
    assert level.is_active is False
    listed = client_for(rep_east).get("/api/v1/fields/?entity=lead").json()["results"]
    assert listed == []


def test_a_retired_field_can_be_brought_back(admin, retired):
    # when
    response = client_for(admin).patch(
        f"/api/v1/fields/{retired.pk}", {"is_active": True}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["is_active"] is True


def test_editing_an_unknown_field_is_a_404(admin):
    # when
    patched = client_for(admin).patch("/api/v1/fields/999999", {"label": "X"}, format="json")
    deleted = client_for(admin).delete("/api/v1/fields/999999")
    # then
    for response in (patched, deleted):
        assert response.status_code == 404
        assert response.json() == {"detail": "No such field."}
