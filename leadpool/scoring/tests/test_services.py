"""Scores kept current: on create and edit, on follow-ups and calls, on import, by the
rules worker for recency and rule changes; the pool's threshold notifies once."""

import datetime
import io

import pytest
from django.utils import timezone

from leadpool.activity.services import add_followup, log_call
from leadpool.history.models import Notification
from leadpool.leads.models import Lead
from leadpool.pools.automation import run_rules
from leadpool.pools.records import create_record, update_record
from leadpool.scoring import services
from leadpool.transfer import imports

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def threshold_notices(user):
    return Notification.objects.filter(user=user, kind=Notification.Kind.SCORE_THRESHOLD)


def test_a_created_lead_is_scored_with_its_explanation(rep_east, make_rule):
    # given
    rule = make_rule("source", "equals", "展会", 20, name="Trade fair")
    make_rule("region", "equals", "华北", 5)
    # when
    lead = create_record(
        model=Lead, by=rep_east, data={"name": "张伟", "source": "展会", "region": "华东"}
    )
    # then
    lead.refresh_from_db()
    assert lead.score == 20
    assert [(e["rule"], e["name"], e["points"]) for e in lead.score_explanation] == [
        (rule.pk, "Trade fair", 20)
    ]
    assert lead.rescore_at is None


def test_an_edit_rescores_the_lead(rep_east, make_rule, make_lead):
    # given
    make_rule("industry", "contains", "machin", 15)
    lead = make_lead(owner=rep_east, industry="Retail")
    # when
    update_record(record=lead, by=rep_east, changes={"industry": "Machinery"})
    # then
    lead.refresh_from_db()
    assert lead.score == 15


def test_follow_ups_and_calls_rescore_the_lead(rep_east, make_rule, make_lead):
    # given
    make_rule("followups", "at_least", 1, 10)
    make_rule("calls", "at_least", 2, 7)
    lead = make_lead(owner=rep_east)
    # when
    add_followup(record=lead, by=rep_east, content="Rang")
    log_call(record=lead, by=rep_east, number=lead.phone, started_at=timezone.now())
    # then
    lead.refresh_from_db()
    assert lead.score == 10
    # when: a missed call still counts among the calls
    log_call(
        record=lead, by=rep_east, number=lead.phone, started_at=timezone.now(), outcome="no_answer"
    )
    # then
    lead.refresh_from_db()
    assert lead.score == 17


def test_crossing_the_pool_threshold_notifies_the_owner_once(
    rep_east, lead_pool, make_rule, make_lead
):
    # given
    lead_pool.score_threshold = 20
    lead_pool.save()
    make_rule("followups", "at_least", 1, 15)
    make_rule("followups", "at_least", 2, 10)
    lead = make_lead(pool=lead_pool, owner=rep_east)
    # when: 15 (below), then 25 (crosses), then 25 again (stays above)
    for content in ("first", "second", "third"):
        add_followup(record=lead, by=rep_east, content=content)
    # then
    notices = list(threshold_notices(rep_east))
    assert len(notices) == 1
    assert notices[0].lead_id == lead.pk and notices[0].pool_id == lead_pool.pk
    assert notices[0].details["score"] == 25 and notices[0].details["threshold"] == 20


def test_a_lead_below_the_threshold_notifies_nobody(rep_east, lead_pool, make_rule, make_lead):
    # given
    lead_pool.score_threshold = 50
    lead_pool.save()
    make_rule("followups", "at_least", 1, 15)
    lead = make_lead(pool=lead_pool, owner=rep_east)
    # when
    add_followup(record=lead, by=rep_east, content="Rang")
    # then
    assert not threshold_notices(rep_east).exists()


def test_the_rules_worker_rescores_leads_that_time_has_moved(rep_east, make_rule, make_lead):
    # given: a lead followed up now, and a rule against a week of silence
    make_rule("days_since_followup", "at_least", 7, -10)
    lead = make_lead(owner=rep_east)
    add_followup(record=lead, by=rep_east, content="Rang")
    lead.refresh_from_db()
    assert lead.score == 0
    assert lead.rescore_at == lead.last_followup_at + 7 * DAY
    # when: the worker runs a day too early, then on time
    run_rules(as_of=lead.last_followup_at + 6 * DAY)
    lead.refresh_from_db()
    early = lead.score
    report = run_rules(as_of=lead.last_followup_at + 7 * DAY)
    # then
    lead.refresh_from_db()
    assert (early, lead.score, report.rescored) == (0, -10, 1)
    assert lead.rescore_at == lead.last_followup_at + 8 * DAY


def test_a_dry_run_rescores_nothing(rep_east, make_rule, make_lead):
    # given
    make_lead(owner=rep_east, source="展会")
    make_rule("source", "equals", "展会", 20)
    services.mark_all_for_rescoring()
    # when
    run_rules(dry_run=True)
    # then
    assert list(Lead.objects.values_list("score", flat=True)) == [0]


def test_a_new_rule_has_the_worker_rescore_every_lead(admin, rep_east, make_lead):
    # given
    leads = [make_lead(owner=rep_east, source="展会"), make_lead(owner=rep_east, source="官网")]
    # when
    services.save_rule(
        by=admin,
        data={"name": "Trade fair", "field": "source", "operator": "equals", "value": "展会",
              "points": 20},
    )  # fmt: skip
    report = run_rules()
    # then
    assert report.rescored == 2
    assert [Lead.objects.get(pk=lead.pk).score for lead in leads] == [20, 0]
    assert Lead.objects.filter(rescore_at__isnull=False).count() == 0


def test_imported_leads_are_scored_as_they_go_in(pool_admin, lead_pool, make_rule):
    # given
    make_rule("source", "equals", "展会", 20)
    make_rule("email_domain", "equals", "qq.com", -5)
    source = io.BytesIO(
        "姓名,手机,邮箱,来源\r\n张伟,13800138000,zw@qq.com,展会\r\n李娜,13900139000,,官网\r\n".encode()
    )
    # when
    job = imports.start_import(
        by=pool_admin, source=source, file_name="leads.csv", enqueue=False, entity="lead",
        pool=lead_pool.pk,
    )  # fmt: skip
    imports.run_import(job.pk)
    # then
    scores = dict(Lead.objects.values_list("name", "score"))
    assert scores == {"张伟": 15, "李娜": 0}
    explanation = Lead.objects.get(name="张伟").score_explanation
    assert [entry["points"] for entry in explanation] == [20, -5]


def test_customers_have_no_score(rep_east, make_customer, make_rule):
    # given
    make_rule("source", "equals", "展会", 20)
    customer = make_customer(owner=rep_east, source="展会")
    # when
    services.rescore_record(customer)
    # then: nothing to score, nothing raised
    assert not hasattr(customer, "score")
