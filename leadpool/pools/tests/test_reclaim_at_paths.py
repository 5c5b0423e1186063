"""No path leaves `reclaim_at` stale (PRODUCT.md "Automatic reclaim", issue 5).

Every operation that changes a record's owner, pool, follow-ups or its pool's rules is
walked here, on a pool with both reclaim rules set; afterwards the stored `reclaim_at`
must equal `services.compute_reclaim_at(record, record.pool)`. Records start with a
deliberately wrong `reclaim_at`, so a path that forgets to recompute shows.
"""

import datetime

import pytest
from django.utils import timezone

from leadpool.activity.services import add_followup, log_call
from leadpool.customers.models import Customer
from leadpool.customers.services import create_opportunity, update_opportunity
from leadpool.leads.models import Lead
from leadpool.leads.services import convert_lead
from leadpool.pools.automation import run_rules
from leadpool.pools.configuration import update_pool
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.records import create_record
from leadpool.pools.services import (
    assign_records,
    claim_records,
    compute_reclaim_at,
    delete_records,
    put_records_into_pool,
    reclaim_records,
    refresh_reclaim_at,
    restore_records,
    return_records,
)

DAY = datetime.timedelta(days=1)
STALE = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def pool(lead_pool) -> Pool:
    lead_pool.reclaim_no_followup_days = 7
    lead_pool.reclaim_not_converted_days = 30
    lead_pool.save()
    return lead_pool


@pytest.fixture
def other_pool(pool_admin, member) -> Pool:
    other = Pool.objects.create(
        name="Other pool", reclaim_no_followup_days=3, reclaim_not_converted_days=10
    )
    other.admins.add(pool_admin)
    other.members.add(member)
    return other


def assert_fresh(record: PooledRecord, *, owned: bool, timed: bool | None = None) -> PooledRecord:
    """The stored reclaim time is what the rules say now; answer the stored record.

    `timed`: whether it should have one (default: owned, open and in a pool with rules).
    """
    stored = type(record).objects.select_related("pool").get(pk=record.pk)
    assert stored.reclaim_at == compute_reclaim_at(stored, stored.pool)
    assert (stored.owner_id is not None) is owned
    if timed is None:
        timed = owned and stored.pool is not None and not stored.is_closed
    assert (stored.reclaim_at is not None) is timed
    return stored


def test_claim(pool, member, make_lead):
    lead = make_lead(pool=pool, reclaim_at=STALE)
    assert claim_records(model=Lead, ids=[lead.pk], by=member).done == [lead.pk]
    assert_fresh(lead, owned=True)


def test_assign_to_a_user(pool, pool_admin, member, make_lead):
    lead = make_lead(pool=pool, reclaim_at=STALE)
    assert assign_records(model=Lead, ids=[lead.pk], by=pool_admin, to_user=member).done
    assert_fresh(lead, owned=True)


def test_reassign_from_one_owner_to_another(pool, pool_admin, member, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, claimed_at=timezone.now() - 5 * DAY)
    refresh_reclaim_at(lead)
    assert assign_records(model=Lead, ids=[lead.pk], by=pool_admin, to_user=member).done
    assert assert_fresh(lead, owned=True).reclaim_at > timezone.now() + 6 * DAY


def test_assign_to_a_manual_pool(pool, other_pool, pool_admin, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, reclaim_at=STALE)
    assert assign_records(model=Lead, ids=[lead.pk], by=pool_admin, to_pool=other_pool).done
    assert_fresh(lead, owned=False)


def test_assign_to_a_distributing_pool(pool, other_pool, pool_admin, member, rep_east, make_lead):
    other_pool.distribution = Pool.Distribution.ROUND_ROBIN
    other_pool.save()
    other_pool.distribution_members.set([member])
    lead = make_lead(pool=pool, owner=rep_east, reclaim_at=STALE)
    assert assign_records(model=Lead, ids=[lead.pk], by=pool_admin, to_pool=other_pool).done
    stored = assert_fresh(lead, owned=True)
    assert (stored.owner, stored.pool) == (member, other_pool)


def test_reclaim(pool, pool_admin, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, reclaim_at=STALE)
    assert reclaim_records(model=Lead, ids=[lead.pk], by=pool_admin).done
    assert_fresh(lead, owned=False)


def test_return(pool, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, reclaim_at=STALE)
    assert return_records(model=Lead, ids=[lead.pk], by=rep_east, reason="无法联系").done
    assert_fresh(lead, owned=False)


def test_put_into_pool(pool, other_pool, member, make_lead):
    lead = make_lead(pool=pool, owner=member, reclaim_at=STALE)
    assert put_records_into_pool(model=Lead, ids=[lead.pk], by=member, pool=other_pool).done
    assert_fresh(lead, owned=False)


def test_create_private(pool, rep_east):
    lead = create_record(model=Lead, by=rep_east, data={"name": "Private"})
    assert_fresh(lead, owned=True)  # in no pool: no reclaim


def test_create_into_a_pool_unassigned(pool, member):
    lead = create_record(model=Lead, by=member, data={"name": "Pooled"}, pool=pool)
    assert_fresh(lead, owned=False)


def test_create_into_a_pool_for_an_owner(pool, pool_admin, member):
    lead = create_record(model=Lead, by=pool_admin, data={"name": "Owned"}, pool=pool, owner=member)
    assert_fresh(lead, owned=True)


