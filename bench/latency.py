"""Request latency of the leads list (API and web page) and of the duplicate check.

In-process, through Django's test Client (the whole middleware stack and the view, no
HTTP server or network): each case is requested `--requests` times after two warm-up
requests, timing the wall clock and this process's CPU (on a loaded machine the CPU time
shows the request's own cost; on SQLite it includes the query's). Then once more inside
CaptureQueriesContext, at the default page size and at a page of 200 rows, to count its
SQL queries (the same count at both sizes: no query per row). The signed-in user is an
admin, who sees every lead. See bench/README.md.
"""

import statistics
import time

from bench import generate

LIST_TARGET_MS = 50
# A case stops after this many seconds once it has MIN_REQUESTS samples: a request that
# takes seconds (an unindexed search at a million rows) would otherwise hold the run for
# a quarter of an hour at 200 requests. Its `requests` says how many were made.
CASE_SECONDS = 90
MIN_REQUESTS = 10
DUPLICATES_TARGET_MS = 30


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _client():
    from django.test import Client

    from leadpool.accounts.models import User

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=generate.ADMIN))
    return client


def _time(client, url: str, requests: int, *, page_of_200: str | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code} {response.content[:300]!r}")
    samples, cpu = [], []
    budget = time.perf_counter() + CASE_SECONDS
    for index in range(requests):
        if index >= MIN_REQUESTS and time.perf_counter() > budget:
            break  # a case seconds long a request: fewer samples, said in the figures
        started, started_cpu = time.perf_counter(), time.thread_time()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    figures = {
        "requests": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(_percentile(samples, 0.95), 2),
        "p99_ms": round(_percentile(samples, 0.99), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "queries": len(captured),
        "rows": _row_count(response),
    }
    if page_of_200:
        with CaptureQueriesContext(connection) as captured:
            client.get(page_of_200)
        figures["queries_at_200_rows"] = len(captured)
    return figures


def _row_count(response) -> int | None:
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        return len(data.get("results", data.get("matches", [])))
    return None


def _deep_cursors(queryset, share: float = 0.9) -> tuple[str | None, str | None]:
    """API and web cursors pointing `share` of the way into the queryset's newest-first
    order (found once by OFFSET; each request then pages from there by keyset)."""
    from leadpool.core.api import KeysetPagination
    from leadpool.web import listing

    total = queryset.count()
    if total < 2:
        return None, None
    row = queryset.order_by("-created_at", "-id").values("created_at", "id")[int(total * share)]
    api = KeysetPagination._encode(row["created_at"], row["id"])
    web = listing._encode(row["created_at"], row["id"])
    return api, web


def run_list(*, requests: int) -> dict:
    from urllib.parse import urlencode

    from leadpool.accounts.models import User
    from leadpool.leads.models import Lead
    from leadpool.pools.models import Pool

    client = _client()
    pool = Pool.objects.get(name=generate.MARKER_POOL)
    owner = User.objects.filter(username="bench9_user0").get()
    sample = Lead.objects.exclude(company="").order_by("id").values("phone_normalized")[0]
    phone_fragment = sample["phone_normalized"][-7:-1]
    company_fragment = "恒达"  # one of the generator's company words
    cases = {
        "all": ({}, Lead.objects.all()),
        "pool_unassigned": (
            {"pool": pool.pk, "owner": "none"},
            Lead.objects.filter(pool=pool, owner__isnull=True),
        ),
        "owner": ({"owner": owner.pk}, Lead.objects.filter(owner=owner)),
        "source": ({"source": "展会"}, Lead.objects.filter(source="展会")),
        "q_phone": ({"q": phone_fragment}, None),
        "q_company": ({"q": company_fragment}, None),
    }
    figures: dict = {"rows": Lead.objects.count(), "requests": requests}
    for name, (params, queryset) in cases.items():
        api_cursor, web_cursor = _deep_cursors(queryset) if queryset is not None else (None, None)
        depths = [("first", None, None)]
        if api_cursor:
            depths.append(("deep", api_cursor, web_cursor))
        for depth, api, _web in depths:
            query = {**params, **({"cursor": api} if api else {})}
            url = f"/api/v1/leads/?{urlencode(query)}"
            figures[f"api {name} {depth}"] = _time(
                client, url, requests, page_of_200=f"{url}&limit=200"
            )
    # The web list of one pool: first page, deep, and with the owner and q filters.
    base = f"/leads/pools/{pool.pk}/"
    in_pool = Lead.objects.filter(pool=pool)
    _api, deep = _deep_cursors(in_pool)
    web_cases = {
        "web pool first": {},
        "web pool deep": {"cursor": deep},
        "web pool owner": {"owner": owner.pk},
        "web pool q_phone": {"q": phone_fragment},
        "web pool q_company": {"q": company_fragment},
    }
    for name, params in web_cases.items():
        figures[name] = _time(client, f"{base}?{urlencode(params)}", requests)
    _verdict(figures, LIST_TARGET_MS)
    return figures


def run_duplicates(*, requests: int) -> dict:
    from urllib.parse import urlencode

    from leadpool.customers.models import Customer
    from leadpool.leads.models import Lead

    client = _client()
    lead = Lead.objects.exclude(email="").exclude(company="").order_by("id")[0]
    # A company name that is on file but spelled a little differently: the fuzzy case.
    fuzzy = lead.company.replace("有限公司", "有限责任公司").replace("Co., Ltd.", "Limited")
    cases = {
        "phone": {"phone": lead.phone},
        "phone_absent": {"phone": "13312345678"},
        "email": {"email": lead.email},
        "company": {"company": lead.company},
        "company_fuzzy": {"company": fuzzy + "分部"},
        "all_fields": {
            "name": lead.name,
            "phone": lead.phone,
            "email": lead.email,
            "company": lead.company,
        },
    }
    figures: dict = {
        "rows": Lead.objects.count(),
        "customers": Customer.objects.count(),
        "requests": requests,
    }
    for name, params in cases.items():
        figures[name] = _time(client, f"/api/v1/duplicates?{urlencode(params)}", requests)
    _verdict(figures, DUPLICATES_TARGET_MS)
    return figures


def _verdict(figures: dict, target_ms: float) -> None:
    missed = sorted(
        name
        for name, value in figures.items()
        if isinstance(value, dict) and value["p95_ms"] >= target_ms
    )
    figures["target_p95_ms"] = target_ms
    figures["missed"] = missed
