"""A realistic data set for the list and duplicate benchmarks, bulk-inserted.

`build(leads=N, customers=M)` fills the configured database with 200 users (one admin),
20 lead pools and 2 customer pools, `N` leads and `M` customers: Chinese names (80 %)
and English ones, companies with legal suffixes (`有限公司`, `Co., Ltd.`), CN mobile
numbers in mixed formats (plain, spaced, `+86 …`, `+86-…`, `86…`), e-mails on 30 %,
sources, regions and pools drawn with a skew, 60 % of the leads owned (by 199 users,
skewed too) and 40 % unassigned, and 2 % repeating an earlier row's phone and company
under another name. Rows go in by COPY on PostgreSQL (its secondary indexes dropped
first and rebuilt after, foreign-key triggers off for the load: PERFORMANCE.md, COPY
then index ≈ 192k rows/s against 80k into the indexed table) and by one `executemany`
per batch on SQLite (`leadpool.core.bulk.insert_rows` either way). Seeded: the same
arguments give the same rows. The names and phone prefixes are import_benchmark's.
"""

import datetime
import functools
import random
import time

from bench.import_benchmark import (
    CITIES,
    DOMAINS,
    FAMILY,
    GIVEN,
    INDUSTRIES,
    LETTERS,
    MOBILE_PREFIXES,
    NOTES,
    REGIONS,
    SOURCES,
    SUFFIXES,
    TRADES,
    WORDS,
)

USERS = 200
LEAD_POOLS = 20
CUSTOMER_POOLS = 2
OWNED_SHARE = 0.6
DUPLICATE_SHARE = 0.02
BATCH = 50_000
ADMIN = "bench9_admin"
MARKER_POOL = "bench9 线索池 1"

FIRST_NAMES = ["James", "Mary", "John", "Linda", "David", "Susan", "Michael", "Karen", "Wei"]
LAST_NAMES = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Chen", "Wong", "Lee", "Clark"]
EN_WORDS = ["Acme", "Pacific", "Golden Bridge", "Silverline", "Orient", "Bluestone", "Apex"]
EN_TRADES = ["Trading", "Technology", "Electronics", "Logistics", "Medical", "Holdings"]
EN_SUFFIXES = ["Co., Ltd.", "Ltd.", "Limited", "Inc.", "Group Co., Ltd.", "Corp."]
# Skews: a few sources, regions, pools and owners hold most of the leads, as in life.
SOURCE_WEIGHTS = [30, 20, 15, 12, 10, 8, 5]
REGION_WEIGHTS = [25, 18, 15, 10, 8, 7, 6, 5, 3, 3]


def _skew(count: int) -> list[float]:
    return [1 / (rank + 1) ** 0.8 for rank in range(count)]


@functools.lru_cache(maxsize=65536)
def _company_normalized(company: str) -> str:
    from leadpool.core.normalize import normalize_company

    return normalize_company(company)


def record_rows(count: int, *, seed: int, first_index: int = 0):
    """Dicts of contact cells for `count` records, deterministic for a seed. Phones are
    unique (the 8 digits after the prefix are a bijection of the index) except in the
    duplicate rows, which repeat an earlier row's phone and company under another name.
    `phone_normalized` is the E.164 form normalize_phone gives (checked by the tests
    of this module's caller on a sample)."""
    rng = random.Random(seed)  # noqa: S311 - test data
    recent: list[tuple[str, str, str]] = []
    for offset in range(count):
        index = first_index + offset
        if rng.random() < 0.8:
            name = rng.choice(FAMILY) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        draw = rng.random()
        # A company's own name (字号) is what sets it apart: a word and a character for
        # Chinese ones, a word and a family name for English ones, so a million leads hold
        # tens of thousands of companies, each with a few contacts, as bought lists do.
        if draw < 0.72:
            own_name = rng.choice(WORDS) + rng.choice(GIVEN)
            company = rng.choice(CITIES) + own_name + rng.choice(TRADES) + rng.choice(SUFFIXES)
        elif draw < 0.9:
            own_name = f"{rng.choice(EN_WORDS)} {rng.choice(LAST_NAMES)}"
            company = f"{own_name} {rng.choice(EN_TRADES)} {rng.choice(EN_SUFFIXES)}"
        else:
            company = ""
        digits = f"{rng.choice(MOBILE_PREFIXES)}{(index * 10000019 + 4242) % 10**8:08d}"
        if recent and rng.random() < DUPLICATE_SHARE:
            digits, company, _email = rng.choice(recent)
        shape = rng.random()
        if shape < 0.75:
            phone = digits
        elif shape < 0.87:
            phone = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        elif shape < 0.94:
            phone = "+86 " + digits
        elif shape < 0.97:
            phone = f"+86-{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        else:
            phone = "86" + digits
        email = ""
        if rng.random() < 0.3:
            user = "".join(rng.choices(LETTERS, k=rng.randrange(4, 9)))
            email = f"{user}{index}@{rng.choice(DOMAINS)}"
        other = ""
        if rng.random() < 0.05:
            other = f"0{rng.choice((10, 21, 20, 755))}-{rng.randrange(2, 9)}{index % 10**7:07d}"
        recent.append((digits, company, email))
        if len(recent) > 20_000:
            del recent[:10_000]
        yield {
            "name": name,
            "company": company,
            "company_normalized": _company_normalized(company),
            "phone": phone,
            "phone_normalized": "+86" + digits,
            "other_phone": other,
            "other_phone_normalized": "",
            "email": email,
            "email_normalized": email.lower(),
            "source": rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
            "region": rng.choices(REGIONS, REGION_WEIGHTS)[0],
            "industry": rng.choice(INDUSTRIES),
            "notes": rng.choice(NOTES) if rng.random() < 0.2 else "",
        }


