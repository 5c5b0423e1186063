"""POST /forms/<token>: submissions become leads, duplicates follow-ups, spam nothing."""

import pytest

from leadpool.activity.models import FollowUp
from leadpool.capture import protection
from leadpool.capture.tests.conftest import ORIGIN, old_stamp
from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_robin(lead_pool, rep_east, member):
    lead_pool.distribution = Pool.Distribution.ROUND_ROBIN
    lead_pool.save()
    lead_pool.distribution_members.set([rep_east, member])
    return [rep_east, member]


def test_submission_from_allowed_origin_creates_a_distributed_lead(
    submit, lead_form, lead_pool, round_robin, pool_admin
):
    # given: a round-robin pool and a form allowed on www.example.com
    # when
    first = submit(lead_form, {"name": "Li Lei", "phone": "13900000001"},
                   headers={"Origin": ORIGIN})  # fmt: skip
    second = submit(lead_form, {"name": "Han Meimei", "email": "han@example.com"},
                    headers={"Origin": ORIGIN})  # fmt: skip
    # then
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == {"ok": True, "message": "Thank you. We will be in touch soon."}
    assert first["Access-Control-Allow-Origin"] == ORIGIN
    leads = list(Lead.objects.order_by("pk"))
    assert [(lead.name, lead.source, lead.pool_id) for lead in leads] == [
        ("Li Lei", "Website contact", lead_pool.pk),
        ("Han Meimei", "Website contact", lead_pool.pk),
    ]
    assert {lead.owner_id for lead in leads} == {user.pk for user in round_robin}
    assert leads[0].created_by == pool_admin
    assert Event.objects.filter(lead=leads[0], action=Event.Action.CREATE).count() == 1


def test_a_browser_post_gets_the_thank_you_page_or_the_redirect(submit, lead_form):
    # given
    lead_form.thank_you_message = "Thanks — we call back within a day."
    lead_form.save()
    # when
    page = submit(lead_form, {"name": "Li Lei"}, as_form=True, headers={"Accept": "text/html"})
    lead_form.redirect_url = "https://www.example.com/thanks"
    lead_form.save()
    redirect = submit(lead_form, {"name": "Wang Wu"}, as_form=True)
    # then
    assert page.status_code == 200
    assert "Thanks — we call back within a day." in page.content.decode()
    assert redirect.status_code == 303
    assert redirect["Location"] == "https://www.example.com/thanks"
    assert Lead.objects.count() == 2


def test_a_duplicate_submission_becomes_a_follow_up_on_the_lead_on_file(
    submit, lead_form, make_lead, lead_pool, pool_admin
):
    # given: a lead with this phone already in the pool
    existing = make_lead(pool=lead_pool, name="Li Lei", phone="13900000001")
    # when: the same number comes in written differently
    response = submit(lead_form, {"name": "Li L.", "phone": "+86 139-0000-0001",
                                  "notes": "Still interested"})  # fmt: skip
    # then
    assert response.status_code == 201
    assert Lead.objects.count() == 1
    followup = FollowUp.objects.get()
    assert followup.lead == existing
    assert followup.author == pool_admin
    assert followup.kind == FollowUp.Kind.OTHER
    assert followup.content.splitlines()[0] == "Submitted the web form “Website contact” again."
    assert "Message: Still interested" in followup.content
    existing.refresh_from_db()
    assert existing.status == Lead.Status.NEW  # a customer writing again is no rep's follow-up


def test_a_form_may_create_a_new_lead_for_duplicates(submit, lead_form, make_lead, lead_pool):
    # given
    make_lead(pool=lead_pool, email="li@example.com")
    lead_form.on_duplicate = lead_form.OnDuplicate.CREATE
    lead_form.save()
    # when
    response = submit(lead_form, {"name": "Li Lei", "email": "LI@example.com"})
    # then
    assert response.status_code == 201
    assert Lead.objects.filter(email_normalized="li@example.com").count() == 2
    assert FollowUp.objects.count() == 0


def test_a_filled_honeypot_is_dropped_silently(submit, lead_form):
    # when
    response = submit(lead_form, {"name": "Bot", protection.HONEYPOT_FIELD: "http://spam"})
    # then
    assert response.status_code == 201
    assert response.json()["ok"] is True
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("age", [0, 1])
def test_a_submission_faster_than_a_person_is_dropped_silently(submit, lead_form, age):
    # when: posted within the minimum fill time (3 seconds) of the page being served
    response = submit(lead_form, {"name": "Bot"}, stamp=old_stamp(lead_form, seconds=age))
    # then
    assert response.status_code == 201
    assert Lead.objects.count() == 0


def test_a_forged_or_another_forms_stamp_is_dropped_silently(submit, lead_form, lead_pool):
    # given
    other = type(lead_form).objects.create(pool=lead_pool, name="Other", fields=lead_form.fields)
    # when
    forged = submit(lead_form, {"name": "Bot"}, stamp="not-a-signed-stamp")
    borrowed = submit(lead_form, {"name": "Bot"}, stamp=old_stamp(other))
    # then
    assert (forged.status_code, borrowed.status_code) == (201, 201)
    assert Lead.objects.count() == 0


def test_a_missing_or_expired_stamp_asks_to_reload(submit, lead_form):
    # when
    missing = submit(lead_form, {"name": "Li Lei"}, stamp="")
    expired = submit(lead_form, {"name": "Li Lei"}, stamp=old_stamp(lead_form, 2 * 86400))
    # then
    message = "This form has expired; reload the page and submit it again."
    assert missing.status_code == expired.status_code == 400
    assert missing.json() == {"errors": {"non_field_errors": [message]}}
    assert Lead.objects.count() == 0


