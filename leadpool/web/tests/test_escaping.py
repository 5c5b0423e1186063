"""User content is always escaped: a stored <script> never renders as markup."""

import pytest
from django.urls import reverse

from leadpool.activity.services import add_followup
from leadpool.history.models import Notification

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def hostile_lead(make_lead, pool_admin, lead_pool):
    lead = make_lead(
        name=SCRIPT,
        company=SCRIPT,
        source=SCRIPT,
        region=SCRIPT,
        industry=SCRIPT,
        notes=SCRIPT,
        pool=lead_pool,
        owner=pool_admin,
    )
    add_followup(record=lead, by=pool_admin, content=SCRIPT, next_step=SCRIPT)
    Notification.objects.create(
        user=pool_admin, kind="assigned", lead=lead, details={"record": SCRIPT, "actor": SCRIPT}
    )
    return lead


def test_no_page_renders_a_stored_script(client_for, pool_admin, lead_pool, hostile_lead):
    # given
    client = client_for(pool_admin)
    lead = hostile_lead
    pages = [
        reverse("web:records", args=["leads"]),
        reverse("web:records_all", args=["leads"]) + "?q=script",
        reverse("web:pool", args=["leads", lead_pool.pk]),
        reverse("web:record", args=["leads", lead.pk]),
        reverse("web:record_edit", args=["leads", lead.pk]),
        reverse("web:notifications"),
        reverse("web:duplicates", args=["leads"]) + f"?company={lead.company}",
    ]
    for url in pages:
        # when
        page = client.get(url).content.decode()
        # then
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert" in page, url


def test_batch_summaries_escape_record_names(client_for, member, hostile_lead):
    # when a member tries to claim an owned lead they cannot see
    response = client_for(member).post(
        reverse("web:batch", args=["leads"]),
        {"action": "claim", "ids": [hostile_lead.pk]},
        headers={"HX-Request": "true"},
    )
    # then
    assert "<script>alert" not in response.content.decode()


def test_the_new_pages_escape_stored_scripts(client_for, admin, hostile_lead, lead_pool):
    # given a hostile pool name, custom field label, call note, due follow-up and import file
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from leadpool.activity.models import CallRecord
    from leadpool.fields.models import CustomField

    lead_pool.name = SCRIPT
    lead_pool.save()
    CustomField.objects.create(entity="lead", key="hostile", label=SCRIPT, type="text")
    CallRecord.objects.create(
        lead=hostile_lead, author=admin, number="1", started_at=timezone.now(), notes=SCRIPT
    )
    hostile_lead.next_followup_at = timezone.now()
    hostile_lead.save()
    client = client_for(admin)
    upload = client.post(
        reverse("web:import_upload"),
        {
            "file": SimpleUploadedFile(
                f"{SCRIPT}.csv", f"姓名,{SCRIPT}\r\n{SCRIPT},x\r\n".encode()
            ),
            "entity": "lead",
            "dedupe": "skip",
            "match_on": ["phone"],
        },
    )
    pages = [
        reverse("web:dashboard"),
        reverse("web:pool_settings_list"),
        reverse("web:pool_settings", args=[lead_pool.pk]),
        reverse("web:pool_transfer", args=[lead_pool.pk]),
        reverse("web:record", args=["leads", hostile_lead.pk]),
        reverse("web:record_create", args=["leads"]),
        reverse("web:records", args=["leads"]),
        upload["Location"],
    ]
    for url in pages:
        # when
        page = client.get(url).content.decode()
        # then
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert" in page, url
