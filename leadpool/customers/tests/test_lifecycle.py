"""A customer's life in a customer pool (客户公海), through the same code as leads."""

import datetime

from django.utils import timezone

from leadpool.activity.services import add_followup
from leadpool.customers.models import Customer
from leadpool.history.models import Event
from leadpool.pools.automation import run_rules
from leadpool.pools.records import create_record
from leadpool.pools.services import (
    assign_records,
    claim_records,
    delete_records,
    restore_records,
    return_records,
)


def test_a_customer_goes_round_the_customer_pool(customer_pool, pool_admin, member, rep_east):
    # given: a pool with return reasons, a cooldown and automatic reclaim
    customer_pool.return_reasons = ["无意向", "已流失"]
    customer_pool.reclaim_cooldown_hours = 48
    customer_pool.reclaim_no_followup_days = 30
    customer_pool.save()
    customer = create_record(
        model=Customer,
        by=pool_admin,
        data={"name": "Acme", "phone": "13800138000"},
        pool=customer_pool,
    )
    ids = [customer.pk]
    # when / then: a member claims it and follows up
    assert claim_records(model=Customer, ids=ids, by=member).done == ids
    add_followup(record=Customer.objects.get(pk=customer.pk), by=member, content="Visited")
    customer.refresh_from_db()
    assert (customer.owner, customer.status) == (member, Customer.Status.FOLLOWING)
    assert customer.reclaim_at is not None
    # returns it with a listed reason, and may not take it back during the cooldown
    assert return_records(model=Customer, ids=ids, by=member, reason="无意向").done == ids
    refusal = claim_records(model=Customer, ids=ids, by=member).refusal_for(customer.pk)
    assert refusal.code == "cooldown"
    # the pool admin assigns it to another rep, who neglects it: the rule reclaims it
    assert assign_records(model=Customer, ids=ids, by=pool_admin, to_user=rep_east).done == ids
    later = timezone.now() + datetime.timedelta(days=31)
    run_rules(as_of=later)
    customer.refresh_from_db()
    assert (customer.owner, customer.pool) == (None, customer_pool)
    # deleted to the recycle bin and restored
    assert delete_records(model=Customer, ids=ids, by=pool_admin).done == ids
    assert restore_records(model=Customer, ids=ids, by=pool_admin).done == ids
    assert list(
        Event.objects.filter(customer=customer).order_by("id").values_list("action", flat=True)
    ) == ["create", "claim", "return", "assign", "auto_reclaim", "delete", "restore"]
