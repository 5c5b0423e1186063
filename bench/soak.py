"""A soak test: many reps working one pool through a local gunicorn for minutes on end.

PostgreSQL only (`DATABASE_URL`; the database is emptied). Builds one claimable pool of
`--rows` unassigned leads (a reclaim rule on, return reasons, no daily or most-held
limit worth hitting), `--clients` reps who are members and already hold 20 leads each,
then starts gunicorn (DEBUG off, the write rate limit lifted) and runs each rep in its own
thread on its own keep-alive connection for `--seconds`, picking at random:

    list      GET  /api/v1/leads/?pool=<pool>&owner=none         25 %
    my list   GET  /api/v1/leads/?owner=me                       15 %
    view      GET  /api/v1/leads/<id>/ (a lead it listed)         20 %
    claim     POST /api/v1/leads/claim {"ids": [a listed lead]}   15 %
    return    POST /api/v1/leads/return {"ids": [one it holds], "reason": …}   10 %
    follow-up POST /api/v1/leads/<id>/followups/ (one it holds)  15 %

Errors: any answer other than the one expected, except what other reps cause (a lead
listed a moment ago and claimed since answers 404 to a view and `already_owned` or
`not_in_scope` to a claim: counted as races, not errors). Afterwards, the ownership
checks of http_load (double owners must be 0). Prints one JSON line: requests/s, the
error count, p50/p95/p99 per operation and overall, and the checks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_soak \\
        python -m bench.soak --seconds 300 --clients 50
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
    RETURN_REASONS,
    Client,
    Server,
    build_pool,
    cpu_seconds,
    migrated_postgresql,
    ownership_checks,
    percentiles,
)

OPERATIONS = {
    "list": 25,
    "my list": 15,
    "view": 20,
    "claim": 15,
    "return": 10,
    "follow-up": 15,
}
HELD_AT_START = 20


class Rep:
    """One rep's session: what it has listed and what it holds."""

    def __init__(self, client: Client, pool_id: int, seed: int):
        self.client = client
        self.pool_id = pool_id
        self.rng = random.Random(seed)  # noqa: S311 - test data
        self.listed: list[int] = []
        self.mine: set[int] = set()
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.counts: collections.Counter = collections.Counter()
        self.samples: list[str] = []

    def error(self, operation: str, status: int, body) -> None:
        self.counts["errors"] += 1
        if len(self.samples) < 3:
            text = json.dumps(body, ensure_ascii=False)[:200]
            self.samples.append(f"{operation}: {status} {text}")

    def call(self, operation: str, method: str, path: str, body=None):
        status, answer, seconds = self.client.request(method, path, body)
        self.times[operation].append(seconds)
        return status, answer

    def step(self) -> None:
        operation = self.rng.choices(list(OPERATIONS), list(OPERATIONS.values()))[0]
        if operation in ("return", "follow-up") and not self.mine:
            operation = "my list"
        if operation in ("view", "claim") and not self.listed:
            operation = "list"
        handlers = {
            "list": self.pool_list,
            "my list": self.my_list,
            "view": self.view,
            "claim": self.claim,
            "return": self.give_back,
            "follow-up": self.follow_up,
        }
        handlers[operation](operation)

    def pool_list(self, operation: str) -> None:
        status, answer = self.call(
            operation, "GET", f"/api/v1/leads/?pool={self.pool_id}&owner=none"
        )
        if status != 200:
            return self.error(operation, status, answer)
        self.listed = [item["id"] for item in answer["results"]]

    def my_list(self, operation: str) -> None:
        status, answer = self.call(operation, "GET", "/api/v1/leads/?owner=me")
        if status != 200:
            return self.error(operation, status, answer)
        self.mine.update(item["id"] for item in answer["results"])

    def view(self, operation: str) -> None:
        pk = self.rng.choice(self.listed)
        status, answer = self.call(operation, "GET", f"/api/v1/leads/{pk}/")
        if status == 404:  # claimed by someone since it was listed
            self.counts["view races"] += 1
            self.listed.remove(pk)
        elif status != 200:
            self.error(operation, status, answer)

    def claim(self, operation: str) -> None:
        pk = self.listed.pop(self.rng.randrange(len(self.listed)))
        status, answer = self.call(operation, "POST", "/api/v1/leads/claim", {"ids": [pk]})
        if status != 200:
            return self.error(operation, status, answer)
        if answer["done"] == [pk]:
            self.mine.add(pk)
            self.counts["claimed"] += 1
            return None
        code = answer["refused"][0]["code"] if answer["refused"] else None
        if code in ("already_owned", "not_in_scope"):
            self.counts["claim races"] += 1
        elif code in ("claim_limit_reached", "max_held_reached"):
            self.counts["refused by limit"] += 1
        else:
            self.error(operation, status, answer)
        return None

    def give_back(self, operation: str) -> None:
        pk = self.rng.choice(sorted(self.mine))
        reason = self.rng.choice(RETURN_REASONS)
        status, answer = self.call(
            operation, "POST", "/api/v1/leads/return", {"ids": [pk], "reason": reason}
        )
        if status != 200 or answer["done"] != [pk]:
            return self.error(operation, status, answer)
        self.mine.discard(pk)
        self.counts["returned"] += 1
        return None

    def follow_up(self, operation: str) -> None:
        pk = self.rng.choice(sorted(self.mine))
        body = {"kind": "call", "content": "电话沟通，客户有意向，下周再联系。"}
        status, answer = self.call(operation, "POST", f"/api/v1/leads/{pk}/followups/", body)
        if status != 201:
            self.error(operation, status, answer)


