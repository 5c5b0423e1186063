"""A pool's score threshold that converts (issue 8): a lead whose score rises to it is
converted once, as its owner, into a customer with a contact and an opportunity; the
owner is told; reruns, converted and unassigned leads and refusals change nothing more."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.activity.services import add_followup
from leadpool.customers.models import Contact, Customer, Opportunity
from leadpool.history.models import AuditEntry, Event, Notification
from leadpool.history.services import notification_text
from leadpool.leads.models import Lead
from leadpool.pools.automation import run_rules
from leadpool.pools.configuration import update_pool
from leadpool.pools.models import Pool
from leadpool.scoring import services

pytestmark = pytest.mark.django_db


def notices(user):
    return Notification.objects.filter(user=user, kind=Notification.Kind.SCORE_THRESHOLD)


@pytest.fixture
def converting_pool(lead_pool):
    lead_pool.score_threshold = 20
    lead_pool.score_threshold_action = Pool.ThresholdAction.CONVERT
    lead_pool.save()
    return lead_pool


def test_crossing_converts_the_lead_as_its_owner_once_and_tells_them(
    rep_east, converting_pool, make_rule, make_lead
):
    # given
    make_rule("followups", "at_least", 1, 25)
    lead = make_lead(pool=converting_pool, owner=rep_east, name="张伟", company="华东机械")
    # when: the score rises to 25, then a second follow-up keeps it there
    add_followup(record=lead, by=rep_east, content="Rang")
    add_followup(record=lead, by=rep_east, content="Rang again")
    # then: one customer of the owner's, with the lead's contact and an opportunity
    lead.refresh_from_db()
    customer = Customer.objects.get()
    assert (lead.status, lead.customer_id, lead.score) == (Lead.Status.CONVERTED, customer.pk, 25)
    assert (customer.name, customer.owner_id, customer.lead_id) == (
        "华东机械",
        rep_east.pk,
        lead.pk,
    )
    contact = Contact.objects.get()
    assert (contact.customer_id, contact.name, contact.phone) == (customer.pk, "张伟", lead.phone)
    opportunity = Opportunity.objects.get()
    assert (opportunity.name, opportunity.customer_id, opportunity.owner_id) == (
        "张伟",
        customer.pk,
        rep_east.pk,
    )
    # the history the conversion writes, as the owner
    convert = Event.objects.get(lead=lead, action=Event.Action.CONVERT)
    assert convert.actor_id == rep_east.pk and convert.details["customer"] == customer.pk
    assert convert.rule == "score_threshold"  # not the owner's own doing
    assert Event.objects.filter(customer=customer, action=Event.Action.CREATE).count() == 1
    # and one notification saying so
    [notice] = notices(rep_east)
    assert notice.details["converted"] is True
    assert (notice.details["customer"], notice.details["opportunity"]) == (
        customer.pk,
        opportunity.pk,
    )
    assert notification_text(notice) == (
        "“张伟 (华东机械)” scored 25, reaching the pool's threshold of 20. "
        "It was converted into the customer “华东机械”."
    )


def test_the_callers_copy_of_the_lead_learns_of_the_conversion(
    rep_east, converting_pool, make_rule, make_lead
):
    make_rule("followups", "at_least", 1, 25)
    lead = make_lead(pool=converting_pool, owner=rep_east)
    add_followup(record=lead, by=rep_east, content="Rang")
    assert lead.status == Lead.Status.CONVERTED and lead.customer_id is not None


def test_the_rules_worker_converts_once_and_a_rerun_does_nothing_more(
    admin, rep_east, converting_pool, make_lead
):
    # given: leads that a new rule lifts over the threshold
    first = make_lead(pool=converting_pool, owner=rep_east, source="展会", name="甲")
    second = make_lead(pool=converting_pool, owner=rep_east, source="展会", name="乙")
    services.save_rule(
        by=admin,
        data={"name": "Trade fair", "field": "source", "operator": "equals", "value": "展会",
              "points": 30},
    )  # fmt: skip
    # when: the worker runs, then runs again, then every lead is marked due once more
    now = timezone.now()
    run_rules(as_of=now)
    run_rules(as_of=now)
    services.mark_all_for_rescoring(now=now)
    run_rules(as_of=now)
    # then
    assert Customer.objects.count() == 2 and Opportunity.objects.count() == 2
    for lead in (first, second):
        lead.refresh_from_db()
        assert lead.status == Lead.Status.CONVERTED
        assert Event.objects.filter(lead=lead, action=Event.Action.CONVERT).count() == 1
    assert notices(rep_east).count() == 2


def test_an_already_converted_lead_is_not_converted_again(
    rep_east, converting_pool, make_rule, make_lead
):
    # given
    make_rule("followups", "at_least", 1, 25)
    lead = make_lead(pool=converting_pool, owner=rep_east, status=Lead.Status.CONVERTED)
    # when
    add_followup(record=lead, by=rep_east, content="Rang")
    # then: told of the score, nothing converted
    assert not Customer.objects.exists() and not Opportunity.objects.exists()
    assert not Event.objects.filter(lead=lead, action=Event.Action.CONVERT).exists()
    [notice] = notices(rep_east)
    assert "converted" not in notice.details


def test_an_unassigned_lead_is_not_converted(admin, converting_pool, make_lead):
    # given
    lead = make_lead(pool=converting_pool, source="展会")
    services.save_rule(
        by=admin,
        data={"name": "Fair", "field": "source", "operator": "equals", "value": "展会",
              "points": 30},
    )  # fmt: skip
    # when
    report = run_rules(as_of=timezone.now())
    # then: scored, not converted (nobody would own the customer)
    lead.refresh_from_db()
    assert (report.rescored, lead.score, lead.status) == (1, 30, Lead.Status.NEW)
    assert not Customer.objects.exists()


def test_a_notify_pool_only_notifies(rep_east, lead_pool, make_rule, make_lead):
    lead_pool.score_threshold = 20
    lead_pool.save()
    make_rule("followups", "at_least", 1, 25)
    lead = make_lead(pool=lead_pool, owner=rep_east)
    add_followup(record=lead, by=rep_east, content="Rang")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FOLLOWING and not Customer.objects.exists()
    assert notices(rep_east).count() == 1


def test_a_refused_conversion_is_recorded_and_the_scoring_run_goes_on(
    admin, rep_east, rep_west, converting_pool, make_lead, make_customer
):
    # given: one lead whose phone is a customer's that its owner cannot see (so the
    # conversion is refused as a possible duplicate), and one that converts
    blocked = make_lead(pool=converting_pool, owner=rep_east, source="展会", name="甲")
    make_customer(owner=rep_west, phone=blocked.phone, name="West customer")
    fine = make_lead(pool=converting_pool, owner=rep_east, source="展会", name="乙")
    services.save_rule(
        by=admin,
        data={"name": "Fair", "field": "source", "operator": "equals", "value": "展会",
              "points": 30},
    )  # fmt: skip
    # when
    report = run_rules(as_of=timezone.now())
    # then: both rescored; the blocked one unconverted, and its owner told why
    assert report.rescored == 2
    blocked.refresh_from_db()
    fine.refresh_from_db()
    assert (blocked.score, blocked.status, blocked.customer_id) == (30, Lead.Status.NEW, None)
    assert fine.status == Lead.Status.CONVERTED
    assert Customer.objects.count() == 2  # rep_west's, and the one converted
    assert not Event.objects.filter(lead=blocked, action=Event.Action.CONVERT).exists()
    notice = notices(rep_east).get(lead=blocked)
    assert notice.details["converted"] is False
    assert notice.details["conversion_refused"] == "invalid"
    assert "may already be on file" in notice.details["conversion_message"]
    assert "could not be converted: " in notification_text(notice)
    assert notice.details["conversion_message"] in notification_text(notice)
    # and a rerun does not try again
    run_rules(as_of=timezone.now())
    assert notices(rep_east).count() == 2


def test_an_inactive_owner_refuses_the_conversion(rep_east, converting_pool, make_rule, make_lead):
    # given: the owner left; the rules worker rescores their lead
    make_rule("source", "equals", "展会", 30)
    lead = make_lead(pool=converting_pool, owner=rep_east, source="展会")
    rep_east.is_active = False
    rep_east.save()
    # when
    services.rescore_leads([lead.pk])
    # then
    lead.refresh_from_db()
    assert (lead.score, lead.status) == (30, Lead.Status.NEW)
    assert not Customer.objects.exists()
    [notice] = notices(rep_east)
    assert notice.details["converted"] is False and notice.details["conversion_refused"]


def test_a_lead_matching_one_of_its_owners_customers_is_linked_to_it(
    rep_east, converting_pool, make_rule, make_lead, make_customer
):
    # given
    make_rule("followups", "at_least", 1, 25)
    lead = make_lead(pool=converting_pool, owner=rep_east, name="张伟")
    existing = make_customer(owner=rep_east, phone=lead.phone, name="华东机械")
    # when
    add_followup(record=lead, by=rep_east, content="Rang")
    # then
    lead.refresh_from_db()
    assert (lead.status, lead.customer_id) == (Lead.Status.CONVERTED, existing.pk)
    assert Customer.objects.count() == 1
    assert Opportunity.objects.get().customer_id == existing.pk
    assert notices(rep_east).get().details["created_customer"] is False


# --- the setting -------------------------------------------------------------------------


def test_only_lead_pools_may_convert(pool_admin, lead_pool, customer_pool):
    update_pool(pool=lead_pool, by=pool_admin, changes={"score_threshold_action": "convert"})
    lead_pool.refresh_from_db()
    assert lead_pool.score_threshold_action == "convert"
    with pytest.raises(ValidationError) as raised:
        update_pool(
            pool=customer_pool, by=pool_admin, changes={"score_threshold_action": "convert"}
        )
    assert "score_threshold_action" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        update_pool(pool=lead_pool, by=pool_admin, changes={"score_threshold_action": "sing"})
    assert "score_threshold_action" in raised.value.message_dict


def test_the_api_reads_and_sets_the_action(pool_admin, lead_pool, settings):
    settings.LEADPOOL_RATES = {"login_ip": None, "login_username": None, "write": None}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=pool_admin).key}")
    url = f"/api/v1/pools/{lead_pool.pk}/"
    assert client.get(url).json()["rules"]["score_threshold_action"] == "notify"
    response = client.patch(
        url,
        {"rules": {"score_threshold": 60, "score_threshold_action": "convert"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["rules"]["score_threshold_action"] == "convert"
    bad = client.patch(url, {"rules": {"score_threshold_action": "sing"}}, format="json")
    assert bad.status_code == 400
    lead_pool.refresh_from_db()
    assert (lead_pool.score_threshold, lead_pool.score_threshold_action) == (60, "convert")


def test_the_pool_settings_page_explains_and_saves_the_action(client, pool_admin, lead_pool):
    client.force_login(pool_admin)
    url = reverse("web:pool_settings", args=[lead_pool.pk])
    page = client.get(url).content.decode()
    assert "Lead scoring" in page and "When a lead reaches it" in page
    assert "Leads nobody owns are not converted." in page
    response = client.post(
        url,
        {
            "name": lead_pool.name,
            "members": [user.pk for user in lead_pool.members.all()],
            "member_departments": [d.pk for d in lead_pool.member_departments.all()],
            "visibility": lead_pool.visibility,
            "contact_visibility": lead_pool.contact_visibility,
            "distribution": lead_pool.distribution,
            "on_retention_expiry": lead_pool.on_retention_expiry,
            "score_threshold": "40",
            "score_threshold_action": "convert",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lead_pool.refresh_from_db()
    assert (lead_pool.score_threshold, lead_pool.score_threshold_action) == (40, "convert")


def test_a_customer_pools_page_has_no_scoring_settings(client, pool_admin, customer_pool):
    client.force_login(pool_admin)
    page = client.get(reverse("web:pool_settings", args=[customer_pool.pk])).content.decode()
    assert 'name="score_threshold_action"' not in page and "Lead scoring" not in page


def test_scoring_rule_changes_are_audited(admin):
    rule = services.save_rule(
        by=admin,
        data={"name": "Fair", "field": "source", "operator": "equals", "value": "展会",
              "points": 30},
    )  # fmt: skip
    rule_id = rule.pk
    services.delete_rule(by=admin, rule=rule)
    saved, deleted = AuditEntry.objects.filter(action="settings_changed").order_by("id")
    assert (saved.actor, saved.target) == (admin, f"scoringrule:{rule_id} Fair")
    assert deleted.details == {"deleted": True}
