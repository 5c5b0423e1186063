"""/api/v1/forms/: only system admins and the pool's admins manage a pool's forms."""

import pytest
from rest_framework.test import APIClient

from leadpool.capture.models import LeadForm
from leadpool.fields.models import CustomField

pytestmark = pytest.mark.django_db

FIELDS = [{"key": "name", "required": True}, {"key": "phone"}]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_pool_admin_creates_a_form_with_its_snippets(pool_admin, lead_pool):
    # when
    response = api(pool_admin).post("/api/v1/forms/", {
        "pool": lead_pool.pk, "name": "Expo 2027", "fields": FIELDS,
        "allowed_origins": ["https://WWW.Example.com/"], "thank_you_message": "Thanks!",
    }, format="json")  # fmt: skip
    # then
    assert response.status_code == 201
    body = response.json()
    form = LeadForm.objects.get()
    assert body["token"] == form.token and len(form.token) >= 40
    assert body["fields"] == [{"key": "name", "required": True},
                              {"key": "phone", "required": False}]  # fmt: skip
    assert body["allowed_origins"] == ["https://www.example.com"]
    assert body["url"] == f"http://testserver/forms/{form.token}"
    assert f'<iframe src="http://testserver/forms/{form.token}"' in body["embed_html"]["iframe"]
    assert f'action="http://testserver/forms/{form.token}"' in body["embed_html"]["form"]
    assert 'name="website"' in body["embed_html"]["form"]
    assert form.created_by == pool_admin


def test_a_pool_member_who_is_not_its_admin_cannot_create_a_form(member, lead_pool):
    # when
    response = api(member).post("/api/v1/forms/", {"pool": lead_pool.pk, "name": "Mine",
                                                   "fields": FIELDS}, format="json")  # fmt: skip
    # then
    assert response.status_code == 403
    assert LeadForm.objects.count() == 0


def test_an_outsider_neither_creates_nor_sees_forms(outsider, lead_form, lead_pool):
    # when
    created = api(outsider).post("/api/v1/forms/", {"pool": lead_pool.pk, "name": "Mine",
                                                    "fields": FIELDS}, format="json")  # fmt: skip
    listed = api(outsider).get("/api/v1/forms/")
    shown = api(outsider).get(f"/api/v1/forms/{lead_form.pk}/")
    changed = api(outsider).patch(f"/api/v1/forms/{lead_form.pk}/", {"name": "X"}, format="json")
    # then
    assert created.status_code == 400
    assert created.json()["errors"]["pool"] == [f"There is no pool {lead_pool.pk}."]
    assert listed.json() == {"results": [], "next": None}
    assert (shown.status_code, changed.status_code) == (404, 404)
    assert LeadForm.objects.get().name == "Website contact"


def test_members_do_not_see_their_pools_forms(member, lead_form):
    # when
    response = api(member).get("/api/v1/forms/")
    # then
    assert response.json()["results"] == []


def test_a_system_admin_sees_and_edits_every_form(admin, lead_form):
    # when
    listed = api(admin).get("/api/v1/forms/")
    changed = api(admin).patch(f"/api/v1/forms/{lead_form.pk}/", {"is_active": False},
                               format="json")  # fmt: skip
    # then
    assert [row["id"] for row in listed.json()["results"]] == [lead_form.pk]
    assert changed.status_code == 200
    assert changed.json()["is_active"] is False


def test_a_form_goes_on_a_lead_pool_only(pool_admin, customer_pool):
    # when
    body = {"pool": customer_pool.pk, "name": "X", "fields": FIELDS}
    response = api(pool_admin).post("/api/v1/forms/", body, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["errors"]["pool"] == ["“Customer pool” is not a lead pool."]


def test_bad_settings_are_named(pool_admin, lead_pool):
    # given
    CustomField.objects.create(entity="lead", key="budget", label="Budget", type="number",
                               is_required=True)  # fmt: skip
    # when
    response = api(pool_admin).post("/api/v1/forms/", {
        "pool": lead_pool.pk, "name": "X",
        "fields": [{"key": "phone"}, {"key": "owner"}, {"key": "custom.nope"}],
        "allowed_origins": ["example.com", "https://ok.example"],
        "redirect_url": "javascript:alert(1)", "colour": "red",
    }, format="json")  # fmt: skip
    # then
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"colour"}  # unknown fields are refused before the rest is judged
    response = api(pool_admin).post("/api/v1/forms/", {
        "pool": lead_pool.pk, "name": "X",
        "fields": [{"key": "phone"}, {"key": "owner"}, {"key": "custom.nope"}],
        "allowed_origins": ["example.com", "https://ok.example"],
        "redirect_url": "javascript:alert(1)",
    }, format="json")  # fmt: skip
    errors = response.json()["errors"]
    assert errors["fields"] == [
        "There is no field “owner”.",
        "There is no field “custom.nope”.",
        "Ask for a name or a company: a lead needs one.",
        "Ask “custom.budget” as required: every lead needs it.",
    ]
    assert errors["allowed_origins"] == ["Not an origin (scheme://host[:port]): example.com."]
    assert errors["redirect_url"] == ["Enter an http or https address."]
    assert LeadForm.objects.count() == 0


def test_a_pool_admin_deletes_a_form_and_its_address_is_gone(client, pool_admin, lead_form):
    # when
    response = api(pool_admin).delete(f"/api/v1/forms/{lead_form.pk}/")
    # then
    assert response.status_code == 204
    assert client.get(f"/forms/{lead_form.token}").status_code == 404