def run(options) -> dict:
    skipped = migrated_postgresql()
    if skipped:
        return skipped
    from django.db import connection
    from django.utils import timezone

    from leadpool.pools.models import Pool

    print(f"# building a pool of {options.rows:,} leads, {options.clients} reps", file=sys.stderr)
    built = build_pool(
        rows=options.rows,
        users=options.clients,
        claim_limit_per_day=100_000,
        max_held=10_000,
        owned=dict.fromkeys(range(options.clients), HELD_AT_START),
    )
    Pool.objects.filter(pk=built["pool_id"]).update(reclaim_no_followup_days=7)
    connection.close()
    pool_id, tokens = built["pool_id"], built["tokens"]
    figures: dict = {
        "pool_leads": options.rows,
        "clients": options.clients,
        "seconds_asked": options.seconds,
        "build_seconds": built["build_seconds"],
    }
    since = timezone.now()
    with Server(
        os.environ["DATABASE_URL"],
        workers=options.workers,
        worker_class=options.worker_class,
        threads=options.threads,
    ) as server:
        figures.update(server.describe())
        reps = [
            Rep(Client(server.port, token), pool_id, seed=index)
            for index, token in enumerate(tokens)
        ]
        ready, go = threading.Barrier(len(reps) + 1), threading.Event()
        deadline: list[float] = []

        def work(rep: Rep) -> None:
            rep.my_list("warm-up")  # the connection, the worker, and what the rep holds
            rep.times.pop("warm-up", None)
            ready.wait()
            go.wait()
            while time.perf_counter() < deadline[0]:
                rep.step()
            rep.client.close()

        threads = [threading.Thread(target=work, args=(rep,)) for rep in reps]
        for thread in threads:
            thread.start()
        ready.wait()
        cpu_before = cpu_seconds(server.worker_pids())
        started = time.perf_counter()
        deadline.append(started + options.seconds)
        go.set()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(server.worker_pids()) - cpu_before
    counts: collections.Counter = collections.Counter()
    times: dict[str, list[float]] = collections.defaultdict(list)
    samples: list[str] = []
    for rep in reps:
        counts.update(rep.counts)
        samples.extend(rep.samples)
        for operation, values in rep.times.items():
            times[operation].extend(values)
    every = [value for values in times.values() for value in values]
    figures.update(
        {
            "seconds": round(seconds, 1),
            "requests_per_second": round(len(every) / seconds, 1),
            "errors": counts["errors"],
            "error_samples": samples[:5],
            "overall": percentiles(every),
            **{operation: percentiles(times[operation]) for operation in OPERATIONS},
            "claimed": counts["claimed"],
            "returned": counts["returned"],
            "claim_races": counts["claim races"],
            "view_races": counts["view races"],
            "refused_by_limit": counts["refused by limit"],
            "server_cpu_ms_per_request": round(cpu * 1000 / max(1, len(every)), 2),
        }
    )
    checks = ownership_checks(pool_id, since=since)
    checks.pop("claimed_by")
    figures.update(checks)
    figures["target_met"] = counts["errors"] == 0 and checks["double_owners"] == 0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rows", type=int, default=100_000, help="unassigned leads in the pool")
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