def is_built(leads: int, customers: int) -> bool:
    """Whether the database already holds this module's data set of that size."""
    from leadpool.customers.models import Customer
    from leadpool.leads.models import Lead
    from leadpool.pools.models import Pool

    if not Pool.objects.filter(name=MARKER_POOL).exists():
        return False
    return Lead.objects.count() == leads and Customer.objects.count() == customers


def build(*, leads: int, customers: int, seed: int = 9) -> dict:
    """Empty the record tables and fill them (see the module docstring); the seconds."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from leadpool.accounts.models import User
    from leadpool.customers.models import Customer
    from leadpool.leads.models import Lead
    from leadpool.pools.models import Pool

    started = time.perf_counter()
    _empty(connection)
    User.objects.filter(username__startswith="bench9_").delete()
    admin = User.objects.create_user(
        username=ADMIN, role=User.Role.ADMIN, display_name="Bench admin"
    )
    unusable = make_password(None)  # no hashing: nobody signs in as them
    users = User.objects.bulk_create(
        User(username=f"bench9_user{index}", display_name=f"销售{index}", password=unusable)
        for index in range(USERS - 1)
    )
    Pool.objects.filter(name__startswith="bench9 ").delete()
    lead_pools = Pool.objects.bulk_create(
        Pool(name=f"bench9 线索池 {index + 1}", kind=Pool.Kind.LEAD) for index in range(LEAD_POOLS)
    )
    customer_pools = Pool.objects.bulk_create(
        Pool(name=f"bench9 客户池 {index + 1}", kind=Pool.Kind.CUSTOMER)
        for index in range(CUSTOMER_POOLS)
    )
    user_ids = [user.pk for user in users]
    rng = random.Random(seed)  # noqa: S311 - test data
    with transaction.atomic():
        dropped = _drop_indexes(connection, [Lead, Customer])
        for model, count, pools, first in (
            (Lead, leads, lead_pools, 0),
            (Customer, customers, customer_pools, leads),
        ):
            _insert(
                model,
                record_rows(count, seed=seed + first, first_index=first),
                pool_ids=[pool.pk for pool in pools],
                user_ids=user_ids,
                created_by=admin.pk,
                rng=rng,
            )
        _restore_indexes(connection, dropped)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE leads_lead")
            cursor.execute("VACUUM ANALYZE customers_customer")
            cursor.execute("CHECKPOINT")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"build_seconds": round(time.perf_counter() - started, 1)}


def _empty(connection) -> None:
    tables = ["leads_lead", "customers_customer"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")  # noqa: S608
        return
    from django.apps import apps

    # Raw deletes (history events refuse the ORM's), children first.
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                remote = getattr(field, "related_model", None)
                if remote is not None and remote._meta.db_table in tables:
                    table = model._meta.db_table
                    if table not in tables:
                        cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our own names
                    break
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our own names


def _drop_indexes(connection, models) -> list[str]:
    """PostgreSQL: drop the tables' secondary indexes (not those behind constraints) and
    return their definitions; triggers (foreign-key checks) off until the commit."""
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


def _restore_indexes(connection, definitions: list[str]) -> None:
    if not definitions:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in definitions:
            cursor.execute(definition)


def _insert(model, cells, *, pool_ids, user_ids, created_by, rng) -> None:
    from django.utils import timezone

    from leadpool.core.bulk import insert_rows

    now = timezone.now()
    pool_weights = _skew(len(pool_ids))
    owner_weights = _skew(len(user_ids))
    fixed = {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if not field.null and not field.primary_key and field.has_default()
    }
    columns: list[str] = []
    batch: list[tuple] = []
    for row in cells:
        owned = rng.random() < OWNED_SHARE
        created = now - datetime.timedelta(seconds=rng.randrange(2 * 365 * 86400))
        values = {
            **fixed,
            **row,
            "pool_id": rng.choices(pool_ids, pool_weights)[0],
            "owner_id": rng.choices(user_ids, owner_weights)[0] if owned else None,
            "created_by_id": created_by,
            "created_at": created,
            "updated_at": created,
            "claimed_at": created if owned else None,
            "pooled_at": None if owned else created,
        }
        if not columns:
            columns = list(values)
        batch.append(tuple(values[column] for column in columns))
        if len(batch) >= BATCH:
            insert_rows(model, columns, batch)
            batch = []
    if batch:
        insert_rows(model, columns, batch)
