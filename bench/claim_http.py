"""Claims over HTTP: 32 reps claiming from one pool at once through a local gunicorn.

PostgreSQL only (`DATABASE_URL`; the database is emptied). Builds one claimable pool of
`--rows` unassigned leads with a daily claim limit and a most-held limit, `--clients`
reps (members, each with an API token), then starts gunicorn (DEBUG off, the write rate
limit lifted) and has each rep, on its own keep-alive connection in its own thread, claim
`--requests` leads one at a time (`POST /api/v1/leads/claim {"ids": [id]}`). Leads are
dealt from one shuffled list; one pick in ten is a lead just dealt to someone else, so
reps race for the same lead. Four reps start the day near the daily limit and four hold
nearly the most the pool allows, so both limits refuse some claims.

Prints one JSON line: claims/s, requests/s, p50/p95/p99 of the claim requests, refusals
by limit, races lost, errors (a non-2xx answer, or a refusal other than those), then the
database checks: double owners (a lead claimed while someone owned it, or claimed by two
clients), limit violations, and the SQL statements of one claim request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_claim \\
        python -m bench.claim_http --rows 100000 --clients 32 --requests 200
"""

import argparse
import collections
import json
import os
import random
import sys
import threading
import time

from bench.http_load import (
    Client,
    DatabaseCpu,
    Server,
    build_pool,
    cpu_seconds,
    migrated_postgresql,
    ownership_checks,
    percentiles,
)

LIMIT_CODES = frozenset({"claim_limit_reached", "max_held_reached"})
NEAR_LIMIT = 4  # reps near the daily limit, and as many near the most-held limit
CONTENTION = 0.1  # share of picks that go for a lead just dealt to another rep


class Dealer:
    """Hands out lead ids from a shuffled list, sometimes one just dealt to another rep."""

    def __init__(self, ids: list[int], seed: int = 11):
        self.ids = ids
        self.rng = random.Random(seed)  # noqa: S311 - test data
        self.rng.shuffle(self.ids)
        self.position = 0
        self.recent: collections.deque[int] = collections.deque(maxlen=64)
        self.lock = threading.Lock()

    def next(self) -> int | None:
        with self.lock:
            if self.recent and self.rng.random() < CONTENTION:
                return self.rng.choice(self.recent)
            if self.position >= len(self.ids):
                return None
            pk = self.ids[self.position]
            self.position += 1
            self.recent.append(pk)
            return pk


