"""What the HTTP benchmarks (claim_http.py, soak.py) share: a local gunicorn on a free
port, keep-alive API clients with their own tokens, a pool of leads for them to work on,
percentiles, and the ownership checks run in the database afterwards.

The server runs the real WSGI application (`leadpool.wsgi:application`) with DEBUG off.
Only the per-user write rate limit is lifted, through its environment variable
(`LEADPOOL_RATE_WRITE`, 300/minute by default, which 32 clients claiming flat out would
hit within a second); every other setting is the deployment's default unless the caller
passes it.
"""

import contextlib
import datetime
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import generate

USER_PREFIX = "benchh_"
POOL_NAME = "benchh 领取池"
RETURN_REASONS = ["联系不上", "无意向", "号码错误"]
# The server's environment beyond DATABASE_URL: no debug, no write throttle, one shared
# secret key (no var/secret_key written), and the connection reuse a deployment sets.
SERVER_ENVIRONMENT = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LEADPOOL_RATE_WRITE": "1000000/second",
    "DATABASE_CONN_MAX_AGE": "60",
}


def migrated_postgresql() -> dict | None:
    """Set Django up on DATABASE_URL and migrate it; the JSON figures of a skip when it is
    not PostgreSQL (the HTTP benchmarks measure a deployment, and need its database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadpool.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        return {"skipped": "needs PostgreSQL (--database postgres://…)"}
    call_command("migrate", verbosity=0)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`gunicorn leadpool.wsgi:application` on 127.0.0.1:<free port>, started on enter and
    stopped (SIGTERM to its master, which we started) on exit."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 4,
        worker_class: str = "gthread",
        threads: int = 8,
        environment: dict | None = None,
    ):
        self.database_url = database_url
        self.workers, self.worker_class, self.threads = workers, worker_class, threads
        self.environment = {**SERVER_ENVIRONMENT, **(environment or {})}
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in __exit__
            prefix="bench_gunicorn_", suffix=".log", delete=False
        )

    def describe(self) -> dict:
        return {
            "server": f"gunicorn {self.workers} {self.worker_class} workers"
            + (f" × {self.threads} threads" if self.worker_class == "gthread" else ""),
            "server_environment": {k: v for k, v in self.environment.items() if k != "SECRET_KEY"},
        }

    def __enter__(self) -> "Server":
        environment = {
            **os.environ,
            **self.environment,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "bench-" + secrets.token_hex(24),
            "LEADPOOL_VAR_DIR": tempfile.mkdtemp(prefix="bench_var_"),
        }
        command = [sys.executable, "-m", "gunicorn", "leadpool.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
        command += ["--worker-class", self.worker_class, "--preload", "--keep-alive", "30"]
        command += ["--backlog", "256", "--log-level", "warning", "--timeout", "60"]
        if self.worker_class == "gthread":
            command += ["--threads", str(self.threads)]
        self.process = subprocess.Popen(  # noqa: S603 - our own server
            command, env=environment, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}): {self.tail()}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/api/v1/pools/")
                connection.getresponse().read()
                connection.close()
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"gunicorn did not answer within 60 s: {self.tail()}")

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def tail(self, lines: int = 20) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """The master's children (the workers), whose CPU time the caller may count."""
        if self.process is None:
            return []
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(stat.parent.name))
        return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (/proc/<pid>/stat)."""
    return sum(_cpu_ticks(pid) for pid in pids) / os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    return 0


class DatabaseCpu:
    """CPU time the local PostgreSQL spends between `start()` and `seconds()`: every
    process named `postgres` (backends, WAL writer, checkpointer), those started in
    between counted from zero. With the server's and the client's CPU it shows where a
    request's cost goes on a machine the three share."""

    def start(self) -> "DatabaseCpu":
        self.before = {pid: _cpu_ticks(pid) for pid in self._pids()}
        return self

    def seconds(self) -> float:
        ticks = sum(_cpu_ticks(pid) - self.before.get(pid, 0) for pid in self._pids())
        return ticks / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _pids() -> list[int]:
        pids = []
        for comm in Path("/proc").glob("[0-9]*/comm"):
            with contextlib.suppress(OSError, ValueError):
                if comm.read_text().strip() == "postgres":
                    pids.append(int(comm.parent.name))
        return pids


