"""LeadPool's benchmarks, one entry point: `python -m bench <name> [--rows N] [--database URL]`.

    python -m bench all --rows 100000                  # SQLite under /tmp/bench9
    python -m bench list --rows 1000000 --database postgres://postgres@127.0.0.1:5432/bench9_1m

    python -m bench soak --seconds 300 --clients 50 --database postgres://…/bench9

Names, in the order `all` runs them: import, export, list, duplicates, rules, claim (or a
comma list of them, run in that order: `import,export` times the exports in the same run
of import_benchmark); `soak` runs only when named. Each runs
in its own process (its peak RSS its own) and ends with one JSON line of its figures on
stdout; progress goes to stderr. A benchmark that needs PostgreSQL says so in its JSON
line and skips on SQLite. The exit status is 1 if any benchmark failed. The databases
are emptied: a PostgreSQL one must have `bench` in its name (created if missing); the
import benchmark uses `<name>_import` beside it (dropped and created), the rules, claim
and soak benchmarks `<name>_rules`, `<name>_claim`, `<name>_soak`. See bench/README.md.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.import_benchmark import peak_rss_mib

NAMES = ["import", "export", "list", "duplicates", "rules", "claim"]
# Run only when named: minutes long, and meant for a quiet machine.
EXTRA_NAMES = ["soak"]
CLAIM_POOL = 100_000  # the claim and soak pools: --rows leads, at most this many
DEFAULT_DATABASE = "sqlite:////tmp/bench9/bench9.sqlite3"
XLSX_ROWS = 100_000


def is_postgresql(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def sibling(url: str, suffix: str) -> str:
    """The URL of the database `<name><suffix>` on the same server."""
    head, _slash, name = url.rpartition("/")
    return f"{head}/{name.split('?')[0]}{suffix}"


def workdir(url: str) -> Path:
    if is_postgresql(url):
        return Path("/tmp") / f"{url.rpartition('/')[2]}_work"  # noqa: S108 - generated files
    return Path(url.removeprefix("sqlite:///")).parent


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _run(command: list[str], environment: dict | None = None) -> str:
    """Run a benchmark process, its stderr passed through; its stdout, or SystemExit."""
    done = subprocess.run(  # noqa: S603 - our own modules
        [sys.executable, "-m", *command],
        env={**os.environ, **(environment or {})},
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode})")
    return done.stdout


# --- wrappers of the existing benchmarks --------------------------------------------------


def transfer(options, *, imports: bool, exports: bool) -> dict:
    """import_benchmark's import steps and/or its export steps, by step name."""
    url = options.database
    command = ["bench.import_benchmark", "--rows", str(options.rows), "--json"]
    command += ["--workdir", str(workdir(url) / "import")]
    command += ["--xlsx-rows", str(min(XLSX_ROWS, options.rows))]
    command += ["--formats", "csv,xlsx" if imports else "csv"]
    command += ["--exports", "csv,xlsx" if exports else ""]
    if is_postgresql(url):
        command += ["--databases", "postgresql", "--pg-url", sibling(url, "_import")]
    else:
        command += ["--databases", "sqlite"]
    steps = {item["step"]: item for item in _json_lines(_run(command))}
    return {name: {k: v for k, v in item.items() if k != "step"} for name, item in steps.items()}


def import_figures(steps: dict) -> dict:
    figures = {name: item for name, item in steps.items() if not name.startswith("export")}
    imported = figures.get("import csv")
    for reference in ("COPY (full)", "COPY (raw)", "django-import-export"):
        if imported and reference in figures:
            ratio = imported["rows_per_second"] / figures[reference]["rows_per_second"]
            figures[f"import csv / {reference}"] = round(ratio, 3)
    if "import csv / django-import-export" in figures:
        # Issue 9: at least five times django-import-export's best bulk settings.
        figures["dje_target_met"] = figures["import csv / django-import-export"] >= 5
    if "import csv / COPY (full)" in figures:
        figures["target_met"] = figures["import csv / COPY (full)"] >= 0.25 and all(
            item["peak_rss_mib"] < 400
            for name, item in figures.items()
            if name.startswith("import") and isinstance(item, dict)
        )
    return figures


def export_figures(steps: dict, options) -> dict:
    figures = {name: item for name, item in steps.items() if name.startswith("export")}
    reference = _inner(options, "export-reference")
    figures.update(reference)
    csv_rate = figures.get("export csv", {}).get("rows_per_second")
    copy_rate = reference.get("COPY TO", {}).get("rows_per_second")
    if csv_rate and copy_rate:
        figures["export csv / COPY TO"] = round(csv_rate / copy_rate, 3)
    xlsx_rate = figures.get("export xlsx", {}).get("rows_per_second")
    openpyxl_rate = reference.get("openpyxl write-only", {}).get("rows_per_second")
    if xlsx_rate and openpyxl_rate:
        figures["export xlsx / openpyxl"] = round(xlsx_rate / openpyxl_rate, 3)
    return figures


def rules(options) -> dict:
    if not is_postgresql(options.database):
        return {"skipped": "needs PostgreSQL (--database postgres://…)"}
    url = sibling(options.database, "_rules")
    output = _run(["bench.rules_benchmark", "--rows", str(options.rows)], {"DATABASE_URL": url})
    return _json_lines(output)[-1]


