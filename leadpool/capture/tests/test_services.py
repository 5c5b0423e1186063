"""capture.services: custom fields on forms, whom a submission acts as, duplicates."""

import pytest

from leadpool.activity.models import FollowUp
from leadpool.capture import services
from leadpool.fields.models import CustomField
from leadpool.leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def level(db):
    return CustomField.objects.create(
        entity="lead", key="level", label="Level", type="choice", choices=["A", "B"]
    )


def test_custom_fields_are_asked_and_stored(submit, lead_form, level):
    # given
    lead_form.fields = [*lead_form.fields, {"key": "custom.level", "required": True}]
    lead_form.save()
    # when: a script nests them, a browser's form flattens them
    nested = submit(lead_form, {"name": "Li Lei", "custom": {"level": "A"}})
    flat = submit(lead_form, {"name": "Han Meimei", "custom.level": "B"}, as_form=True)
    wrong = submit(lead_form, {"name": "Wang Wu", "custom.level": "Z"})
    missing = submit(lead_form, {"name": "Zhao Liu"})
    # then
    assert (nested.status_code, flat.status_code) == (201, 200)
    assert dict(Lead.objects.values_list("name", "custom__level")) == {
        "Li Lei": "A",
        "Han Meimei": "B",
    }
    assert wrong.json() == {"errors": {"custom.level": ["“Z” is not one of the choices: A, B."]}}
    assert missing.json() == {"errors": {"custom.level": ["This field is required."]}}


def test_the_page_shows_custom_fields_by_their_label(client, lead_form, level):
    # given
    lead_form.fields = [*lead_form.fields, {"key": "custom.level", "required": False}]
    lead_form.save()
    # when
    page = client.get(f"/forms/{lead_form.token}").content.decode()
    # then
    assert ">Level</label>" in page
    assert '<select id="f-6" name="custom.level">' in page


def test_a_form_acts_as_a_pool_admin_once_its_creator_lost_the_pool(
    lead_form, lead_pool, pool_admin, member
):
    # given: the creator is no longer an admin of the pool; member now is
    lead_pool.admins.set([member])
    # when
    actor = services.acting_user(lead_form)
    # then
    assert actor == member


def test_a_duplicate_prefers_the_lead_in_the_forms_pool(
    lead_form, lead_pool, make_lead, make_customer, customer_pool
):
    # given: the same e-mail on a customer and on a lead of the form's pool
    make_customer(pool=customer_pool, email="li@example.com")
    lead = make_lead(pool=lead_pool, email="li@example.com")
    data = services.clean_submission(lead_form, {"name": "Li Lei", "email": "li@example.com"})
    # when
    submission = services.submit_form(form=lead_form, data=data)
    # then
    assert submission.created is False
    assert submission.record == lead
    assert FollowUp.objects.get().lead == lead
