import json

import pytest
from django.core.management import CommandError, call_command

from leadpool.history.models import Event
from leadpool.leads.models import Lead


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cli_claims_as_a_user_and_reports_each_record(member, lead_pool, make_lead, rep_west):
    # given
    free = make_lead(pool=lead_pool)
    taken = make_lead(pool=lead_pool, owner=rep_west)
    # when
    output = run("lead", "claim", str(free.pk), str(taken.pk), "--as", "member", "--json")
    # then
    assert json.loads(output) == {
        "done": [free.pk],
        "refused": [{"id": taken.pk, "code": "not_in_scope", "message": "No such record."}],
    }
    assert Lead.objects.get(pk=free.pk).owner == member


def test_cli_assigns_to_a_user_by_username(pool_admin, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    output = run("lead", "assign", str(lead.pk), "--to-user", "rep_east", "--as", "pool_admin")
    # then
    assert output.splitlines()[0] == "assign: 1 done, 0 refused"
    assert Lead.objects.get(pk=lead.pk).owner == rep_east
    assert Event.objects.filter(lead=lead, action=Event.Action.ASSIGN).count() == 1


def test_cli_names_an_unknown_user(pool_admin, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    # when / then
    with pytest.raises(CommandError, match="no active user 'nobody' \\(--to-user\\)"):
        run("lead", "assign", str(lead.pk), "--to-user", "nobody", "--as", "pool_admin")
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_cli_reports_validation_errors_by_field(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    # when / then
    with pytest.raises(CommandError, match="^non_field_errors: Choose a user or a pool"):
        run("lead", "assign", str(lead.pk), "--as", "rep_east")


def test_cli_lists_only_what_the_user_may_see_with_masked_contacts(
    member, rep_west, lead_pool, make_lead
):
    # given
    lead_pool.contact_visibility = "masked"
    lead_pool.save()
    free = make_lead(pool=lead_pool, phone="13800138000")
    make_lead(owner=rep_west)
    # when
    rows = json.loads(run("lead", "list", "--as", "member", "--json"))["results"]
    # then
    assert [(row["id"], row["phone"]) for row in rows] == [(free.pk, "138****8000")]


def test_cli_finds_duplicates(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, name="Han Meimei", phone="13800138000")
    # when
    report = json.loads(
        run("lead", "duplicates", "--phone", "+86 138 0013 8000", "--as", "rep_east", "--json")
    )
    # then
    assert [(m["id"], m["matched_on"], m["score"]) for m in report["results"]] == [
        (lead.pk, ["phone"], 100)
    ]


def test_cli_converts_a_lead_and_names_a_refusal(rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool, owner=rep_east, name="Wang Fang", company="Acme")
    # when
    output = run("lead", "convert", str(lead.pk), "--as", "rep_east", "--json")
    # then
    body = json.loads(output)
    assert body["created_customer"] is True
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONVERTED
    with pytest.raises(CommandError, match=r"^\[converted\] This lead has already been converted"):
        run("lead", "convert", str(lead.pk), "--as", "rep_east")