def http_benchmark(options, name: str) -> dict:
    """claim_http.py or soak.py on `<name>_claim` / `<name>_soak` (PostgreSQL only)."""
    if not is_postgresql(options.database):
        return {"skipped": "needs PostgreSQL (--database postgres://…) and gunicorn"}
    from bench.rules_benchmark import ensure_database

    url = sibling(options.database, f"_{name}")
    ensure_database(url)
    rows = min(CLAIM_POOL, options.rows)
    if name == "claim":
        command = ["bench.claim_http", "--rows", str(rows), "--requests", str(options.requests)]
        command += ["--clients", str(options.clients or 32)]
    else:
        command = ["bench.soak", "--rows", str(rows), "--seconds", str(options.seconds)]
        command += ["--clients", str(options.clients or 50)]
    return _json_lines(_run(command, {"DATABASE_URL": url}))[-1]


def _inner(options, name: str) -> dict:
    command = ["bench", "--inner", name, "--rows", str(options.rows)]
    command += ["--database", options.database, "--requests", str(options.requests)]
    return _json_lines(_run(command, {"DATABASE_URL": options.database}))[-1]


# --- in the benchmark's own process (Django set up on --database) -------------------------


def prepare_database(url: str) -> None:
    if is_postgresql(url):
        from bench.rules_benchmark import ensure_database

        if "bench" not in url.rpartition("/")[2]:
            raise SystemExit("--database must name a database called …bench…: it is emptied")
        ensure_database(url)
    else:
        workdir(url).mkdir(parents=True, exist_ok=True)


def inner(name: str, options) -> dict:
    os.environ["DATABASE_URL"] = options.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadpool.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bench import generate, latency

    call_command("migrate", verbosity=0)
    customers = options.rows // 5
    figures: dict = {}
    if not generate.is_built(options.rows, customers):
        print(f"# building {options.rows:,} leads, {customers:,} customers", file=sys.stderr)
        figures.update(generate.build(leads=options.rows, customers=customers))
    if name == "list":
        figures.update(latency.run_list(requests=options.requests))
    elif name == "duplicates":
        figures.update(latency.run_duplicates(requests=options.requests))
    elif name == "export-reference":
        figures.update(export_reference(min(XLSX_ROWS, options.rows)))
    return figures


def export_reference(xlsx_rows: int) -> dict:
    """The references of the export benchmark, on the generated leads (the same table):
    PostgreSQL's `COPY (SELECT …) TO STDOUT`, and openpyxl's write-only mode writing the
    newest `xlsx_rows` leads' exported columns."""
    import io

    from django.db import connection
    from openpyxl import Workbook

    from leadpool.leads.models import Lead

    figures: dict = {}
    columns = [
        "id",
        "name",
        "company",
        "phone",
        "other_phone",
        "email",
        "source",
        "region",
        "industry",
        "status",
        "notes",
        "created_at",
    ]
    if connection.vendor == "postgresql":
        rows = size = 0
        started = time.perf_counter()
        with connection.cursor() as cursor:
            sql = f"COPY (SELECT {', '.join(columns)} FROM leads_lead) TO STDOUT (FORMAT csv)"  # noqa: S608
            with cursor.copy(sql) as copy:
                for chunk in copy:
                    size += len(chunk)
                    rows += bytes(chunk).count(b"\n")
        seconds = time.perf_counter() - started
        figures["COPY TO"] = {
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds),
            "mib": round(size / 1024**2, 1),
        }
    else:
        figures["COPY TO"] = {"skipped": "needs PostgreSQL"}
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("leads")
    sheet.append(columns)
    count = 0
    for row in Lead.objects.order_by("-id").values_list(*columns)[:xlsx_rows].iterator():
        sheet.append(
            [value.replace(tzinfo=None) if hasattr(value, "tzinfo") else value for value in row]
        )
        count += 1
    workbook.save(io.BytesIO())
    seconds = time.perf_counter() - started
    figures["openpyxl write-only"] = {
        "rows": count,
        "seconds": round(seconds, 2),
        "rows_per_second": round(count / seconds),
    }
    return figures


# --- the driver --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "name",
        nargs="?",
        help=f"{', '.join(NAMES)}, all, {', '.join(EXTRA_NAMES)}, or a comma list",
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--requests", type=int, default=200, help="per list/duplicates case; claims per client"
    )
    parser.add_argument("--clients", type=int, help="claim: 32, soak: 50 concurrent clients")
    parser.add_argument("--seconds", type=float, default=300, help="soak: how long")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.inner:
        figures = inner(options.inner, options)
        figures["peak_rss_mib"] = peak_rss_mib()
        print(json.dumps(figures, ensure_ascii=False))
        return
    if not options.name:
        parser.error("name a benchmark, or all")
    names = NAMES if options.name == "all" else options.name.split(",")
    unknown = sorted(set(names) - set(NAMES) - set(EXTRA_NAMES))
    if unknown:
        known = ", ".join(NAMES + EXTRA_NAMES)
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {known}")
    prepare_database(options.database)
    engine = "postgresql" if is_postgresql(options.database) else "sqlite"
    failed = []
    cached_transfer: dict | None = None
    for name in names:
        started = time.perf_counter()
        print(f"# {name}: {options.rows:,} rows on {engine}", file=sys.stderr, flush=True)
        try:
            if name == "import":
                # `all` times the exports in the same run of import_benchmark.
                cached_transfer = transfer(options, imports=True, exports="export" in names)
                figures = import_figures(cached_transfer)
            elif name == "export":
                steps = cached_transfer or transfer(options, imports=False, exports=True)
                figures = export_figures(steps, options)
            elif name == "rules":
                figures = rules(options)
            elif name in ("claim", "soak"):
                figures = http_benchmark(options, name)
            else:
                figures = _inner(options, name)
        except SystemExit as error:
            failed.append(name)
            figures = {"error": str(error)}
        line = {
            "benchmark": name,
            "database": engine,
            "rows": options.rows,
            **figures,
            "wall_seconds": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