def query_count(pool_id: int, token: str, lead_id: int) -> dict:
    """The SQL statements of one claim request through Django's whole stack (middleware,
    token authentication, throttle), counted with CaptureQueriesContext."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient(HTTP_AUTHORIZATION=f"Token {token}", SERVER_NAME="localhost")
    client.get("/api/v1/pools/")  # warm: the first request loads URLconfs and translations
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/api/v1/leads/claim", {"ids": [lead_id]}, content_type="application/json"
        )
    if response.status_code != 200 or response.json()["done"] != [lead_id]:
        raise SystemExit(f"the query-count claim failed: {response.status_code} {response.content}")
    statements = [query["sql"] for query in captured.captured_queries]
    inside = statements.index("BEGIN") if "BEGIN" in statements else len(statements)
    return {
        "sql_per_claim": len(statements),
        "sql_before_transaction": inside,
        "sql_statements": [sql[:90] for sql in statements],
    }


def run(options) -> dict:
    skipped = migrated_postgresql()
    if skipped:
        return skipped
    from django.db import connection
    from django.utils import timezone

    from leadpool.leads.models import Lead
    from leadpool.pools.models import ClaimTally, Pool

    requests, clients = options.requests, options.clients
    near = min(NEAR_LIMIT, clients // 4)
    # Limits twice what a rep asks for: only the reps set up near them reach them, a
    # quarter of the way through their claims.
    daily, held = 2 * requests, 2 * requests
    head_start = daily - max(1, requests // 4)
    print(f"# building a pool of {options.rows:,} leads, {clients} reps", file=sys.stderr)
    built = build_pool(
        rows=options.rows,
        users=clients + 1,  # the last one only for the query count
        claim_limit_per_day=daily,
        max_held=held,
        owned={index: head_start for index in range(near, 2 * near)},
    )
    pool_id, user_ids, tokens = built["pool_id"], built["user_ids"], built["tokens"]
    # A reclaim rule, as most pools have: each claim then stores when it falls due.
    Pool.objects.filter(pk=pool_id).update(reclaim_no_followup_days=7)
    today = timezone.localdate()
    ClaimTally.objects.bulk_create(
        ClaimTally(pool_id=pool_id, user_id=user_ids[index], day=today, claims=head_start)
        for index in range(near)
    )
    unassigned = list(
        Lead.objects.filter(pool_id=pool_id, owner__isnull=True).values_list("pk", flat=True)
    )
    figures: dict = {"pool_leads": len(unassigned), "clients": clients,
                     "claims_per_client": requests, "claim_limit_per_day": daily,
                     "max_held": held, "build_seconds": built["build_seconds"]}  # fmt: skip
    figures.update(query_count(pool_id, tokens[-1], unassigned.pop()))
    connection.close()

    dealer = Dealer(unassigned)
    since = timezone.now()
    tally = collections.Counter()
    times: list[float] = []
    done_by: dict[int, list[int]] = collections.defaultdict(list)
    samples: list[str] = []
    lock = threading.Lock()
    with Server(
        os.environ["DATABASE_URL"],
        workers=options.workers,
        worker_class=options.worker_class,
        threads=options.threads,
    ) as server:
        figures.update(server.describe())
        ready, go = threading.Barrier(clients + 1), threading.Event()

        def rep(index: int) -> None:
            client = Client(server.port, tokens[index])
            client.request("GET", "/api/v1/pools/")  # warm the connection and the worker
            ready.wait()
            go.wait()
            for _ in range(requests):
                pk = dealer.next()
                if pk is None:
                    break
                status, body, seconds = client.request("POST", "/api/v1/leads/claim", {"ids": [pk]})
                with lock:
                    times.append(seconds)
                    if status == 200 and body.get("done") == [pk]:
                        tally["claimed"] += 1
                        done_by[pk].append(user_ids[index])
                        continue
                    code = (body.get("refused") or [{}])[0].get("code") if status == 200 else None
                    if code in LIMIT_CODES:
                        tally[f"refused {code}"] += 1
                    elif code in ("already_owned", "not_in_scope"):  # taken by another rep
                        tally["races lost"] += 1
                    else:
                        tally["errors"] += 1
                        if len(samples) < 5:
                            samples.append(f"{status} {json.dumps(body, ensure_ascii=False)[:200]}")
            client.close()

        threads = [threading.Thread(target=rep, args=(index,)) for index in range(clients)]
        for thread in threads:
            thread.start()
        ready.wait()
        cpu_before = cpu_seconds(server.worker_pids())
        database_cpu = DatabaseCpu().start()
        client_cpu_before = time.process_time()
        started = time.perf_counter()
        go.set()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(server.worker_pids()) - cpu_before
        client_cpu = time.process_time() - client_cpu_before
        database_cpu_seconds = database_cpu.seconds()
    figures.update(
        {
            "seconds": round(seconds, 2),
            "claims": tally["claimed"],
            "claims_per_second": round(tally["claimed"] / seconds, 1),
            "requests_per_second": round(len(times) / seconds, 1),
            **percentiles(times),
            "refused_by_limit": tally["refused claim_limit_reached"]
            + tally["refused max_held_reached"],
            "refused_claim_limit_reached": tally["refused claim_limit_reached"],
            "refused_max_held_reached": tally["refused max_held_reached"],
            "races_lost": tally["races lost"],
            "errors": tally["errors"],
            "error_samples": samples,
            # Where a request's CPU goes, and how much of the machine the run used.
            "server_cpu_ms_per_request": round(cpu * 1000 / max(1, len(times)), 2),
            "database_cpu_ms_per_request": round(
                database_cpu_seconds * 1000 / max(1, len(times)), 2
            ),
            "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, len(times)), 2),
            "cpus_busy": round((cpu + database_cpu_seconds + client_cpu) / seconds, 2),
            "cpus": os.cpu_count(),
        }
    )
    checks = ownership_checks(pool_id, since=since)
    claimed_by = checks.pop("claimed_by")
    checks["double_owners"] += sum(1 for owners in done_by.values() if len(owners) > 1)
    # Claims each near-limit rep made in the run, on top of its head start.
    over_daily = [
        user for index, user in enumerate(user_ids[:near])
        if head_start + claimed_by.get(user, 0) > daily
    ]  # fmt: skip
    checks["limit_violations"] += len(over_daily)
    if checks["claim_events"] != tally["claimed"]:
        checks["events_not_matching_claims"] = checks["claim_events"] - tally["claimed"]
    figures.update(checks)
    figures["target_met"] = (
        figures["claims_per_second"] >= 300
        and checks["double_owners"] == 0
        and checks["limit_violations"] == 0
        and tally["errors"] == 0
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="unassigned leads in the pool")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=200, help="claims each client asks")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args()
    from bench.import_benchmark import peak_rss_mib

    figures = run(options)
    figures["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
