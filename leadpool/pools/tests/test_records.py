"""Creating and editing leads and customers (pools/records.py)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from leadpool.accounts.models import User
from leadpool.customers.models import Contact, Customer
from leadpool.fields.models import CustomField
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.duplicates import HiddenMatch
from leadpool.pools.records import DuplicateRecord, create_record, update_record


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas are created with passwords; the default hasher costs ~0.2 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def budget_field(db):
    return CustomField.objects.create(
        entity="lead", key="budget", label="Budget", type=CustomField.Type.NUMBER
    )


def _events(record) -> list[tuple]:
    return list(
        Event.objects.filter(**{record.entity: record})
        .order_by("id")
        .values_list("action", "actor_id", "to_owner_id", "to_pool_id", "details")
    )


def _notifications() -> list[tuple]:
    return list(
        Notification.objects.order_by("id").values_list("user_id", "kind", "actor_id", "lead_id")
    )


def _snapshot(record) -> dict:
    """Everything an edit could change, read fresh from the database."""
    fresh = type(record).objects.get(pk=record.pk)
    return {
        "fields": {
            field.name: getattr(fresh, field.attname)
            for field in fresh._meta.concrete_fields
            if field.name != "updated_at"
        },
        "collaborators": set(fresh.collaborators.values_list("pk", flat=True)),
        "events": Event.objects.count(),
    }


# --- create_record: where the record goes ----------------------------------------------


def test_a_rep_creates_a_private_lead_owned_by_himself(rep_east):
    # when
    lead = create_record(
        model=Lead,
        by=rep_east,
        data={
            "name": " Li Si ",
            "company": "ACME Co., Ltd.",
            "phone": "138 0013 8000",
            "other_phone": "010-62345678",
            "email": "Li.Si@Example.COM",
            "source": "trade fair",
        },
    )
    # then
    lead = Lead.objects.get(pk=lead.pk)
    assert {
        "name": lead.name,
        "company": lead.company,
        "company_normalized": lead.company_normalized,
        "phone": lead.phone,
        "phone_normalized": lead.phone_normalized,
        "other_phone": lead.other_phone,
        "other_phone_normalized": lead.other_phone_normalized,
        "email": lead.email,
        "email_normalized": lead.email_normalized,
        "source": lead.source,
        "status": lead.status,
        "custom": lead.custom,
        "owner": lead.owner,
        "pool": lead.pool,
        "created_by": lead.created_by,
        "assigned_at": lead.assigned_at,
        "pooled_at": lead.pooled_at,
        "reclaim_at": lead.reclaim_at,
    } == {
        "name": "Li Si",
        "company": "ACME Co., Ltd.",
        "company_normalized": "acme",
        "phone": "138 0013 8000",
        "phone_normalized": "+8613800138000",
        "other_phone": "010-62345678",
        "other_phone_normalized": "+861062345678",
        "email": "Li.Si@Example.COM",
        "email_normalized": "li.si@example.com",
        "source": "trade fair",
        "status": "new",
        "custom": {},
        "owner": rep_east,
        "pool": None,
        "created_by": rep_east,
        "assigned_at": None,
        "pooled_at": None,
        "reclaim_at": None,
    }
    assert _events(lead) == [("create", rep_east.pk, rep_east.pk, None, {})]
    assert _notifications() == []


def test_a_member_creates_a_lead_into_a_pool_unassigned(member, lead_pool):
    # when
    lead = create_record(model=Lead, by=member, data={"name": "Li Si"}, pool=lead_pool.pk)
    # then
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.owner, lead.pool, lead.pooled_at, lead.assigned_at) == (
        None,
        lead_pool,
        lead.created_at,
        None,
    )
    assert _events(lead) == [("create", member.pk, None, lead_pool.pk, {})]
    assert _notifications() == []


def test_a_pool_admin_creates_a_lead_in_his_pool_for_a_rep_who_is_notified(
    pool_admin, rep_west, lead_pool
):
    # when
    lead = create_record(
        model=Lead, by=pool_admin, data={"company": "ACME"}, pool=lead_pool, owner=rep_west
    )
    # then
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.owner, lead.pool, lead.assigned_at, lead.pooled_at, lead.created_by) == (
        rep_west,
        lead_pool,
        lead.created_at,
        None,
        pool_admin,
    )
    assert _events(lead) == [("create", pool_admin.pk, rep_west.pk, lead_pool.pk, {})]
    assert _notifications() == [(rep_west.pk, "assigned", pool_admin.pk, lead.pk)]


def test_a_manager_creates_a_private_lead_for_a_rep_of_his_department(manager, rep_east):
    # when
    lead = create_record(model=Lead, by=manager, data={"name": "Li Si"}, owner=rep_east.pk)
    # then
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.owner, lead.pool, lead.assigned_at, lead.created_by) == (
        rep_east,
        None,
        lead.created_at,
        manager,
    )
    assert _events(lead) == [("create", manager.pk, rep_east.pk, None, {})]
    assert _notifications() == [(rep_east.pk, "assigned", manager.pk, lead.pk)]


def test_an_admin_creates_a_lead_for_anyone(admin, outsider):
    # when
    lead = create_record(model=Lead, by=admin, data={"name": "Li Si"}, owner=outsider)
    # then
    assert (lead.owner, lead.pool) == (outsider, None)
    assert _notifications() == [(outsider.pk, "assigned", admin.pk, lead.pk)]


def test_a_member_creating_into_a_pool_for_himself_owns_it_without_a_notification(
    rep_east, lead_pool
):
    # when
    lead = create_record(
        model=Lead, by=rep_east, data={"name": "Li Si"}, pool=lead_pool, owner=rep_east
    )
    # then
    assert (lead.owner, lead.pool, lead.assigned_at, lead.pooled_at) == (
        rep_east,
        lead_pool,
        None,
        None,
    )
    assert _notifications() == []


def test_a_customer_is_created_into_a_customer_pool(member, customer_pool):
    # when
    customer = create_record(
        model=Customer, by=member, data={"company": "华为技术有限公司"}, pool=customer_pool
    )
    # then
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.pool, customer.owner, customer.company_normalized, customer.status) == (
        customer_pool,
        None,
        "华为技术",
        "new",
    )
    assert _events(customer) == [("create", member.pk, None, customer_pool.pk, {})]


def test_collaborators_are_set_on_create(rep_east, rep_west, member):
    # when
    lead = create_record(
        model=Lead,
        by=rep_east,
        data={"name": "Li Si", "collaborators": [rep_west.pk, member]},
    )
    # then
    assert set(lead.collaborators.all()) == {rep_west, member}


@pytest.mark.parametrize(
    ("creator", "owner", "pool"),
    [
        ("rep_east", "rep_west", "lead_pool"),  # a rep for another rep
        ("rep_east", "member", None),
        ("manager", "rep_west", None),  # a manager outside his department
        ("manager", "pool_admin", None),  # ... or above it
        ("pool_admin", "rep_west", None),  # a pool admin, outside his pools
    ],
)
def test_creating_a_record_for_someone_one_may_not_give_to_is_refused(
    request, lead_pool, creator, owner, pool
):
    # given
    by = request.getfixturevalue(creator)
    given = request.getfixturevalue(owner)
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(
            model=Lead,
            by=by,
            data={"name": "Li Si"},
            pool=request.getfixturevalue(pool) if pool else None,
            owner=given,
        )
    # then
    assert raised.value.message_dict == {"owner": [f"You may not create records for {given}."]}
    assert (Lead.objects.count(), Event.objects.count(), Notification.objects.count()) == (0, 0, 0)


# --- create_record: validation, all errors at once, nothing written -------------------


def test_every_bad_field_is_named_at_once_and_nothing_is_written(rep_east, budget_field):
    # given
    data = {
        "name": "",
        "company": "",
        "phone": "12345",
        "other_phone": "call reception",
        "email": "li.si@",
        "source": "x" * 101,
        "region": 42,
        "notes": "n" * 10_001,
        "status": "converted",
        "next_followup_at": "next week",
        "owner": rep_east.pk,
        "pool": 1,
        "deleted_at": "2024-01-01",
        "custom": {"budget": "lots", "colour": "red"},
        "collaborators": [999_999],
    }
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data=data)
    # then
    assert raised.value.message_dict == {
        "name": ["Give a name or a company."],
        "phone": ["“12345” is not a valid phone number."],
        "other_phone": ["“call reception” is not a valid phone number."],
        "email": ["“li.si@” is not a valid e-mail address."],
        "source": ["Enter at most 100 characters."],
        "region": ["Enter text."],
        "notes": ["Enter at most 10000 characters."],
        "status": ["Choose one of: following, invalid, new."],
        "next_followup_at": ["Enter a date and time (ISO 8601)."],
        "owner": ["Change the owner by claiming, assigning, reclaiming or returning."],
        "pool": ["Move records between pools by assigning or putting them into a pool."],
        "deleted_at": ["“deleted_at” cannot be set here."],
        "custom.budget": ["“lots” is not a number."],
        "custom.colour": ["There is no custom field “colour”."],
        "collaborators": ["There is no active user 999999."],
    }
    assert (Lead.objects.count(), Event.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("field", "max_length"), [("name", 200), ("company", 200), ("region", 100), ("industry", 100)]
)
def test_text_longer_than_its_column_is_refused(rep_east, field, max_length):
    # given
    data = {"name": "Li Si", field: "字" * (max_length + 1)}
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data=data)
    # then
    assert raised.value.message_dict == {field: [f"Enter at most {max_length} characters."]}
    assert Lead.objects.count() == 0


def test_text_exactly_as_long_as_its_column_is_accepted(rep_east):
    # when
    lead = create_record(model=Lead, by=rep_east, data={"name": "字" * 200})
    # then
    assert Lead.objects.get(pk=lead.pk).name == "字" * 200


def test_a_company_alone_is_enough(rep_east):
    # when
    lead = create_record(model=Lead, by=rep_east, data={"company": "ACME"})
    # then
    assert (lead.name, lead.company) == ("", "ACME")


def test_a_record_needs_a_name_or_a_company_even_when_neither_is_given(rep_east):
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data={"phone": "13800138000"})
    # then
    assert raised.value.message_dict == {"name": ["Give a name or a company."]}
    assert Lead.objects.count() == 0


def test_a_required_custom_field_must_be_given_on_create(rep_east, budget_field):
    # given
    CustomField.objects.filter(pk=budget_field.pk).update(is_required=True)
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Li Si"})
    # then
    assert raised.value.message_dict == {"custom.budget": ["Budget is required."]}
    assert Lead.objects.count() == 0


def test_custom_values_are_stored_in_their_clean_form(rep_east, budget_field):
    # when
    lead = create_record(
        model=Lead, by=rep_east, data={"name": "Li Si", "custom": {"budget": "1,500"}}
    )
    # then
    assert Lead.objects.get(pk=lead.pk).custom == {"budget": 1500}


def test_a_converted_status_cannot_be_given_on_create_but_a_won_customer_can(rep_east):
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Li Si", "status": "converted"})
    customer = create_record(model=Customer, by=rep_east, data={"name": "Li Si", "status": "won"})
    # then
    assert raised.value.message_dict == {"status": ["Choose one of: following, invalid, new."]}
    assert customer.status == "won"


def test_next_followup_at_is_read_as_iso_8601_in_the_local_time_zone(rep_east):
    # when
    lead = create_record(
        model=Lead,
        by=rep_east,
        data={"name": "Li Si", "next_followup_at": "2030-05-01T10:00:00"},
    )
    # then
    assert Lead.objects.get(pk=lead.pk).next_followup_at == datetime.datetime(
        2030, 5, 1, 2, 0, tzinfo=datetime.UTC
    )


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-10:00", "0001-01-01T00:00:00", "1358-10-19T16:28:32-22:44"]
)
def test_a_next_followup_at_outside_1970_to_2099_is_refused(rep_east, moment):
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Li Si", "next_followup_at": moment})
    # then
    assert raised.value.message_dict == {
        "next_followup_at": ["Enter a time between 1970 and 2099."]
    }
    assert Lead.objects.count() == 0


def test_an_unknown_pool_is_refused(rep_east):
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Li Si"}, pool=999_999)
    # then
    assert raised.value.message_dict == {"pool": ["There is no pool 999999."]}
    assert Lead.objects.count() == 0


def test_a_pool_one_does_not_belong_to_is_reported_as_unknown(rep_west, lead_pool):
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_west, data={"name": "Li Si"}, pool=lead_pool)
    # then
    assert raised.value.message_dict == {"pool": [f"There is no pool {lead_pool.pk}."]}
    assert Lead.objects.count() == 0


def test_a_pool_of_the_wrong_kind_is_refused(pool_admin, customer_pool):
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=pool_admin, data={"name": "Li Si"}, pool=customer_pool)
    # then
    assert raised.value.message_dict == {"pool": ["“Customer pool” is not a lead pool."]}
    assert Lead.objects.count() == 0


def test_an_inactive_owner_is_refused(admin, rep_west):
    # given
    User.objects.filter(pk=rep_west.pk).update(is_active=False)
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=admin, data={"name": "Li Si"}, owner=rep_west.pk)
    # then
    assert raised.value.message_dict == {"owner": [f"There is no active user {rep_west.pk}."]}
    assert (Lead.objects.count(), Notification.objects.count()) == (0, 0)


def test_bad_fields_and_a_bad_pool_and_owner_are_reported_together(admin, rep_west):
    # given
    User.objects.filter(pk=rep_west.pk).update(is_active=False)
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(
            model=Lead,
            by=admin,
            data={"name": "Li Si", "phone": "12345"},
            pool=999_999,
            owner=rep_west.pk,
        )
    # then
    assert raised.value.message_dict == {
        "phone": ["“12345” is not a valid phone number."],
        "pool": ["There is no pool 999999."],
        "owner": [f"There is no active user {rep_west.pk}."],
    }
    assert Lead.objects.count() == 0


# --- create_record: duplicates ----------------------------------------------------------


@pytest.mark.parametrize("spelling", ["+86 138 0013 8000", "8613800138000", "138-0013-8000"])
def test_a_phone_on_file_with_a_colleague_is_a_duplicate_that_names_no_one(
    rep_east, rep_west, make_lead, spelling
):
    # given
    make_lead(owner=rep_west, phone="13800138000")
    # when
    with pytest.raises(DuplicateRecord) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Li Si", "phone": spelling})
    # then
    assert raised.value.message_dict == {
        "phone": ["This is already on file in a record held by a colleague."]
    }
    assert (raised.value.report.matches, raised.value.report.elsewhere) == (
        [],
        [HiddenMatch("lead", ["phone"], "owned")],
    )
    assert Lead.objects.count() == 1


def test_a_duplicate_in_scope_says_who_holds_it(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="Zhang San", company="ACME", email="zhang@example.com")
    # when
    with pytest.raises(DuplicateRecord) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Li Si", "email": "ZHANG@Example.com"})
    # then
    assert raised.value.message_dict == {
        "email": ["Already on file: “Zhang San (ACME)”, owned by Rep East."]
    }
    assert Lead.objects.count() == 1


def test_a_duplicate_unassigned_in_a_pool_names_the_pool(member, lead_pool, make_lead):
    # given
    make_lead(pool=lead_pool, name="Zhang San", phone="13800138000")
    # when
    with pytest.raises(DuplicateRecord) as raised:
        create_record(model=Lead, by=member, data={"name": "Li Si", "phone": "13800138000"})
    # then
    assert raised.value.message_dict == {
        "phone": ["Already on file: “Zhang San”, unassigned in the pool “Lead pool”."]
    }


def test_each_duplicated_contact_field_is_named(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="Zhang San", phone="13800138000")
    make_lead(owner=rep_east, name="Wang Wu", phone="13900139000", email="wang@example.com")
    # when
    with pytest.raises(DuplicateRecord) as raised:
        create_record(
            model=Lead,
            by=rep_east,
            data={
                "name": "Li Si",
                "phone": "13800138000",
                "other_phone": "13900139000",
                "email": "wang@example.com",
            },
        )
    # then
    assert raised.value.message_dict == {
        "phone": ["Already on file: “Zhang San”, owned by Rep East."],
        "other_phone": ["Already on file: “Wang Wu”, owned by Rep East."],
        "email": ["Already on file: “Wang Wu”, owned by Rep East."],
    }
    assert Lead.objects.count() == 2


def test_a_customer_contacts_phone_makes_a_new_lead_a_duplicate(rep_east, rep_west, make_customer):
    # given
    customer = make_customer(owner=rep_west, company="ACME", phone="")
    Contact.objects.create(
        customer=customer, name="Zhao", phone="13700137000", phone_normalized="+8613700137000"
    )
    # when
    with pytest.raises(DuplicateRecord) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Zhao", "phone": "137 0013 7000"})
    # then
    assert raised.value.message_dict == {
        "phone": ["This is already on file in a record held by a colleague."]
    }
    assert Lead.objects.count() == 0


def test_allow_duplicate_creates_the_record_anyway(rep_east, rep_west, make_lead):
    # given
    existing = make_lead(owner=rep_west, phone="13800138000")
    # when
    lead = create_record(
        model=Lead,
        by=rep_east,
        data={"name": "Li Si", "phone": "138 0013 8000"},
        allow_duplicate=True,
    )
    # then
    assert set(Lead.objects.filter(phone_normalized="+8613800138000")) == {existing, lead}


def test_a_phone_only_in_the_recycle_bin_is_not_a_duplicate(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, phone="13800138000", deleted_at=timezone.now())
    # when
    lead = create_record(model=Lead, by=rep_east, data={"name": "Li Si", "phone": "13800138000"})
    # then
    assert lead.phone_normalized == "+8613800138000"


def test_a_matching_name_or_company_alone_is_not_a_duplicate(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="Li Si", company="ACME Inc")
    # when
    lead = create_record(model=Lead, by=rep_east, data={"name": "Li Si", "company": "ACME Ltd"})
    # then
    assert Lead.objects.count() == 2
    assert lead.company_normalized == "acme"


# --- update_record ----------------------------------------------------------------------


@pytest.fixture
def east_lead(rep_east, lead_pool, make_lead):
    """A lead in the lead pool, owned by rep_east."""
    return make_lead(
        pool=lead_pool,
        owner=rep_east,
        name="Zhang San",
        company="ACME",
        phone="13800138000",
        email="zhang@example.com",
    )


def test_an_edit_saves_the_fields_and_their_normal_forms(rep_east, east_lead):
    # when
    update_record(
        record=east_lead,
        by=rep_east,
        changes={"company": "华为技术有限公司", "phone": "139 0013 9000", "email": "Zhang@HW.com"},
    )
    # then
    lead = Lead.objects.get(pk=east_lead.pk)
    assert (
        lead.company,
        lead.company_normalized,
        lead.phone,
        lead.phone_normalized,
        lead.email,
        lead.email_normalized,
    ) == (
        "华为技术有限公司",
        "华为技术",
        "139 0013 9000",
        "+8613900139000",
        "Zhang@HW.com",
        "zhang@hw.com",
    )


def test_an_edit_writes_one_event_listing_the_changed_fields(rep_east, east_lead):
    # when
    update_record(
        record=east_lead,
        by=rep_east,
        changes={"name": "Zhang Sanfeng", "company": "ACME", "phone": "13900139000"},
    )
    # then
    assert _events(east_lead) == [("edit", rep_east.pk, None, None, {"fields": ["name", "phone"]})]


def test_an_edit_that_changes_nothing_writes_no_event(rep_east, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    update_record(
        record=east_lead,
        by=rep_east,
        changes={"name": "Zhang San", "company": " ACME ", "email": "zhang@example.com"},
    )
    # then
    assert _snapshot(east_lead) == before


def test_an_edit_saves_only_the_edited_columns(rep_east, rep_west, east_lead, lead_pool):
    # given: someone else changes the record after we read it
    Lead.objects.filter(pk=east_lead.pk).update(notes="written meanwhile", region="East")
    east_lead.collaborators.add(rep_west)
    # when
    update_record(record=east_lead, by=rep_east, changes={"name": "Zhang Sanfeng"})
    # then
    lead = Lead.objects.get(pk=east_lead.pk)
    assert (lead.name, lead.notes, lead.region, lead.owner, lead.pool) == (
        "Zhang Sanfeng",
        "written meanwhile",
        "East",
        rep_east,
        lead_pool,
    )


def test_collaborators_are_replaced_and_recorded_as_a_changed_field(
    rep_east, rep_west, member, east_lead
):
    # given
    east_lead.collaborators.add(member)
    # when
    update_record(
        record=east_lead,
        by=rep_east,
        changes={"name": "Zhang Sanfeng", "collaborators": [rep_west.pk]},
    )
    # then
    assert set(east_lead.collaborators.all()) == {rep_west}
    assert [sorted(details["fields"]) for *_, details in _events(east_lead)] == [
        ["collaborators", "name"]
    ]


def test_setting_the_same_collaborators_again_writes_no_event(rep_east, rep_west, east_lead):
    # given
    east_lead.collaborators.add(rep_west)
    # when
    update_record(record=east_lead, by=rep_east, changes={"collaborators": [rep_west]})
    # then
    assert _events(east_lead) == []


def test_an_unknown_or_inactive_collaborator_is_refused_and_nothing_changes(
    rep_east, rep_west, east_lead
):
    # given
    User.objects.filter(pk=rep_west.pk).update(is_active=False)
    before = _snapshot(east_lead)
    # when
    with pytest.raises(ValidationError) as raised:
        update_record(
            record=east_lead,
            by=rep_east,
            changes={"name": "New", "collaborators": [rep_west.pk, 999_999]},
        )
    # then
    assert raised.value.message_dict == {
        "collaborators": [f"There is no active user {rep_west.pk}, 999999."]
    }
    assert _snapshot(east_lead) == before


def test_custom_values_are_merged_into_the_existing_ones(rep_east, east_lead, budget_field):
    # given
    CustomField.objects.create(entity="lead", key="note", label="Note", type="text")
    Lead.objects.filter(pk=east_lead.pk).update(custom={"budget": 100})
    east_lead.refresh_from_db()
    # when
    update_record(record=east_lead, by=rep_east, changes={"custom": {"note": "call back"}})
    # then
    assert Lead.objects.get(pk=east_lead.pk).custom == {"budget": 100, "note": "call back"}
    assert [details for *_, details in _events(east_lead)] == [{"fields": ["custom"]}]


def test_the_status_of_a_converted_lead_cannot_be_changed(rep_east, east_lead):
    # given
    Lead.objects.filter(pk=east_lead.pk).update(status=Lead.Status.CONVERTED)
    east_lead.refresh_from_db()
    before = _snapshot(east_lead)
    # when
    with pytest.raises(ValidationError) as raised:
        update_record(record=east_lead, by=rep_east, changes={"status": "following"})
    # then
    assert raised.value.message_dict == {"status": ["A converted record keeps its status."]}
    assert _snapshot(east_lead) == before


def test_an_open_lead_cannot_be_marked_converted_by_editing(rep_east, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    with pytest.raises(ValidationError) as raised:
        update_record(record=east_lead, by=rep_east, changes={"status": "converted"})
    # then
    assert raised.value.message_dict == {"status": ["Choose one of: following, invalid, new."]}
    assert _snapshot(east_lead) == before


def test_an_edit_with_a_bad_field_changes_nothing(rep_east, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    with pytest.raises(ValidationError) as raised:
        update_record(
            record=east_lead,
            by=rep_east,
            changes={"name": "New name", "email": "nope", "owner": None},
        )
    # then
    assert raised.value.message_dict == {
        "email": ["“nope” is not a valid e-mail address."],
        "owner": ["Change the owner by claiming, assigning, reclaiming or returning."],
    }
    assert _snapshot(east_lead) == before


def test_clearing_the_name_of_a_record_without_a_company_is_refused(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, name="Zhang San", company="")
    before = _snapshot(lead)
    # when
    with pytest.raises(ValidationError) as raised:
        update_record(record=lead, by=rep_east, changes={"name": "  "})
    # then
    assert raised.value.message_dict == {"name": ["Give a name or a company."]}
    assert _snapshot(lead) == before


def test_changing_the_phone_to_one_on_file_is_a_duplicate(rep_east, rep_west, east_lead, make_lead):
    # given
    make_lead(owner=rep_west, phone="13900139000")
    before = _snapshot(east_lead)
    # when
    with pytest.raises(DuplicateRecord) as raised:
        update_record(record=east_lead, by=rep_east, changes={"phone": "+86 139 0013 9000"})
    # then
    assert raised.value.message_dict == {
        "phone": ["This is already on file in a record held by a colleague."]
    }
    assert _snapshot(east_lead) == before


def test_respelling_the_records_own_phone_is_not_a_duplicate(rep_east, east_lead):
    # when
    update_record(record=east_lead, by=rep_east, changes={"phone": "+86 138-0013-8000"})
    # then
    lead = Lead.objects.get(pk=east_lead.pk)
    assert (lead.phone, lead.phone_normalized) == ("+86 138-0013-8000", "+8613800138000")


def test_allow_duplicate_lets_an_edit_reuse_a_phone_on_file(
    rep_east, rep_west, east_lead, make_lead
):
    # given
    make_lead(owner=rep_west, phone="13900139000")
    # when
    update_record(
        record=east_lead, by=rep_east, changes={"phone": "13900139000"}, allow_duplicate=True
    )
    # then
    assert Lead.objects.get(pk=east_lead.pk).phone_normalized == "+8613900139000"


@pytest.mark.parametrize("editor", ["rep_east", "collaborator", "pool_admin", "manager", "admin"])
def test_owner_collaborator_pool_admin_manager_and_admin_may_edit(
    request, east_lead, editor, departments
):
    # given
    if editor == "collaborator":
        by = User.objects.create_user("collaborator", password="x", department=departments["west"])
        east_lead.collaborators.add(by)
    else:
        by = request.getfixturevalue(editor)
    # when
    update_record(record=east_lead, by=by, changes={"notes": "called, no answer"})
    # then
    assert Lead.objects.get(pk=east_lead.pk).notes == "called, no answer"
    assert _events(east_lead) == [("edit", by.pk, None, None, {"fields": ["notes"]})]


@pytest.mark.parametrize(
    ("persona", "situation", "error"),
    [
        ("member", "unassigned", PermissionDenied),  # sees it in the pool, may not edit
        ("rep_east", "unassigned", PermissionDenied),
        ("manager", "unassigned", PermissionDenied),
        ("member", "owned", Http404),  # an owned record is out of a member's scope
        ("outsider", "owned", Http404),
        ("outsider", "unassigned", Http404),
        ("rep_west", "owned", Http404),
        ("pool_admin", "deleted", Http404),
        ("rep_east", "deleted", Http404),
    ],
)
def test_others_may_not_edit_and_nothing_changes(
    request, rep_east, lead_pool, make_lead, persona, situation, error
):
    # given
    record = {
        "unassigned": lambda: make_lead(pool=lead_pool, name="Zhang San"),
        "owned": lambda: make_lead(pool=lead_pool, owner=rep_east, name="Zhang San"),
        "deleted": lambda: make_lead(
            pool=lead_pool, owner=rep_east, name="Zhang San", deleted_at=timezone.now()
        ),
    }[situation]()
    by = request.getfixturevalue(persona)
    before = _snapshot(record)
    # when
    with pytest.raises(error):
        update_record(record=record, by=by, changes={"name": "Hijacked"})
    # then
    assert _snapshot(record) == before


def test_a_customer_may_be_marked_won_by_editing(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east, company="ACME")
    # when
    update_record(record=customer, by=rep_east, changes={"status": "won"})
    # then
    assert Customer.objects.get(pk=customer.pk).status == "won"
    assert _events(customer) == [("edit", rep_east.pk, None, None, {"fields": ["status"]})]


def test_an_edit_is_judged_on_the_owner_as_it_is_now_not_as_it_was_read(rep_east, east_lead):
    # given: the pool admin reclaimed the lead after rep_east's page loaded it
    Lead.objects.filter(pk=east_lead.pk).update(owner=None, pooled_at=timezone.now())
    before = _snapshot(east_lead)
    # when
    with pytest.raises(PermissionDenied):
        update_record(record=east_lead, by=rep_east, changes={"name": "Hijacked"})
    # then
    assert _snapshot(east_lead) == before


def test_a_lead_converted_since_it_was_read_keeps_its_status(rep_east, east_lead):
    # given: the lead was converted after rep_east's page loaded it
    Lead.objects.filter(pk=east_lead.pk).update(status=Lead.Status.CONVERTED)
    before = _snapshot(east_lead)
    # when
    with pytest.raises(ValidationError) as raised:
        update_record(record=east_lead, by=rep_east, changes={"status": "following"})
    # then
    assert raised.value.message_dict == {"status": ["A converted record keeps its status."]}
    assert _snapshot(east_lead) == before


def test_a_nul_character_in_a_text_field_is_refused_and_nothing_written(rep_east):
    # when
    with pytest.raises(ValidationError) as raised:
        create_record(model=Lead, by=rep_east, data={"name": "Li\x00 Si", "notes": "ok"})
    # then
    assert raised.value.message_dict == {"name": ["Remove the NUL character."]}
    assert Lead.objects.count() == 0
