"""A record's page, edit and create forms, follow-ups and the live duplicate check."""

from django.urls import reverse

from leadpool.activity.models import FollowUp
from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool


def detail(lead):
    return reverse("web:record", args=["leads", lead.pk])


def test_another_reps_lead_is_not_found(client_for, rep_east, rep_west, make_lead):
    # given
    theirs = make_lead(owner=rep_west)
    # then
    assert client_for(rep_east).get(detail(theirs)).status_code == 404
    assert client_for(rep_east).get(detail(theirs) + "edit/").status_code == 404
    assert client_for(rep_east).post(detail(theirs) + "followups/").status_code == 404


def test_ids_past_any_row_are_not_found(client_for, rep_east):
    # when
    response = client_for(rep_east).get("/leads/99999999999999999999999/")
    # then
    assert response.status_code == 404


def test_the_owner_sees_the_details_and_their_actions_only(
    client_for, rep_east, lead_pool, make_lead
):
    # given
    lead = make_lead(name="Zhang San", owner=rep_east, pool=lead_pool, phone="13800138000")
    # when
    response = client_for(rep_east).get(detail(lead))
    # then
    page = response.content.decode()
    assert "13800138000" in page
    assert response.context["actions"] == {
        "edit",
        "follow_up",
        "return",
        "put_into_pool",
        "convert",
    }
    assert 'value="assign"' not in page
    assert 'value="return"' in page


def test_a_pool_member_sees_claim_and_masked_contacts(client_for, member, lead_pool, make_lead):
    # given
    lead_pool.contact_visibility = Pool.ContactVisibility.MASKED
    lead_pool.save()
    lead = make_lead(pool=lead_pool, phone="13800138000", email="zhang@example.com")
    # when
    response = client_for(member).get(detail(lead))
    # then
    page = response.content.decode()
    assert response.context["actions"] == {"claim"}
    assert "138****8000" in page and "13800138000" not in page
    assert "z***@example.com" in page and "zhang@example.com" not in page


def test_the_pool_admin_may_assign_reclaim_and_delete(
    client_for, pool_admin, rep_east, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, owner=rep_east)
    # when
    response = client_for(pool_admin).get(detail(lead))
    # then
    assert response.context["actions"] == {
        "assign",
        "reclaim",
        "delete",
        "edit",
        "follow_up",
        "convert",
    }


def test_the_history_lists_what_happened(client_for, pool_admin, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    Event.objects.create(
        lead=lead, action="assign", actor=pool_admin, to_owner=rep_east, reason="fit"
    )
    # when
    page = client_for(pool_admin).get(detail(lead)).content.decode()
    # then
    assert "Assigned" in page and "fit" in page


def test_editing_saves_through_the_service(client_for, rep_east, make_lead):
    # given
    lead = make_lead(name="Old", owner=rep_east)
    # when
    response = client_for(rep_east).post(
        detail(lead) + "edit/",
        {"name": "New", "company": "ACME", "phone": lead.phone, "status": "following"},
    )
    # then
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.name, lead.company, lead.status) == ("New", "ACME", "following")
    assert Event.objects.get(lead=lead, action="edit").details == {
        "fields": ["company", "name", "status"]
    }


def test_edit_errors_show_inline_and_keep_what_was_typed(client_for, rep_east, make_lead):
    # given
    lead = make_lead(name="Old", owner=rep_east)
    # when
    response = client_for(rep_east).post(
        detail(lead) + "edit/", {"name": "", "company": "", "phone": "12", "email": "typed@x"}
    )
    # then
    assert response.status_code == 400
    form = response.context["form"]
    assert "name" in form.errors and "phone" in form.errors
    page = response.content.decode()
    assert 'value="typed@x"' in page
    lead.refresh_from_db()
    assert lead.name == "Old"


def test_a_collaborator_may_edit_but_a_pool_member_may_not(
    client_for, rep_west, member, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool)
    collaborating = make_lead(owner=member)
    collaborating.collaborators.add(rep_west)
    # then
    assert client_for(member).get(detail(lead) + "edit/").status_code == 403
    assert client_for(rep_west).get(detail(collaborating) + "edit/").status_code == 200


