"""Personas and record makers shared by every app's tests.

The organisation: HQ → East Sales → East Team; HQ → West Sales.
- admin: system admin
- manager: manages East Sales (and East Team below it)
- rep_east: sales in East Team; rep_west: sales in West Sales
- pool_admin: administers `lead_pool` and `customer_pool`
- member: a member of both pools (directly); rep_east is a member through East Sales
- outsider: sales in no pool and no managed department
"""

import itertools

import pytest
from django.utils import timezone

from leadpool.accounts.models import Department, User
from leadpool.core.normalize import normalize_company, normalize_email, normalize_phone
from leadpool.customers.models import Customer
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool

_phones = itertools.count(13800000001)


def next_phone() -> str:
    """A distinct, valid Chinese mobile number per call."""
    return str(next(_phones))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default hasher costs ~0.25 s per user; tests need no protection from brute force.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def import_dir(tmp_path, settings):
    # Uploaded import files go to a folder of the test's own, never to the checkout's var/.
    settings.LEADPOOL_IMPORT_DIR = tmp_path / "imports"
    return settings.LEADPOOL_IMPORT_DIR


@pytest.fixture(autouse=True)
def fresh_cache():
    # Rate-limit counters live in the cache: one test's requests must not throttle the next.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def departments(db):
    hq = Department.objects.create(name="HQ")
    east = Department.objects.create(name="East Sales", parent=hq)
    east_team = Department.objects.create(name="East Team", parent=east)
    west = Department.objects.create(name="West Sales", parent=hq)
    return {"hq": hq, "east": east, "east_team": east_team, "west": west}


def _user(username, role=User.Role.SALES, department=None, **extra):
    return User.objects.create_user(
        username=username,
        password="pw-" + username,
        role=role,
        department=department,
        display_name=username.replace("_", " ").title(),
        **extra,
    )


@pytest.fixture
def admin(departments):
    return _user("admin", User.Role.ADMIN, departments["hq"])


@pytest.fixture
def manager(departments):
    return _user("manager", User.Role.MANAGER, departments["east"])


@pytest.fixture
def rep_east(departments):
    return _user("rep_east", department=departments["east_team"])


@pytest.fixture
def rep_west(departments):
    return _user("rep_west", department=departments["west"])


@pytest.fixture
def pool_admin(departments):
    return _user("pool_admin", department=departments["hq"])


@pytest.fixture
def member(departments):
    return _user("member", department=departments["hq"])


@pytest.fixture
def outsider(departments):
    return _user("outsider", department=None)


@pytest.fixture
def lead_pool(pool_admin, member, departments):
    pool = Pool.objects.create(name="Lead pool", kind=Pool.Kind.LEAD)
    pool.admins.add(pool_admin)
    pool.members.add(member)
    pool.member_departments.add(departments["east"])
    return pool


@pytest.fixture
def customer_pool(pool_admin, member, departments):
    pool = Pool.objects.create(name="Customer pool", kind=Pool.Kind.CUSTOMER)
    pool.admins.add(pool_admin)
    pool.members.add(member)
    pool.member_departments.add(departments["east"])
    return pool


def _normalized(fields: dict) -> dict:
    phone = fields.get("phone", "")
    email = fields.get("email", "")
    return {
        "phone_normalized": normalize_phone(phone) if phone else "",
        "email_normalized": normalize_email(email) if email else "",
        "company_normalized": normalize_company(fields.get("company", "")),
    }


def _make(model, *, pool=None, owner=None, **fields):
    fields.setdefault("name", "Zhang San")
    fields.setdefault("phone", next_phone())
    now = timezone.now()
    fields.setdefault("pooled_at", now if pool is not None and owner is None else None)
    return model.objects.create(pool=pool, owner=owner, **fields, **_normalized(fields))


@pytest.fixture
def make_lead(db):
    """Arrange a lead directly (no history), e.g. make_lead(pool=lead_pool)."""
    return lambda **fields: _make(Lead, **fields)


@pytest.fixture
def make_customer(db):
    return lambda **fields: _make(Customer, **fields)
