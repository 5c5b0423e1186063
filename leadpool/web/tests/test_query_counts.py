"""Every list page of the web UI renders in a constant number of SQL queries: the same
with N rows as with 3×N (no query per row), and never more than a ceiling.

The rows are grown as the API proof grows them (core/tests/test_query_counts.py):
records with owners, pools, collaborators and custom values, their follow-ups, calls
and history, notifications, imports, pools with members, users and departments.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from leadpool.core.tests.test_query_counts import N, grow, world  # noqa: F401 - a fixture

CEILING = 30

# Page → (URL, a pattern found once per listed row, or None for a page of totals).
ROW = r'name="ids" value="\d+"'


def pages(built: dict) -> dict[str, tuple[str, str | None]]:
    """Every list page (web/urls.py), by a name for the failure message."""
    lead_pool, customer_pool = built["lead_pool"].pk, built["customer_pool"].pk
    lead, customer = built["lead"], built["customer"]
    return {
        "my leads": ("/leads/", ROW),
        "all leads": ("/leads/all/", ROW),
        "all leads found by q": ("/leads/all/?q=Name", ROW),
        "lead pools": ("/leads/pools/", r'<li><a href="/leads/pools/\d+/"'),
        "a lead pool": (f"/leads/pools/{lead_pool}/", ROW),
        "a lead pool, unassigned": (f"/leads/pools/{lead_pool}/?owner=none", ROW),
        "the leads' recycle bin": ("/leads/recycle-bin/", ROW),
        "my customers": ("/customers/", ROW),
        "all customers": ("/customers/all/", ROW),
        "customer pools": ("/customers/pools/", r'<li><a href="/customers/pools/\d+/"'),
        "a customer pool": (f"/customers/pools/{customer_pool}/", ROW),
        "the customers' recycle bin": ("/customers/recycle-bin/", ROW),
        "a lead (follow-ups, calls, history)": (f"/leads/{lead}/", r"Call \d+"),
        "a customer (follow-ups, calls, history)": (f"/customers/{customer}/", r"Call \d+"),
        "notifications": ("/notifications/", r'<li class="notification'),
        "imports": ("/imports/", r'<a href="/imports/\d+/"'),
        "dashboard": ("/dashboard/", None),
        "customers' dashboard": ("/dashboard/customers/", None),
        "pool settings": ("/settings/pools/", r'href="/settings/pools/\d+/"'),
    }


READERS = {
    "admin": None,
    "rep_east": {
        "my leads",
        "all leads",
        "all leads found by q",
        "lead pools",
        "a lead pool",
        "a lead pool, unassigned",
        "my customers",
        "all customers",
        "customer pools",
        "a customer pool",
        "a lead (follow-ups, calls, history)",
        "a customer (follow-ups, calls, history)",
        "notifications",
        "imports",
        "dashboard",
    },
    "pool_admin": {
        "all leads",
        "lead pools",
        "a lead pool",
        "a lead pool, unassigned",
        "the leads' recycle bin",
        "a customer pool",
        "dashboard",
        "customers' dashboard",
        "pool settings",
    },
}


def _measure(lists) -> dict[str, dict[str, tuple[int, int]]]:
    """Each reader's pages' (rows, queries)."""
    measured = {}
    for reader, (client, chosen) in lists.items():
        measured[reader] = {}
        for name, (url, row) in chosen.items():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, (reader, name, response.status_code)
            rows = len(re.findall(row, response.content.decode())) if row else 0
            measured[reader][name] = (rows, len(captured))
    return measured


def test_every_list_page_takes_the_same_queries_for_3n_rows_as_for_n(
    world,  # noqa: F811
    django_assert_max_num_queries,
):
    # given
    every = pages(world)
    lists = {}
    for reader, allowed in READERS.items():
        client = Client()
        client.force_login(world[reader])
        lists[reader] = (
            client,
            {name: page for name, page in every.items() if allowed is None or name in allowed},
        )
    grow(world, N)
    few = _measure(lists)
    grow(world, 2 * N)
    # when
    many = _measure(lists)
    # then: every page listing rows shows more of them ...
    grew = {
        (reader, name): (few[reader][name][0], rows)
        for reader, counts in many.items()
        for name, (rows, _queries) in counts.items()
        if every[name][1] and rows <= few[reader][name][0]
    }
    assert grew == {}
    # ... in as many queries, under the ceiling: (reader, page) → (for N, for 3×N) where not
    changed = {
        (reader, name): (few[reader][name][1], queries)
        for reader, counts in many.items()
        for name, (_rows, queries) in counts.items()
        if queries != few[reader][name][1]
    }
    assert changed == {}
    for client, chosen in lists.values():
        for url, _row in chosen.values():
            with django_assert_max_num_queries(CEILING):
                client.get(url)


@pytest.mark.parametrize("where", ["/leads/all/", "/leads/pools/{pool}/"])
def test_the_assign_dialog_fetches_its_choices_when_it_opens(
    client_for, admin, rep_east, lead_pool, make_lead, where
):
    """The salespeople and pools to assign to come when the dialog opens (htmx), not
    with every page: a site of thousands of users would render them all each time."""
    # given
    make_lead(name="Listed", pool=lead_pool)
    client = client_for(admin)
    url = where.format(pool=lead_pool.pk)
    salesperson = f'<option value="{rep_east.pk}">Rep East</option>'
    # when
    page = client.get(url).content.decode()
    dialog = client.get(url, {"choices": "assign"}, headers={"HX-Request": "true"})
    # then
    assert "Listed" in page
    assert f'hx-get="{url}?choices=assign"' in page
    assert salesperson not in page
    assert dialog.status_code == 200
    assert salesperson in dialog.content.decode()
    assert f'<option value="{lead_pool.pk}">Lead pool</option>' in dialog.content.decode()


def test_the_assign_dialog_offers_nothing_to_who_may_not_assign(
    client_for, rep_east, lead_pool, make_lead
):
    # given
    make_lead(name="Listed", pool=lead_pool)
    # when
    dialog = client_for(rep_east).get(
        f"/leads/pools/{lead_pool.pk}/", {"choices": "assign"}, headers={"HX-Request": "true"}
    )
    # then
    assert dialog.status_code == 200
    assert "Rep East</option>" not in dialog.content.decode()
    assert f'<option value="{lead_pool.pk}">' not in dialog.content.decode()
