"""Where a claim request's CPU goes, in-process: the profile behind claim_http's figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_profile python -m bench.claim_profile

Builds a pool (http_load.build_pool: the lead tables of the database are emptied, so its
name must contain "bench"), then sends claims one at a time through Django's whole stack
(test client: middleware, token authentication, DRF, the claim) and times them on this
process's CPU clock, beside a trivial authenticated request (`GET /api/v1/users/me/`) as
the floor of any API call. A second round runs under cProfile and sums each function's
own time by package. Ends with one JSON line.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time

# The packages a claim's time is summed by, most specific first.
PACKAGES = [
    ("psycopg", "psycopg"),
    ("django ORM: SQL compiler", "django/db/models/sql"),
    ("django ORM: models, querysets", "django/db/models"),
    ("django database backend", "django/db/backends"),
    ("rest_framework", "rest_framework"),
    ("leadpool", "leadpool"),
    ("django, other", "django"),
]


def _package(filename: str) -> str:
    for name, fragment in PACKAGES:
        if fragment in filename:
            return name
    return "python builtins" if filename == "~" else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=700)
    options = parser.parse_args()
    if "bench" not in os.environ.get("DATABASE_URL", "").rpartition("/")[2]:
        raise SystemExit("DATABASE_URL must name a database called …bench…: it is emptied")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadpool.settings")
    os.environ["LEADPOOL_RATE_WRITE"] = "1000000/second"  # as the HTTP benchmarks' server
    from bench.http_load import build_pool, migrated_postgresql

    skipped = migrated_postgresql()
    if skipped:
        print(json.dumps({"benchmark": "claim_profile", **skipped}))
        return
    from django.test import Client

    from leadpool.leads.models import Lead
    from leadpool.pools.models import Pool

    count = options.requests
    built = build_pool(rows=2 * count + 200, users=8, claim_limit_per_day=None, max_held=None)
    # A reclaim rule, as in claim_http: each claim then stores when it falls due.
    Pool.objects.filter(pk=built["pool_id"]).update(reclaim_no_followup_days=7)
    ids = list(
        Lead.objects.filter(pool_id=built["pool_id"], owner__isnull=True).values_list(
            "pk", flat=True
        )
    )
    clients = [
        Client(HTTP_AUTHORIZATION=f"Token {token}", SERVER_NAME="localhost")
        for token in built["tokens"][:8]
    ]

    def claim(start: int, stop: int) -> None:
        for index in range(start, stop):
            response = clients[index % 8].post(
                "/api/v1/leads/claim", {"ids": [ids[index]]}, content_type="application/json"
            )
            if response.status_code != 200 or response.json()["done"] != [ids[index]]:
                raise SystemExit(f"a claim failed: {response.status_code} {response.content}")

    def trivial(times: int) -> None:
        for index in range(times):
            if clients[index % 8].get("/api/v1/users/me/").status_code != 200:
                raise SystemExit("GET /api/v1/users/me/ failed")

    claim(0, 100)  # warm: URLconfs, translations, connections
    trivial(50)
    started = time.process_time()
    claim(100, 100 + count)
    claim_ms = (time.process_time() - started) * 1000 / count
    started = time.process_time()
    trivial(count)
    trivial_ms = (time.process_time() - started) * 1000 / count

    profile = cProfile.Profile()
    profile.enable()
    claim(100 + count, 100 + 2 * count)
    profile.disable()
    shares: dict[str, float] = {}
    for (filename, _line, _name), row in pstats.Stats(profile).stats.items():
        own_time = row[2]
        shares[_package(filename)] = shares.get(_package(filename), 0.0) + own_time
    total = sum(shares.values()) or 1.0
    figures = {
        "benchmark": "claim_profile",
        "requests": count,
        "claim_cpu_ms": round(claim_ms, 2),
        "trivial_get_cpu_ms": round(trivial_ms, 2),
        "profile_share_percent": {
            name: round(100 * seconds / total, 1)
            for name, seconds in sorted(shares.items(), key=lambda item: -item[1])
        },
    }
    print(json.dumps(figures, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