class Client:
    """One API user on one keep-alive connection (reopened if the server closes it)."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": "zh-hans",
        }
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None) -> tuple[int, object, float]:
        """(status, parsed JSON or None, seconds); status 0 when the connection failed."""
        payload = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=payload, headers=self.headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                # A keep-alive connection the server closed between requests: retry once.
                if attempt == 2:
                    return 0, None, time.perf_counter() - started
                continue
            seconds = time.perf_counter() - started
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = None
            return response.status, parsed, seconds
        return 0, None, time.perf_counter() - started

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def percentiles(seconds: list[float]) -> dict:
    """p50/p95/p99 of request times, in milliseconds (nearest rank)."""
    if not seconds:
        return {"requests": 0}
    ordered = sorted(seconds)

    def rank(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)

    return {"requests": len(ordered), "p50_ms": rank(0.5), "p95_ms": rank(0.95),
            "p99_ms": rank(0.99)}  # fmt: skip


# --- the data set (in the benchmark's own process, Django set up) ------------------------


def build_pool(
    *,
    rows: int,
    users: int,
    claim_limit_per_day: int | None,
    max_held: int | None,
    owned: dict[int, int] | None = None,
    seed: int = 10,
) -> dict:
    """Empty the lead tables and make one claimable lead pool of `rows` unassigned leads,
    `users` sales reps (members of it, each with an API token) and a pool admin.
    `owned` maps a rep's index to how many more leads they already hold in the pool.
    Returns the pool id, the users' ids and tokens, and the build's seconds."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from leadpool.accounts.models import User
    from leadpool.core.bulk import insert_rows
    from leadpool.leads.models import Lead
    from leadpool.pools.models import ClaimTally, Pool

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # History too: its events keep users (PROTECT) and outlive their leads.
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE leads_lead, customers_customer, history_event RESTART IDENTITY CASCADE"
            )
    else:
        generate._empty(connection)
    User.objects.filter(username__startswith=USER_PREFIX).delete()
    Pool.objects.filter(name=POOL_NAME).delete()
    unusable = make_password(None)
    admin = User.objects.create(
        username=f"{USER_PREFIX}admin", role=User.Role.ADMIN, password=unusable
    )
    reps = User.objects.bulk_create(
        User(username=f"{USER_PREFIX}rep{index}", display_name=f"销售{index}", password=unusable)
        for index in range(users)
    )
    tokens = Token.objects.bulk_create(Token(key=Token.generate_key(), user=user) for user in reps)
    pool = Pool.objects.create(
        name=POOL_NAME,
        kind=Pool.Kind.LEAD,
        claim_limit_per_day=claim_limit_per_day,
        max_held=max_held,
        return_reasons=RETURN_REASONS,
    )
    pool.admins.add(admin)
    pool.members.add(*reps)
    ClaimTally.objects.filter(pool=pool).delete()

    rng = random.Random(seed)  # noqa: S311 - test data
    now = timezone.now()
    owned = owned or {}
    owners = [reps[index].pk for index, count in sorted(owned.items()) for _ in range(count)]
    fixed = {
        field.attname: field.get_default()
        for field in Lead._meta.concrete_fields
        if not field.null and not field.primary_key and field.has_default()
    }
    columns: list[str] = []
    batch: list[tuple] = []
    total = rows + len(owners)
    with transaction.atomic():
        dropped = generate._drop_indexes(connection, [Lead])
        for index, cells in enumerate(generate.record_rows(total, seed=seed)):
            owner = owners[index] if index < len(owners) else None
            created = now - datetime.timedelta(seconds=rng.randrange(30 * 86400, 365 * 86400))
            values = {
                **fixed,
                **cells,
                "pool_id": pool.pk,
                "owner_id": owner,
                "created_by_id": admin.pk,
                "created_at": created,
                "updated_at": created,
                "claimed_at": created if owner else None,
                "pooled_at": None if owner else created,
            }
            columns = columns or list(values)
            batch.append(tuple(values[column] for column in columns))
            if len(batch) >= generate.BATCH:
                insert_rows(Lead, columns, batch)
                batch = []
        if batch:
            insert_rows(Lead, columns, batch)
        generate._restore_indexes(connection, dropped)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "pool_id": pool.pk,
        "admin_id": admin.pk,
        "user_ids": [user.pk for user in reps],
        "tokens": [token.key for token in tokens],
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def ownership_checks(pool_id: int, *, since: datetime.datetime) -> dict:
    """After a run: leads that two people claimed without a release in between (double
    owners), leads whose owner is not the last claimer, and rule violations: a rep who
    claimed more than the daily limit today (history events) or holds more than the pool's
    most-held limit."""
    from django.db import connection

    from leadpool.pools.models import Pool

    pool = Pool.objects.get(pk=pool_id)
    with connection.cursor() as cursor:
        # Ownership changes of the pool's leads since the run began, in order: a claim or an
        # assignment must follow a state in which nobody owned the lead.
        cursor.execute(
            "SELECT lead_id, action, from_owner_id, to_owner_id FROM history_event "
            "WHERE lead_id IS NOT NULL AND at >= %s AND (from_pool_id = %s OR to_pool_id = %s) "
            "ORDER BY lead_id, at, id",
            [since, pool_id, pool_id],
        )
        events = cursor.fetchall()
        cursor.execute(
            "SELECT id, owner_id FROM leads_lead WHERE id IN "
            "(SELECT lead_id FROM history_event WHERE at >= %s AND lead_id IS NOT NULL)",
            [since],
        )
        final_owner = dict(cursor.fetchall())
    double, mismatched, claims = 0, 0, 0
    claimed_by: dict[int, int] = {}
    current_lead, owner = None, None
    for lead_id, action, from_owner, to_owner in events:
        if lead_id != current_lead:
            if (
                current_lead is not None
                and owner is not None
                and final_owner.get(current_lead) != owner
            ):
                mismatched += 1
            current_lead, owner = lead_id, from_owner
        if action == "claim":
            claims += 1
            claimed_by[to_owner] = claimed_by.get(to_owner, 0) + 1
            if owner is not None:
                double += 1
            owner = to_owner
        elif action in ("return", "reclaim", "put_into_pool", "assign_to_pool"):
            owner = None
        elif action == "assign":
            owner = to_owner
    if current_lead is not None and owner is not None and final_owner.get(current_lead) != owner:
        mismatched += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT owner_id, COUNT(*) FROM leads_lead WHERE pool_id = %s AND owner_id IS NOT "
            "NULL AND deleted_at IS NULL AND status <> 'converted' GROUP BY owner_id",
            [pool_id],
        )
        held = dict(cursor.fetchall())
        cursor.execute("SELECT user_id, claims FROM pools_claimtally WHERE pool_id = %s", [pool_id])
        tallies = dict(cursor.fetchall())
    over_daily = (
        sorted(user for user, count in tallies.items() if count > pool.claim_limit_per_day)
        if pool.claim_limit_per_day is not None
        else []
    )
    over_held = (
        sorted(user for user, count in held.items() if count > pool.max_held)
        if pool.max_held is not None
        else []
    )
    return {
        "claim_events": claims,
        "double_owners": double,
        "owner_mismatches": mismatched,
        "limit_violations": len(over_daily) + len(over_held),
        "most_held": max(held.values(), default=0),
        "most_claimed_today": max(tallies.values(), default=0),
        "claimed_by": claimed_by,
    }
