"""Batch actions from the lists: one service call, a per-record summary, htmx or not."""

from django.urls import reverse

from leadpool.history.models import Event
from leadpool.leads.models import Lead

BATCH = reverse("web:batch", args=["leads"])


def test_claiming_ticked_leads_reports_each_refusal(client_for, member, lead_pool, make_lead):
    # given a daily limit of two and three ticked leads
    lead_pool.claim_limit_per_day = 2
    lead_pool.save()
    leads = [make_lead(name=f"Lead {n}", pool=lead_pool) for n in range(3)]
    pool_url = reverse("web:pool", args=["leads", lead_pool.pk])
    client = client_for(member)
    # when
    response = client.post(
        BATCH, {"action": "claim", "ids": [lead.pk for lead in leads], "next": pool_url}
    )
    # then the done ones are mine, and the next page says why the last was refused
    assert response.status_code == 302
    assert response["Location"] == pool_url
    assert Lead.objects.filter(owner=member).count() == 2
    page = client.get(pool_url).content.decode()
    assert "2 claimed, 1 refused: Daily claim limit 2/2 reached" in page
    assert "Lead 2: Daily claim limit 2/2 reached" in page


def test_the_summary_shows_once(client_for, member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    client = client_for(member)
    client.post(BATCH, {"action": "claim", "ids": [lead.pk], "next": "/leads/"})
    # when
    first = client.get("/leads/").content.decode()
    second = client.get("/leads/").content.decode()
    # then
    assert "1 claimed" in first
    assert "1 claimed" not in second


def test_an_htmx_batch_answers_the_summary_and_asks_the_list_to_reload(
    client_for, member, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    response = client_for(member).post(
        BATCH, {"action": "claim", "ids": [lead.pk]}, headers={"HX-Request": "true"}
    )
    # then
    assert response.status_code == 200
    assert response["HX-Trigger"] == "records-changed"
    assert "1 claimed" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_a_rows_own_button_claims_that_record_only(client_for, member, lead_pool, make_lead):
    # given
    wanted, ticked = make_lead(pool=lead_pool), make_lead(pool=lead_pool)
    # when
    client_for(member).post(BATCH, {"row": f"claim:{wanted.pk}", "ids": [ticked.pk]})
    # then
    assert list(Lead.objects.filter(owner=member)) == [wanted]


def test_nothing_ticked_is_explained(client_for, member):
    # when
    response = client_for(member).post(BATCH, {"action": "claim"}, headers={"HX-Request": "true"})
    # then
    assert "Tick at least one record." in response.content.decode()


def test_a_pool_admin_assigns_and_reclaims(client_for, pool_admin, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    client = client_for(pool_admin)
    # when
    client.post(BATCH, {"action": "assign", "ids": [lead.pk], "to_user_assign": rep_east.pk})
    lead.refresh_from_db()
    assigned_owner = lead.owner
    client.post(BATCH, {"action": "reclaim", "ids": [lead.pk], "reason_reclaim": "slow"})
    lead.refresh_from_db()
    # then
    assert assigned_owner == rep_east
    assert lead.owner is None
    assert Event.objects.filter(lead=lead, action="reclaim", reason="slow").exists()


def test_a_member_cannot_assign(client_for, member, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    response = client_for(member).post(
        BATCH,
        {"action": "assign", "ids": [lead.pk], "to_user_assign": rep_east.pk},
        headers={"HX-Request": "true"},
    )
    # then
    lead.refresh_from_db()
    assert lead.owner is None
    assert "You may not do that with this record." in response.content.decode()


def test_returning_needs_one_of_the_pools_reasons(client_for, member, lead_pool, make_lead):
    # given
    lead_pool.return_reasons = ["无法联系", "无意向"]
    lead_pool.save()
    lead = make_lead(pool=lead_pool, owner=member)
    client = client_for(member)
    # when
    refused = client.post(
        BATCH,
        {"action": "return", "ids": [lead.pk], "reason_return": "bored"},
        headers={"HX-Request": "true"},
    ).content.decode()
    client.post(BATCH, {"action": "return", "ids": [lead.pk], "reason_return": "无意向"})
    # then
    assert "is not one of this pool&#x27;s return reasons" in refused
    lead.refresh_from_db()
    assert lead.owner is None
    assert Event.objects.get(lead=lead, action="return").reason == "无意向"


def test_put_into_pool_needs_a_pool(client_for, member, lead_pool, make_lead):
    # given
    lead = make_lead(owner=member)
    client = client_for(member)
    # when
    refused = client.post(
        BATCH, {"action": "put_into_pool", "ids": [lead.pk]}, headers={"HX-Request": "true"}
    ).content.decode()
    client.post(
        BATCH, {"action": "put_into_pool", "ids": [lead.pk], "to_pool_put_into_pool": lead_pool.pk}
    )
    # then
    assert "Choose a pool." in refused
    lead.refresh_from_db()
    assert (lead.pool, lead.owner) == (lead_pool, None)


def test_delete_and_restore(client_for, pool_admin, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    client = client_for(pool_admin)
    # when
    client.post(BATCH, {"action": "delete", "ids": [lead.pk]})
    lead.refresh_from_db()
    deleted = lead.is_deleted
    client.post(BATCH, {"action": "restore", "ids": [lead.pk]})
    lead.refresh_from_db()
    # then
    assert deleted is True
    assert lead.is_deleted is False


def test_another_reps_lead_is_refused_without_its_name(client_for, rep_east, rep_west, make_lead):
    # given
    secret = make_lead(name="Secret Co", owner=rep_west)
    # when
    response = client_for(rep_east).post(
        BATCH,
        {"action": "delete", "ids": [secret.pk]},
        headers={"HX-Request": "true"},
    )
    # then
    page = response.content.decode()
    assert "Secret Co" not in page
    assert f"#{secret.pk}: No such record." in page
    secret.refresh_from_db()
    assert secret.is_deleted is False


def test_garbage_ids_are_refused_not_a_crash(client_for, member):
    # when
    response = client_for(member).post(
        BATCH,
        {"action": "claim", "ids": ["bob", "99999999999999999999"]},
        headers={"HX-Request": "true"},
    )
    # then
    assert response.status_code == 200
    assert "0 claimed, 2 refused" in response.content.decode()


def test_next_must_stay_on_this_site(client_for, member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    response = client_for(member).post(
        BATCH, {"action": "claim", "ids": [lead.pk], "next": "https://evil.example/"}
    )
    # then
    assert response["Location"] == "/leads/"


def test_batch_answers_only_posts(client_for, member):
    assert client_for(member).get(BATCH).status_code == 405


def test_batch_needs_csrf(member, lead_pool, make_lead):
    # given
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    lead = make_lead(pool=lead_pool)
    # when
    response = client.post(BATCH, {"action": "claim", "ids": [lead.pk]})
    # then
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner is None


def test_an_expired_session_logs_in_and_comes_back(client, lead_pool):
    # when a plain POST and an htmx request arrive without a session
    plain = client.post(BATCH, {"action": "claim", "next": "/leads/pools/1/"})
    htmx = client.post(
        BATCH,
        {"action": "claim"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/leads/?q=a"},
    )
    # then
    assert plain["Location"] == "/login/?next=/leads/pools/1/"
    assert htmx["HX-Redirect"] == "/login/?next=%2Fleads%2F%3Fq%3Da"


def test_every_matching_record_beyond_the_page(client_for, pool_admin, lead_pool, make_lead):
    # given 60 leads in the pool (two pages), 55 of them from the fair
    for number in range(60):
        make_lead(name=f"L{number}", pool=lead_pool, source="fair" if number < 55 else "web")
    client = client_for(pool_admin)
    page = client.get(reverse("web:pool", args=["leads", lead_pool.pk]), {"source": "fair"})
    # when
    response = client.post(
        BATCH,
        {
            "action": "delete",
            "all_matching": "1",
            "where": "pool",
            "pool": lead_pool.pk,
            "query": "source=fair",
        },
        headers={"HX-Request": "true"},
    )
    # then
    assert 'name="all_matching"' in page.content.decode()
    assert "55 deleted" in response.content.decode()
    assert Lead.objects.filter(deleted_at__isnull=True).count() == 5


def test_every_matching_record_stays_within_the_users_scope(
    client_for, member, rep_west, lead_pool, make_lead
):
    # given
    make_lead(name="In pool", pool=lead_pool)
    make_lead(name="Someone else's", owner=rep_west)
    # when
    response = client_for(member).post(
        BATCH,
        {"action": "claim", "all_matching": "1", "where": "all", "query": ""},
        headers={"HX-Request": "true"},
    )
    # then
    assert "1 claimed" in response.content.decode()
    assert Lead.objects.get(name="Someone else's").owner == rep_west