def test_creating_a_lead_into_a_pool(client_for, member, lead_pool):
    # when
    response = client_for(member).post(
        reverse("web:record_create", args=["leads"]),
        {"pool": lead_pool.pk, "name": "Li Si", "phone": "13900139000", "status": "new"},
    )
    # then
    lead = Lead.objects.get(name="Li Si")
    assert (lead.pool, lead.owner, lead.created_by) == (lead_pool, None, member)
    assert response["Location"] == detail(lead)


def test_creating_a_duplicate_warns_then_saves_when_told(client_for, rep_east, make_lead):
    # given
    make_lead(name="Existing", owner=rep_east, phone="13900139000")
    url = reverse("web:record_create", args=["leads"])
    data = {"name": "Again", "phone": "139 0013 9000", "status": "new"}
    client = client_for(rep_east)
    # when
    warned = client.post(url, data)
    saved = client.post(url, {**data, "allow_duplicate": "on"})
    # then
    assert warned.status_code == 400
    assert "Already on file: “Existing”" in warned.context["form"].errors["phone"][0]
    assert 'name="allow_duplicate"' in warned.content.decode()
    assert saved.status_code == 302
    assert Lead.objects.filter(name="Again").count() == 1


def test_the_live_duplicate_check_says_who_holds_it(client_for, rep_east, rep_west, make_lead):
    # given
    make_lead(name="Mine", owner=rep_east, phone="13900139000")
    make_lead(name="Theirs", owner=rep_west, email="w@example.com")
    client = client_for(rep_east)
    url = reverse("web:duplicates", args=["leads"])
    # when
    mine = client.get(url, {"phone": "13900139000"}).content.decode()
    theirs = client.get(url, {"email": "w@example.com"}).content.decode()
    nothing = client.get(url, {"phone": ""}).content.decode()
    # then
    assert "Mine" in mine and "owned by Rep East" in mine
    assert "Theirs" not in theirs and "held by a colleague" in theirs
    assert nothing.strip() == ""


def test_adding_a_follow_up_with_htmx_rerenders_the_timeline(client_for, rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    # when
    response = client_for(rep_east).post(
        detail(lead) + "followups/",
        {"kind": "call", "content": "Called, interested", "next_step": "Send quote"},
        headers={"HX-Request": "true"},
    )
    # then
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="followups">')
    assert "Called, interested" in page
    lead.refresh_from_db()
    assert lead.status == "following"
    assert FollowUp.objects.get(lead=lead).author == rep_east


def test_a_follow_up_without_content_says_so_and_keeps_the_rest(client_for, rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    # when
    response = client_for(rep_east).post(
        detail(lead) + "followups/", {"kind": "visit", "content": " ", "next_step": "kept"}
    )
    # then
    assert response.status_code == 400
    assert "Say what happened." in response.content.decode()
    assert 'value="kept"' in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_pool_member_may_not_follow_up_an_unclaimed_lead(
    client_for, member, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    response = client_for(member).post(
        detail(lead) + "followups/", {"kind": "call", "content": "x"}
    )
    # then
    assert response.status_code == 403
    assert not FollowUp.objects.exists()


def test_claiming_from_the_record_page_comes_back_to_it(client_for, member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    client = client_for(member)
    # when
    response = client.post(
        reverse("web:batch", args=["leads"]),
        {"action": "claim", "ids": [lead.pk], "next": detail(lead)},
    )
    # then
    assert response["Location"] == detail(lead)
    assert "1 claimed" in client.get(detail(lead)).content.decode()


def test_customer_pages_work_the_same(client_for, rep_east, make_customer):
    # given
    customer = make_customer(name="Big Co", owner=rep_east)
    # when
    response = client_for(rep_east).get(reverse("web:record", args=["customers", customer.pk]))
    # then
    assert response.status_code == 200
    assert "convert" not in response.context["actions"]