def test_create_into_a_pool_that_distributes(pool, pool_admin, member):
    pool.distribution = Pool.Distribution.LOAD_BALANCED
    pool.save()
    pool.distribution_members.set([member])
    lead = create_record(model=Lead, by=pool_admin, data={"name": "Distributed"}, pool=pool)
    assert assert_fresh(lead, owned=True).owner == member


def test_create_into_a_pool_that_routes_to_a_user(pool, pool_admin, rep_east):
    pool.routing = [{"when": {"region": {"equals": "上海"}}, "to_user": rep_east.pk}]
    pool.save()
    lead = create_record(model=Lead, by=pool_admin, data={"name": "R", "region": "上海"}, pool=pool)
    assert assert_fresh(lead, owned=True).owner == rep_east


def test_delete_and_restore(pool, pool_admin, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, claimed_at=timezone.now() - DAY)
    refresh_reclaim_at(lead)
    assert delete_records(model=Lead, ids=[lead.pk], by=pool_admin).done
    assert Lead.objects.get(pk=lead.pk).reclaim_at is None
    Lead.objects.filter(pk=lead.pk).update(reclaim_at=STALE)
    assert restore_records(model=Lead, ids=[lead.pk], by=pool_admin).done
    assert_fresh(lead, owned=True)


def test_follow_up(pool, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, claimed_at=timezone.now() - 5 * DAY)
    refresh_reclaim_at(lead)
    before = Lead.objects.get(pk=lead.pk).reclaim_at
    add_followup(record=lead, by=rep_east, content="Called, interested")
    assert assert_fresh(lead, owned=True).reclaim_at > before


def test_answered_call(pool, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, claimed_at=timezone.now() - 5 * DAY)
    refresh_reclaim_at(lead)
    before = Lead.objects.get(pk=lead.pk).reclaim_at
    log_call(record=lead, by=rep_east, number="13800138000", started_at=timezone.now() - DAY)
    assert assert_fresh(lead, owned=True).reclaim_at > before


def test_missed_call_keeps_the_clock(pool, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, claimed_at=timezone.now() - 5 * DAY)
    refresh_reclaim_at(lead)
    before = Lead.objects.get(pk=lead.pk).reclaim_at
    log_call(
        record=lead,
        by=rep_east,
        number="13800138000",
        started_at=timezone.now(),
        outcome="no_answer",
    )
    assert assert_fresh(lead, owned=True).reclaim_at == before


def test_conversion(pool, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, company="ACME", reclaim_at=STALE)
    conversion = convert_lead(lead_id=lead.pk, by=rep_east)
    assert_fresh(lead, owned=True)  # converted: exempt
    assert_fresh(conversion.customer, owned=True)  # a new customer in no pool


def test_pool_rule_edit(pool, pool_admin, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, claimed_at=timezone.now() - DAY)
    refresh_reclaim_at(lead)
    update_pool(pool=pool, by=pool_admin, changes={"reclaim_no_followup_days": 2})
    assert assert_fresh(lead, owned=True).reclaim_at < timezone.now() + 2 * DAY
    update_pool(pool=pool, by=pool_admin, changes={"reclaim_not_converted_days": 1})
    assert_fresh(lead, owned=True)


def test_automatic_reclaim(pool, rep_east, make_lead):
    lead = make_lead(pool=pool, owner=rep_east, claimed_at=timezone.now() - 8 * DAY)
    refresh_reclaim_at(lead)
    report = run_rules(pool=pool)
    assert report.pools[pool.pk]["counts"]["reclaim_no_followup_days"] == 1
    assert_fresh(lead, owned=False)


def test_opening_and_closing_an_opportunity_in_a_pool_that_exempts_them(
    customer_pool, rep_east, make_customer
):
    customer_pool.reclaim_no_followup_days = 7
    customer_pool.reclaim_exempt_open_opportunity = True
    customer_pool.save()
    customer = make_customer(pool=customer_pool, owner=rep_east, claimed_at=timezone.now())
    refresh_reclaim_at(customer)
    opportunity = create_opportunity(customer=customer, by=rep_east, data={"name": "Big deal"})
    assert_fresh(customer, owned=True, timed=False)  # an open opportunity: exempt
    update_opportunity(
        opportunity=opportunity, by=rep_east, changes={"stage": "lost", "lost_reason": "Budget"}
    )
    assert_fresh(customer, owned=True, timed=True)


@pytest.mark.parametrize("path", ["claim", "assign", "reclaim"])
def test_customers_alike(customer_pool, pool_admin, member, rep_east, make_customer, path):
    customer_pool.reclaim_not_converted_days = 30
    customer_pool.save()
    owner = rep_east if path == "reclaim" else None
    customer = make_customer(pool=customer_pool, owner=owner, reclaim_at=STALE)
    if path == "claim":
        assert claim_records(model=Customer, ids=[customer.pk], by=member).done
    elif path == "assign":
        assert assign_records(model=Customer, ids=[customer.pk], by=pool_admin, to_user=member).done
    else:
        assert reclaim_records(model=Customer, ids=[customer.pk], by=pool_admin).done
    assert_fresh(customer, owned=path != "reclaim")
