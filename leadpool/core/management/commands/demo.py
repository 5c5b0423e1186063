"""`leadpool demo`: a demo organisation with pools, rules and a few thousand leads.

Safe to run twice: when the demo organisation exists, it only prints the logins.
The demo password is generated on first run and kept in var/, never in the code.
"""

import datetime
import random
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from leadpool.accounts.models import Department, User
from leadpool.activity.models import FollowUp
from leadpool.core import sample_data
from leadpool.core.normalize import normalize_company, normalize_email, normalize_phone
from leadpool.customers.models import Contact, Customer
from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.pools.services import compute_reclaim_at

ADMIN_USERNAME = "admin"
MANAGERS = [("wang.manager", "王经理", "华东销售部"), ("li.manager", "李经理", "华北销售部")]
REPS = [
    ("zhang.wei", "张伟", "华东一组"),
    ("liu.fang", "刘芳", "华东一组"),
    ("chen.jing", "陈静", "华东二组"),
    ("emily.chen", "Emily Chen", "华东二组"),
    ("zhao.lei", "赵磊", "华北销售部"),
    ("sun.li", "孙丽", "华北销售部"),
    ("james.lee", "James Lee", "华北销售部"),
    ("zhou.min", "周敏", "华东一组"),
]
TEAM_PARENTS = {"华东一组": "华东销售部", "华东二组": "华东销售部"}
PUBLIC_POOL = "公共线索池"


class Command(BaseCommand):
    help = "Create a demo organisation with pools, rules and realistic leads (safe to rerun)."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=3000, help="how many leads (default 3000)")
        parser.add_argument("--customers", type=int, default=300, help="how many customers")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *args, leads: int, customers: int, seed: int, **options):
        password = demo_password()
        if Pool.objects.filter(name=PUBLIC_POOL, kind=Pool.Kind.LEAD).exists():
            self.stdout.write("The demo organisation is already there.")
        else:
            with transaction.atomic():
                build_demo(password=password, leads=leads, customers=customers, seed=seed)
            self.stdout.write(self.style.SUCCESS(f"Created the demo organisation ({leads} leads)."))
        self.stdout.write(f"Log in at / (the web UI) with any of these users; password: {password}")
        for user in User.objects.order_by("role", "username"):
            self.stdout.write(f"  {user.username:<14} {user.get_role_display():<14} {user}")


def demo_password() -> str:
    path = Path(settings.VAR_DIR) / "demo_password"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = "demo-" + secrets.token_urlsafe(9)
    path.write_text(password)
    path.chmod(0o600)
    return password


def build_demo(*, password: str, leads: int, customers: int, seed: int) -> None:
    rng = random.Random(seed)
    now = timezone.now()
    company = Department.objects.create(name="LeadPool 示例公司")
    departments = {"LeadPool 示例公司": company}
    for _username, _display, name in MANAGERS:
        departments[name] = Department.objects.create(name=name, parent=company)
    for team, parent in TEAM_PARENTS.items():
        departments[team] = Department.objects.create(name=team, parent=departments[parent])

    admin = User.objects.create_superuser(
        ADMIN_USERNAME,
        email="admin@example.com",
        password=password,
        role=User.Role.ADMIN,
        display_name="系统管理员",
        department=company,
    )
    managers = [
        User.objects.create_user(
            username,
            password=password,
            role=User.Role.MANAGER,
            display_name=display,
            department=departments[dept],
        )
        for username, display, dept in MANAGERS
    ]
    reps = [
        User.objects.create_user(
            username,
            password=password,
            role=User.Role.SALES,
            display_name=display,
            department=departments[dept],
            email=f"{username}@example.com",
        )
        for username, display, dept in REPS
    ]

    public = Pool.objects.create(
        name=PUBLIC_POOL,
        kind=Pool.Kind.LEAD,
        description="所有销售均可领取。Everyone in sales may claim from here.",
        claim_limit_per_day=20,
        max_held=150,
        reclaim_cooldown_hours=72,
        claim_reason_required=False,
        contact_visibility=Pool.ContactVisibility.MASKED,
        return_reasons=["无法联系", "无意向", "信息错误", "重复线索", "其他"],
        reclaim_no_followup_days=15,
        reclaim_not_converted_days=60,
        reclaim_warning_days=3,
    )
    public.admins.add(managers[0])
    public.member_departments.add(company)
    east = Pool.objects.create(
        name="华东大客户线索池",
        kind=Pool.Kind.LEAD,
        visibility=Pool.Visibility.ASSIGN_ONLY,
        description="经理分配，成员不可领取。Assign-only: the manager distributes.",
    )
    east.admins.add(managers[0])
    east.member_departments.add(departments["华东销售部"])
    sea = Pool.objects.create(
        name="客户公海",
        kind=Pool.Kind.CUSTOMER,
        claim_limit_per_day=10,
        max_held=100,
        reclaim_cooldown_hours=48,
        claim_embargo_hours=2,
        retention_days=90,
        on_retention_expiry=Pool.RetentionAction.KEEP,
        return_reasons=["无意向", "已流失", "联系不上"],
        reclaim_no_followup_days=30,
    )
    sea.admins.add(managers[1], admin)
    sea.member_departments.add(company)

    _make_leads(rng, leads, now=now, pools=[public, public, public, east], reps=reps, by=admin)
    _make_customers(rng, customers, now=now, pool=sea, reps=reps, by=admin)


