"""On the record page: calls (log one, list them as the contact rules allow) and
collaborators; custom fields in the create and edit forms, the details and list filters."""

from django.urls import reverse
from django.utils import timezone

from leadpool.activity.models import CallRecord
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool


def call_form(**changes) -> dict:
    data = {
        "number": "13800138000",
        "direction": "outbound",
        "outcome": "answered",
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "duration_seconds": "95",
        "notes": "Wants a quote",
    }
    data.update(changes)
    return data


def test_logging_an_answered_call_counts_as_a_follow_up(client_for, rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    # when
    response = client_for(rep_east).post(
        reverse("web:call_add", args=["leads", lead.pk]),
        call_form(),
        headers={"HX-Request": "true"},
    )
    # then the calls list comes back with it, and the lead is being followed up
    text = response.content.decode()
    assert response.status_code == 200
    assert "Wants a quote" in text and "95 seconds" in text
    assert "<html" not in text
    call = CallRecord.objects.get()
    assert (call.lead, call.author, call.duration_seconds) == (lead, rep_east, 95)
    lead.refresh_from_db()
    assert lead.status == "following"


def test_a_call_in_the_future_is_refused_inline(client_for, rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    # when
    response = client_for(rep_east).post(
        reverse("web:call_add", args=["leads", lead.pk]), call_form(started_at="2099-01-01T10:00")
    )
    # then
    assert response.status_code == 400
    assert "A call cannot start in the future." in response.content.decode()
    assert not CallRecord.objects.exists()


def test_others_may_not_log_calls(client_for, rep_east, rep_west, member, lead_pool, make_lead):
    # given
    private = make_lead(owner=rep_east)
    pooled = make_lead(pool=lead_pool)
    # then: out of scope is not found; a member may see but not follow up
    assert (
        client_for(rep_west)
        .post(reverse("web:call_add", args=["leads", private.pk]), call_form())
        .status_code
        == 404
    )
    assert (
        client_for(member)
        .post(reverse("web:call_add", args=["leads", pooled.pk]), call_form())
        .status_code
        == 403
    )
    assert not CallRecord.objects.exists()


def test_call_numbers_are_masked_like_the_contact_details(
    client_for, member, pool_admin, lead_pool, make_lead
):
    # given a pool that masks phones until claimed, and a call logged on an unclaimed lead
    lead_pool.contact_visibility = Pool.ContactVisibility.MASKED
    lead_pool.save()
    lead = make_lead(pool=lead_pool, phone="13912345678")
    CallRecord.objects.create(
        lead=lead, author=pool_admin, number="13912345678", started_at=timezone.now()
    )
    # when
    page = client_for(member).get(reverse("web:record", args=["leads", lead.pk])).content.decode()
    # then
    assert "13912345678" not in page
    assert "139****5678" in page


def test_the_owner_adds_a_collaborator_who_may_then_open_it(
    client_for, rep_east, rep_west, make_lead
):
    # given
    lead = make_lead(owner=rep_east)
    url = reverse("web:record", args=["leads", lead.pk])
    assert client_for(rep_west).get(url).status_code == 404
    # when
    response = client_for(rep_east).post(
        reverse("web:collaborators", args=["leads", lead.pk]), {"collaborators": [rep_west.pk]}
    )
    # then
    assert response.status_code == 302
    assert list(lead.collaborators.all()) == [rep_west]
    assert client_for(rep_west).get(url).status_code == 200
    assert lead.history.filter(action="edit").exists()


def test_a_member_may_not_change_collaborators(client_for, member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    response = client_for(member).post(
        reverse("web:collaborators", args=["leads", lead.pk]), {"collaborators": [member.pk]}
    )
    # then
    assert response.status_code == 403
    assert not lead.collaborators.exists()


def test_custom_fields_in_the_create_form(client_for, rep_east, level_field):
    # given
    client = client_for(rep_east)
    # when
    form = client.get(reverse("web:record_create", args=["leads"])).content.decode()
    response = client.post(
        reverse("web:record_create", args=["leads"]), {"name": "Custom", "custom.level": "B"}
    )
    # then
    assert 'name="custom.level"' in form and "客户等级" in form
    assert response.status_code == 302
    assert Lead.objects.get().custom == {"level": "B"}


def test_a_bad_custom_value_is_shown_at_its_field(client_for, rep_east, level_field):
    # when
    response = client_for(rep_east).post(
        reverse("web:record_create", args=["leads"]), {"name": "Custom", "custom.level": "Z"}
    )
    # then the form field refuses a value outside its choices
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Lead.objects.exists()


def test_a_required_custom_field_is_required_by_the_service(client_for, rep_east, level_field):
    # given
    level_field.is_required = True
    level_field.save()
    # when
    response = client_for(rep_east).post(
        reverse("web:record_create", args=["leads"]), {"name": "Custom"}
    )
    # then
    assert response.status_code == 400
    assert "客户等级 is required." in response.content.decode()


def test_editing_shows_and_keeps_custom_values(client_for, rep_east, level_field, make_lead):
    # given
    lead = make_lead(owner=rep_east, custom={"level": "A"})
    client = client_for(rep_east)
    # when
    form = client.get(reverse("web:record_edit", args=["leads", lead.pk])).content.decode()
    client.post(
        reverse("web:record_edit", args=["leads", lead.pk]),
        {"name": lead.name, "phone": lead.phone, "status": "new", "custom.level": "B"},
    )
    page = client.get(reverse("web:record", args=["leads", lead.pk])).content.decode()
    # then
    assert '<option value="A" selected>' in form
    lead.refresh_from_db()
    assert lead.custom == {"level": "B"}
    assert "<dt>客户等级</dt><dd>B</dd>" in page


def test_lists_filter_by_a_custom_field(client_for, rep_east, level_field, make_lead):
    # given
    make_lead(name="Level A", owner=rep_east, custom={"level": "A"})
    make_lead(name="Level B", owner=rep_east, custom={"level": "B"})
    client = client_for(rep_east)
    # when
    page = client.get("/leads/", {"custom.level": "A"}).content.decode()
    # then
    assert 'name="custom.level"' in page
    assert "Level A" in page
    assert "Level B" not in page


def test_an_unknown_custom_choice_filter_explains_itself(client_for, rep_east, level_field):
    # when
    page = client_for(rep_east).get("/leads/", {"custom.level": "Z"}).content.decode()
    # then
    assert "is not one of the choices" in page
