"""The record lists: who sees which records, filters, sorting, paging, masking."""

from django.urls import reverse

from leadpool.pools.models import Pool


def test_my_leads_lists_only_what_i_own(client_for, rep_east, rep_west, lead_pool, make_lead):
    # given
    make_lead(name="Mine", owner=rep_east)
    make_lead(name="Theirs", owner=rep_west)
    make_lead(name="Unassigned", pool=lead_pool)
    # when
    page = client_for(rep_east).get(reverse("web:records", args=["leads"])).content.decode()
    # then
    assert "Mine" in page
    assert "Theirs" not in page
    assert "Unassigned" not in page


def test_a_pool_lists_its_unassigned_records_to_members(client_for, member, lead_pool, make_lead):
    # given
    make_lead(name="Up for grabs", pool=lead_pool)
    # when
    response = client_for(member).get(reverse("web:pool", args=["leads", lead_pool.pk]))
    # then
    assert response.status_code == 200
    assert "Up for grabs" in response.content.decode()
    assert 'value="claim"' in response.content.decode()


def test_each_row_links_to_its_record(client_for, rep_east, make_lead, make_customer):
    # given
    lead = make_lead(name="Linked lead", owner=rep_east)
    customer = make_customer(name="Linked customer", owner=rep_east)
    # when
    leads = client_for(rep_east).get(reverse("web:records", args=["leads"])).content.decode()
    customers = client_for(rep_east).get(reverse("web:records", args=["customers"]))
    # then
    assert f'href="{reverse("web:record", args=["leads", lead.pk])}"' in leads
    record_url = reverse("web:record", args=["customers", customer.pk])
    assert f'href="{record_url}"' in customers.content.decode()


def test_a_pool_i_do_not_belong_to_is_not_found(client_for, outsider, lead_pool):
    # when
    response = client_for(outsider).get(reverse("web:pool", args=["leads", lead_pool.pk]))
    # then
    assert response.status_code == 404


def test_a_lead_pool_is_not_found_among_customer_pools(client_for, member, lead_pool):
    # when
    response = client_for(member).get(reverse("web:pool", args=["customers", lead_pool.pk]))
    # then
    assert response.status_code == 404


def test_pool_members_see_masked_phones_as_the_api_masks_them(
    client_for, member, lead_pool, make_lead
):
    # given
    lead_pool.contact_visibility = Pool.ContactVisibility.MASKED
    lead_pool.save()
    make_lead(name="Masked", pool=lead_pool, phone="13800138000")
    # when
    page = client_for(member).get(reverse("web:pool", args=["leads", lead_pool.pk])).content
    # then
    assert b"138****8000" in page
    assert b"13800138000" not in page


def test_pool_admins_see_phones_in_full(client_for, pool_admin, lead_pool, make_lead):
    # given
    lead_pool.contact_visibility = Pool.ContactVisibility.MASKED
    lead_pool.save()
    make_lead(name="Masked", pool=lead_pool, phone="13800138000")
    # when
    page = client_for(pool_admin).get(reverse("web:pool", args=["leads", lead_pool.pk])).content
    # then
    assert b"13800138000" in page


def test_search_and_status_filter_the_list(client_for, rep_east, make_lead):
    # given
    make_lead(name="Alpha Trading", owner=rep_east, status="following")
    make_lead(name="Beta Foods", owner=rep_east)
    url = reverse("web:records", args=["leads"])
    # when
    by_text = client_for(rep_east).get(url, {"q": "alpha"}).content.decode()
    by_status = client_for(rep_east).get(url, {"status": "new"}).content.decode()
    # then
    assert "Alpha Trading" in by_text and "Beta Foods" not in by_text
    assert "Beta Foods" in by_status and "Alpha Trading" not in by_status


def test_a_bad_filter_says_what_is_wrong_instead_of_failing(client_for, rep_east):
    # when
    response = client_for(rep_east).get(
        reverse("web:records", args=["leads"]), {"status": "nonsense"}
    )
    # then
    assert response.status_code == 200
    assert "Choose from" in response.content.decode()


def test_htmx_filtering_renders_only_the_results(client_for, rep_east, make_lead):
    # given
    make_lead(name="Alpha", owner=rep_east)
    # when
    response = client_for(rep_east).get(
        reverse("web:records", args=["leads"]),
        {"q": "Alpha"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    # then
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="results"')
    assert "Alpha" in page
    assert "<html" not in page


def test_pages_follow_each_other_without_gaps_or_repeats(client_for, rep_east, make_lead):
    # given 120 leads, three pages of 50
    for number in range(120):
        make_lead(name=f"Lead {number:03}", owner=rep_east)
    client = client_for(rep_east)
    url = reverse("web:records", args=["leads"])
    # when
    seen, params = [], {"sort": "name"}
    for _page in range(3):
        response = client.get(url, params)
        seen += [row.name for row in response.context["rows"]]
        params["cursor"] = response.context["next_cursor"]
    # then
    assert seen == [f"Lead {number:03}" for number in range(120)]
    assert params["cursor"] is None


def test_sorting_by_name_descending(client_for, rep_east, make_lead):
    # given
    for name in ("B", "C", "A"):
        make_lead(name=name, owner=rep_east)
    # when
    response = client_for(rep_east).get(reverse("web:records", args=["leads"]), {"sort": "-name"})
    # then
    assert [row.name for row in response.context["rows"]] == ["C", "B", "A"]


def test_a_forged_cursor_shows_the_first_page(client_for, rep_east, make_lead):
    # given
    make_lead(name="First", owner=rep_east)
    # when
    response = client_for(rep_east).get(
        reverse("web:records", args=["leads"]), {"cursor": "bm90IGpzb24"}
    )
    # then
    assert response.status_code == 200
    assert [row.name for row in response.context["rows"]] == ["First"]


def test_customers_share_the_same_lists(client_for, member, customer_pool, make_customer):
    # given
    make_customer(name="Customer in pool", pool=customer_pool)
    # when
    page = client_for(member).get(reverse("web:pool", args=["customers", customer_pool.pk]))
    # then
    assert "Customer in pool" in page.content.decode()


def test_the_recycle_bin_shows_deleted_records_to_the_pool_admin(
    client_for, pool_admin, member, lead_pool, make_lead
):
    # given
    from django.utils import timezone

    make_lead(name="Gone", pool=lead_pool, deleted_at=timezone.now())
    url = reverse("web:recycle_bin", args=["leads"])
    # then
    assert "Gone" in client_for(pool_admin).get(url).content.decode()
    assert "Gone" not in client_for(member).get(url).content.decode()


def test_the_pool_picker_lists_only_my_pools(client_for, member, outsider, lead_pool):
    # given
    Pool.objects.create(name="Secret pool", kind=Pool.Kind.LEAD)
    url = reverse("web:pools", args=["leads"])
    # when
    seen_by_member = client_for(member).get(url).context["pools"]
    seen_by_outsider = client_for(outsider).get(url).context["pools"]
    # then
    assert [pool.name for pool in seen_by_member] == ["Lead pool"]
    assert list(seen_by_outsider) == []


def test_lists_need_a_login(client):
    # when
    response = client.get(reverse("web:records", args=["leads"]))
    # then
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/leads/"
