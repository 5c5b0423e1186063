"""Time `leadpool rules run` over many leads with some due for automatic reclaim.

PostgreSQL only. Builds the data set in SQL (INSERT … SELECT generate_series: no Python
per row), then times one real sweep in-process and prints one JSON line of figures.
Not part of the test suite. See bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_rules \\
        python -m bench.rules_benchmark --rows 1000000 --due 100000
"""

import argparse
import io
import json
import os
import resource
import sys
import time


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it is missing (connecting to `postgres`)."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = config["NAME"]
    with psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def _default_literal(field) -> str:
    value = field.get_default() if field.has_default() else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"
    return "''"


def build(rows: int, due: int, owners: int) -> dict:
    """A fresh pool of `rows` leads: `due` past their reclaim time, the rest of the owned
    ones weeks from it (outside the warning period), and 40 % unassigned in the pool."""
    from django.db import connection
    from django.utils import timezone

    from leadpool.accounts.models import User
    from leadpool.leads.models import Lead
    from leadpool.pools.models import Pool

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_lead, history_event, history_notification, "
            "pools_claimtally RESTART IDENTITY CASCADE"
        )
    Pool.objects.filter(name="Benchmark pool").delete()
    pool = Pool.objects.create(
        name="Benchmark pool",
        kind=Pool.Kind.LEAD,
        reclaim_no_followup_days=7,
        reclaim_warning_days=2,
        reclaim_cooldown_hours=24,
    )
    users = []
    for index in range(owners):
        user, _created = User.objects.get_or_create(
            username=f"bench{index}", defaults={"display_name": f"Bench {index}"}
        )
        users.append(user.pk)
    now = timezone.now()
    owned = rows * 6 // 10
    if due > owned:
        raise SystemExit(f"--due {due} is more than the {owned} owned leads")
    # Every other NOT NULL column gets its field's default (text '' when it has none):
    # columns added since (an integer score, a JSON list) need a value of their type.
    columns = {
        field.column: _default_literal(field)
        for field in Lead._meta.concrete_fields
        if field.column != "id" and not field.null
    }
    columns.update(
        name="'Lead ' || g",
        company="'Company ' || (g %% 50000)",
        company_normalized="'company ' || (g %% 50000)",
        phone="(13000000000 + g)::text",
        phone_normalized="'+86' || (13000000000 + g)::text",
        custom="'{}'::jsonb",
        status="'new'",
        created_at="%(now)s - interval '20 days'",
        updated_at="%(now)s",
        pool_id="%(pool)s",
        owner_id="CASE WHEN g <= %(owned)s THEN (%(users)s::bigint[])[1 + g %% %(n)s] END",
        claimed_at="CASE WHEN g <= %(due)s THEN %(now)s - interval '8 days' "
        "WHEN g <= %(owned)s THEN %(now)s END",
        reclaim_at="CASE WHEN g <= %(due)s THEN %(now)s - interval '1 day' + (g %% 3600) "
        "* interval '1 second' WHEN g <= %(owned)s THEN %(now)s + interval '7 days' END",
        pooled_at="CASE WHEN g > %(owned)s THEN %(now)s - interval '1 day' END",
    )
    sql = (
        f"INSERT INTO leads_lead ({', '.join(columns)}) "  # noqa: S608 - our own column names
        f"SELECT {', '.join(columns.values())} FROM generate_series(1, %(rows)s) AS g"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "now": now,
                "pool": pool.pk,
                "owned": owned,
                "due": due,
                "users": users,
                "n": len(users),
                "rows": rows,
            },
        )
        cursor.execute("VACUUM ANALYZE leads_lead")
        # Flush the build's WAL now, so the checkpoint it triggers does not land inside
        # the timed sweep (runs without this varied from 7 to 11 s on a quiet machine).
        cursor.execute("CHECKPOINT")
    return {"pool": pool, "build_seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=None, help="default: a tenth of --rows")
    parser.add_argument("--owners", type=int, default=50)
    options = parser.parse_args()
    due = options.due if options.due is not None else options.rows // 10
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (it is emptied).")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadpool.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from leadpool.history.models import Event, Notification
    from leadpool.leads.models import Lead

    call_command("migrate", verbosity=0)
    built = build(options.rows, due, options.owners)

    out = io.StringIO()
    started = time.perf_counter()
    call_command("rules", "run", "--json", stdout=out)
    seconds = time.perf_counter() - started

    report = json.loads(out.getvalue())
    counts = next(p["counts"] for p in report["pools"] if p["id"] == built["pool"].pk)
    reclaimed = counts["reclaim_no_followup_days"]
    events = Event.objects.filter(action=Event.Action.AUTO_RECLAIM).count()
    figures = {
        "rows": Lead.objects.count(),
        "due": due,
        "reclaimed": reclaimed,
        "events": events,
        "notifications": Notification.objects.count(),
        "seconds": round(seconds, 2),
        "rows_per_second": round(reclaimed / seconds) if seconds else None,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "build_seconds": built["build_seconds"],
    }
    print(json.dumps(figures))
    if reclaimed != due or events != due:
        sys.exit("the sweep did not reclaim every due lead exactly once")


if __name__ == "__main__":
    main()