def test_the_21st_submission_in_a_minute_from_one_ip_gets_429(submit, lead_form):
    # when
    answers = [submit(lead_form, {"name": f"Person {n}"}).status_code for n in range(21)]
    # then
    assert answers[:20] == [201] * 20
    assert answers[20] == 429
    assert Lead.objects.count() == 20


def test_the_per_ip_limit_spans_forms_and_unknown_tokens(client, submit, lead_form, settings):
    # given
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "form_ip": "2/minute"}
    # when
    guesses = [client.post(f"/forms/guess{n}").status_code for n in range(2)]
    response = submit(lead_form, {"name": "Li Lei"})
    # then
    assert guesses == [404, 404]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Lead.objects.count() == 0


def test_a_form_has_its_own_limit_across_ips(submit, lead_form, settings):
    # given
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "form": "1/hour"}
    # when
    first = submit(lead_form, {"name": "Li Lei"}, REMOTE_ADDR="10.0.0.1")
    second = submit(lead_form, {"name": "Han Meimei"}, REMOTE_ADDR="10.0.0.2")
    # then
    assert (first.status_code, second.status_code) == (201, 429)
    assert Lead.objects.count() == 1


def test_cors_headers_only_for_allowed_origins(client, submit, lead_form):
    # when
    allowed = client.options(f"/forms/{lead_form.token}", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})  # fmt: skip
    other = client.options(f"/forms/{lead_form.token}", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})  # fmt: skip
    foreign_post = submit(lead_form, {"name": "Li Lei"}, headers={"Origin": "https://evil.example"})
    # then
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert other.status_code == 204
    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Methods" not in other
    assert foreign_post.status_code == 403
    assert "Access-Control-Allow-Origin" not in foreign_post
    assert Lead.objects.count() == 0


def test_an_oversized_body_is_413(submit, lead_form):
    # when
    response = submit(lead_form, {"name": "Li Lei", "notes": "x" * 70_000})
    # then
    assert response.status_code == 413
    assert Lead.objects.count() == 0


def test_unknown_fields_are_named(submit, lead_form):
    # when
    response = submit(lead_form, {"name": "Li Lei", "owner": 1, "custom.level": "A"})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"custom.level": ["Unknown field."], "owner": ["Unknown field."]}
    }
    assert Lead.objects.count() == 0


def test_bad_values_follow_the_manual_entry_rules(submit, lead_form):
    # when
    response = submit(lead_form, {"name": "", "phone": "12", "email": "not-an-e-mail"})
    # then
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "phone", "email"}
    assert response.json()["errors"]["name"] == ["This field is required."]
    assert Lead.objects.count() == 0


def test_a_malformed_json_body_is_400(client, lead_form):
    # when
    response = client.post(f"/forms/{lead_form.token}", "[1,", content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"non_field_errors": ["Send a JSON object."]}}


def test_script_tags_are_stored_as_text_and_shown_escaped(submit, lead_form):
    # given
    script = "<script>alert(1)</script>"
    # when: one submission is accepted, one is refused and shown again to the browser
    accepted = submit(lead_form, {"name": script, "company": script})
    refused = submit(lead_form, {"name": script, "email": "bad"}, as_form=True)
    # then
    assert accepted.status_code == 201
    assert Lead.objects.get().name == script
    assert refused.status_code == 400
    page = refused.content.decode()
    assert script not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_or_disabled_token_is_404(client, lead_form, method):
    # given
    lead_form.is_active = False
    lead_form.save()
    # when
    disabled = getattr(client, method)(f"/forms/{lead_form.token}")
    unknown = getattr(client, method)("/forms/no-such-token")
    # then
    assert (disabled.status_code, unknown.status_code) == (404, 404)
    assert Lead.objects.count() == 0


def test_the_public_page_shows_the_fields_honeypot_and_stamp(client, lead_form):
    # when
    response = client.get(f"/forms/{lead_form.token}")
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # the iframe snippet embeds it
    for label in ("Name *", "Company", "Phone", "E-mail", "Message"):
        assert f">{label}</label>" in page
    assert f'name="{protection.HONEYPOT_FIELD}"' in page
    assert f'name="{protection.STAMP_FIELD}" value="' in page


def test_scripts_get_the_fields_and_a_stamp_as_json(client, lead_form):
    # when
    response = client.get(f"/forms/{lead_form.token}", headers={"Accept": "application/json",
                                                                 "Origin": ORIGIN})  # fmt: skip
    # then
    body = response.json()
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert [field["key"] for field in body["fields"]] == [
        "name", "company", "phone", "email", "notes"]  # fmt: skip
    assert protection.stamp_verdict(lead_form.token, body["stamp"]) == "bot"  # just served


def test_the_page_is_posted_back_as_a_form(client, submit, lead_form):
    # given: the form-encoded body the page's own form sends
    body = {"name": "Li Lei", "phone": "13900000009", protection.HONEYPOT_FIELD: ""}
    # when
    response = submit(lead_form, body, as_form=True, headers={"Accept": "text/html"})
    # then
    assert response.status_code == 200
    assert Lead.objects.values_list("name", "phone").get() == ("Li Lei", "13900000009")


def test_the_hosted_page_posts_from_leadpools_own_origin(submit, lead_form):
    # when: the page (or its iframe) posts back to the site that served it
    response = submit(lead_form, {"name": "Li Lei"}, headers={"Origin": "http://testserver"})
    # then
    assert response.status_code == 201
    assert "Access-Control-Allow-Origin" not in response  # same origin: no CORS needed
    assert Lead.objects.count() == 1