def _normalized(fields: dict) -> dict:
    return {
        "phone_normalized": normalize_phone(fields["phone"]),
        "email_normalized": normalize_email(fields["email"]) if fields["email"] else "",
        "company_normalized": normalize_company(fields["company"]),
    }


def _make_leads(rng, count: int, *, now, pools, reps, by) -> None:
    records = []
    for _ in range(count):
        fields = sample_data.person(rng)
        created = now - datetime.timedelta(minutes=rng.randint(60, 60 * 24 * 90))
        pool = rng.choice(pools)
        roll = rng.random()
        owner = None if roll < 0.45 else rng.choice(reps)
        if roll > 0.9:
            pool = None  # a rep's private lead
        status = Lead.Status.NEW
        if owner is not None:
            status = rng.choices(
                [Lead.Status.NEW, Lead.Status.FOLLOWING, Lead.Status.INVALID], [3, 6, 1]
            )[0]
        records.append(
            Lead(
                **fields,
                **_normalized(fields),
                pool=pool,
                owner=owner,
                status=status,
                created_by=by,
                created_at=created,
                claimed_at=created + datetime.timedelta(hours=rng.randint(1, 48))
                if owner
                else None,
                pooled_at=created if owner is None else None,
            )
        )
    _save_with_history(Lead, records, rng=rng, now=now, by=by)


def _make_customers(rng, count: int, *, now, pool, reps, by) -> None:
    records = []
    for _ in range(count):
        fields = sample_data.person(rng)
        fields["name"], contact_name = fields["company"], fields["name"]
        created = now - datetime.timedelta(days=rng.randint(1, 365))
        owner = rng.choice(reps) if rng.random() < 0.6 else None
        customer = Customer(
            **fields,
            **_normalized(fields),
            pool=pool,
            owner=owner,
            created_by=by,
            created_at=created,
            status=rng.choice([Customer.Status.FOLLOWING, Customer.Status.WON])
            if owner
            else Customer.Status.NEW,
            claimed_at=created if owner else None,
            pooled_at=None if owner else created,
        )
        customer._contact_name = contact_name
        records.append(customer)
    _save_with_history(Customer, records, rng=rng, now=now, by=by)
    Contact.objects.bulk_create(
        Contact(
            customer=customer,
            name=customer._contact_name,
            phone=customer.phone,
            phone_normalized=customer.phone_normalized,
            email=customer.email,
            email_normalized=customer.email_normalized,
            is_primary=True,
        )
        for customer in records
    )


def _save_with_history(model, records, *, rng, now, by) -> None:
    """Insert the records, their CREATE/CLAIM events and follow-ups in bulk."""
    model.objects.bulk_create(records, batch_size=500)
    events, followups = [], []
    for record in records:
        events.append(
            Event(
                **{record.entity: record},
                action=Event.Action.CREATE,
                actor=by,
                to_pool=record.pool,
                at=record.created_at,
            )
        )
        if record.owner_id:
            events.append(
                Event(
                    **{record.entity: record},
                    action=Event.Action.CLAIM,
                    actor=record.owner,
                    to_owner=record.owner,
                    from_pool=record.pool,
                    to_pool=record.pool,
                    at=record.claimed_at or record.created_at,
                )
            )
        if record.owner_id and record.status != record.NEW_STATUS:
            for _ in range(rng.randint(1, 3)):
                kind, content = rng.choice(sample_data.FOLLOWUP_TEXTS)
                at = min(now, record.created_at + datetime.timedelta(hours=rng.randint(2, 24 * 30)))
                followups.append(
                    FollowUp(
                        **{record.entity: record},
                        kind=kind,
                        content=content,
                        author=record.owner,
                        created_at=at,
                    )
                )
                record.last_followup_at = max(record.last_followup_at or at, at)
        record.reclaim_at = compute_reclaim_at(record, record.pool)
    Event.objects.bulk_create(events, batch_size=1000)
    FollowUp.objects.bulk_create(followups, batch_size=1000)
    model.objects.bulk_update(records, ["last_followup_at", "reclaim_at"], batch_size=500)
