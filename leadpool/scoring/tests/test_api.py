"""/api/v1/scoring-rules/ (system admins), and the score on /api/v1/leads/: shown,
explained, filtered and sorted."""

import pytest
from rest_framework.test import APIClient

from leadpool.leads.models import Lead
from leadpool.scoring.models import ScoringRule

pytestmark = pytest.mark.django_db
RULE = {
    "name": "Trade fair",
    "field": "source",
    "operator": "equals",
    "value": "展会",
    "points": 20,
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_system_admin_creates_reads_changes_and_deletes_a_rule(admin):
    # given
    client = client_for(admin)
    # when
    created = client.post("/api/v1/scoring-rules/", RULE, format="json")
    # then
    assert created.status_code == 201
    rule = created.json()
    assert {key: rule[key] for key in RULE} == RULE
    assert rule["is_active"] is True and rule["created_by"] == admin.pk
    # when
    changed = client.patch(f"/api/v1/scoring-rules/{rule['id']}/", {"points": -5}, format="json")
    listed = client.get("/api/v1/scoring-rules/")
    deleted = client.delete(f"/api/v1/scoring-rules/{rule['id']}/")
    # then
    assert changed.status_code == 200 and changed.json()["points"] == -5
    assert [row["id"] for row in listed.json()["results"]] == [rule["id"]]
    assert deleted.status_code == 204
    assert not ScoringRule.objects.exists()


def test_a_bad_rule_is_a_400_naming_each_field(admin):
    # when
    response = client_for(admin).post(
        "/api/v1/scoring-rules/",
        {"name": "Calls", "field": "calls", "operator": "contains", "value": 1, "points": 0},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"operator", "points"}
    assert not ScoringRule.objects.exists()


def test_an_unknown_attribute_is_refused(admin):
    response = client_for(admin).post("/api/v1/scoring-rules/", {**RULE, "x": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"x": ["Unknown field."]}


@pytest.mark.parametrize("persona", ["manager", "pool_admin", "rep_east"])
def test_only_system_admins_manage_rules(persona, request, admin):
    # given
    user = request.getfixturevalue(persona)
    rule = ScoringRule.objects.create(**RULE)
    client = client_for(user)
    # when
    responses = [
        client.get("/api/v1/scoring-rules/"),
        client.post("/api/v1/scoring-rules/", RULE, format="json"),
        client.patch(f"/api/v1/scoring-rules/{rule.pk}/", {"points": 1}, format="json"),
        client.delete(f"/api/v1/scoring-rules/{rule.pk}/"),
    ]
    # then
    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    rule.refresh_from_db()
    assert (ScoringRule.objects.count(), rule.points) == (1, 20)


def test_a_rule_that_does_not_exist_is_a_404(admin):
    assert client_for(admin).get("/api/v1/scoring-rules/987654/").status_code == 404


def test_leads_carry_their_score_and_explanation(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    explanation = [
        {"rule": 1, "name": "Trade fair", "points": 20, "field": "source",
         "operator": "equals", "value": "展会", "actual": "展会", "reason": "x"}
    ]  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(score=20, score_explanation=explanation)
    # when
    body = client_for(rep_east).get(f"/api/v1/leads/{lead.pk}/").json()
    # then
    assert body["score"] == 20
    assert body["score_explanation"] == [
        {"rule": 1, "name": "Trade fair", "points": 20, "reason": "source is “展会”"}
    ]


def test_leads_are_filtered_by_score_and_sorted_highest_first_a_page_at_a_time(rep_east, make_lead):
    # given
    scores = [5, 40, -3, 40, 12]
    leads = [make_lead(owner=rep_east, name=f"L{score}") for score in scores]
    for lead, score in zip(leads, scores, strict=True):
        Lead.objects.filter(pk=lead.pk).update(score=score)
    client = client_for(rep_east)
    # when
    first = client.get("/api/v1/leads/", {"ordering": "-score", "score_min": 0, "limit": 2})
    second = client.get(
        "/api/v1/leads/",
        {"ordering": "-score", "score_min": 0, "limit": 2, "cursor": first.json()["next"]},
    )
    # then
    assert first.status_code == 200
    tied = sorted((leads[1].pk, leads[3].pk), reverse=True)
    assert [row["id"] for row in first.json()["results"]] == tied
    assert [row["id"] for row in second.json()["results"]] == [leads[4].pk, leads[0].pk]
    assert second.json()["next"] is None


def test_a_bad_score_filter_or_ordering_is_a_400(rep_east):
    # when
    client = client_for(rep_east)
    leads = client.get("/api/v1/leads/", {"score_min": "high", "ordering": "name"})
    customers = client.get("/api/v1/customers/", {"score_min": "3", "ordering": "-score"})
    # then
    assert leads.status_code == 400
    assert set(leads.json()["errors"]) == {"score_min", "ordering"}
    assert customers.json()["errors"] == {
        "score_min": ["Only leads have a score."],
        "ordering": ["Only leads have a score."],
    }


def test_a_pool_admin_sets_the_lead_pools_score_threshold(pool_admin, lead_pool, customer_pool):
    # when
    client = client_for(pool_admin)
    leads = client.patch(
        f"/api/v1/pools/{lead_pool.pk}/", {"rules": {"score_threshold": 60}}, format="json"
    )
    customers = client.patch(
        f"/api/v1/pools/{customer_pool.pk}/", {"rules": {"score_threshold": 60}}, format="json"
    )
    # then
    assert leads.status_code == 200 and leads.json()["rules"]["score_threshold"] == 60
    assert customers.status_code == 400
    customer_pool.refresh_from_db()
    assert customer_pool.score_threshold is None
