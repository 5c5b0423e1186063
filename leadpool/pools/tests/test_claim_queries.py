"""The claim path's SQL: a claim is the hottest write of the product (32 reps claiming at
once, bench/claim_http.py), so each statement it makes is counted here."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.models import ClaimTally
from leadpool.pools.services import claim_records, compute_reclaim_at


def _statements(captured) -> list[str]:
    """The statements of the claim step itself: those naming the record, tally or event
    tables (who the claimer is and which pools they reach is access.py's business)."""
    tables = ("leads_lead", "pools_claimtally", "history_event")
    return [
        query["sql"].split(" ", 1)[0]
        for query in captured.captured_queries
        if any(table in query["sql"] for table in tables)
    ]


@pytest.fixture
def strict_pool(lead_pool):
    # Every rule a claim consults: the daily limit, the most held, a reclaim deadline.
    lead_pool.claim_limit_per_day = 5
    lead_pool.max_held = 5
    lead_pool.reclaim_no_followup_days = 7
    lead_pool.save()
    return lead_pool


@pytest.mark.parametrize("first_of_the_day", [True, False])
def test_a_claim_is_one_fetch_one_upsert_one_count_one_update_one_insert(
    strict_pool, member, make_lead, first_of_the_day
):
    # given
    if not first_of_the_day:
        ClaimTally.objects.create(pool=strict_pool, user=member, day=timezone.localdate(), claims=2)
    lead = make_lead(pool=strict_pool)
    # when
    with CaptureQueriesContext(connection) as captured:
        result = claim_records(model=Lead, ids=[lead.pk], by=member)
    # then: the tally is counted and locked in one upsert, and the reclaim time goes in
    # with the owner (no second UPDATE of the lead, no separate tally UPDATE)
    assert result.as_dict() == {"done": [lead.pk], "refused": []}
    assert _statements(captured) == ["SELECT", "INSERT", "SELECT", "UPDATE", "INSERT"]
    lead.refresh_from_db()
    assert lead.owner_id == member.pk
    assert lead.reclaim_at == compute_reclaim_at(lead, strict_pool)
    assert lead.reclaim_at is not None
    assert lead.reclaim_at - lead.claimed_at == datetime.timedelta(days=7)
    assert ClaimTally.objects.get(pool=strict_pool, user=member).claims == (
        1 if first_of_the_day else 3
    )
    assert Event.objects.filter(lead=lead, action=Event.Action.CLAIM).count() == 1


def test_a_refused_claim_leaves_the_tally_as_it_was(strict_pool, member, make_lead):
    # given: the day's limit is used up
    ClaimTally.objects.create(pool=strict_pool, user=member, day=timezone.localdate(), claims=5)
    lead = make_lead(pool=strict_pool)
    # when
    result = claim_records(model=Lead, ids=[lead.pk], by=member)
    # then: the upsert's count is rolled back with the refused step
    assert [refusal.code for _pk, refusal in result.refused] == ["claim_limit_reached"]
    assert ClaimTally.objects.get(pool=strict_pool, user=member).claims == 5
    lead.refresh_from_db()
    assert lead.owner_id is None
