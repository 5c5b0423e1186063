from leadpool.leads.models import Lead
from leadpool.pools.services import claim_records


def test_member_claims_an_unassigned_lead(member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    result = claim_records(model=Lead, ids=[lead.pk], by=member)
    # then
    assert result.as_dict() == {"done": [lead.pk], "refused": []}
    lead.refresh_from_db()
    assert lead.owner == member
