import pytest
from django.urls import reverse

from leadpool.accounts.models import User
from leadpool.history.models import Event
from leadpool.leads.models import Lead


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:leads_lead_changelist",
        "admin:customers_customer_changelist",
        "admin:pools_pool_changelist",
        "admin:history_event_changelist",
        "admin:accounts_user_changelist",
        "admin:fields_customfield_changelist",
        "admin:activity_followup_changelist",
    ],
)
def test_admin_pages_load(client, superuser, lead_pool, make_lead, url_name):
    # given
    make_lead(pool=lead_pool)
    client.force_login(superuser)
    # when
    response = client.get(reverse(url_name))
    # then
    assert response.status_code == 200


def test_editing_a_lead_in_the_admin_goes_through_the_services(
    client, superuser, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, name="Old", phone="13800138000")
    client.force_login(superuser)
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "collaborators"}
    data.update(
        {"name": "New", "phone": "+86 139 0013 9000", "status": "following", "custom": "{}"}
    )
    # when
    response = client.post(url, data)
    # then
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.name, lead.phone_normalized, lead.owner, lead.pool) == (
        "New",
        "+8613900139000",
        None,
        lead_pool,
    )
    event = Event.objects.get(lead=lead, action=Event.Action.EDIT)
    assert event.details == {"fields": ["name", "phone", "status"]}


def test_the_admin_refuses_an_invalid_phone_and_saves_nothing(
    client, superuser, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, name="Old", phone="13800138000")
    client.force_login(superuser)
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "collaborators"}
    data.update({"phone": "12345", "custom": "{}", "status": "new"})
    # when
    response = client.post(url, data)
    # then
    assert response.status_code == 200
    assert "is not a valid phone number" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).phone == "13800138000"
