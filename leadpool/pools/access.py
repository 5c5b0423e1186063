"""Who may see and do what: the one place that decides it.

Every fetch on behalf of a user goes through here: interfaces (web, API, CLI,
exports, imports) and services alike. Records outside a user's scope do not exist
for them (404, `not_in_scope`); visible records they may not act on are 403,
`forbidden`.

Scope (PRODUCT.md, "People and permissions"):
- system admins see everything;
- everyone sees what they own or collaborate on;
- pool admins see every record in their pools, assigned or not;
- pool members see the unassigned, open records of the claimable pools they belong
  to (directly or through their department or a department above it);
- managers also see records owned by anyone in their department and below.
"""

from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from leadpool.accounts.models import Department, User
from leadpool.core.models import MAX_ID
from leadpool.core.results import Refusal, Refused
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.rules import mask_contact, mask_email, mask_phone

Action = Literal[
    "view",
    "edit",
    "claim",
    "assign",
    "reclaim",
    "return",
    "put_into_pool",
    "delete",
    "restore",
    "purge",
    "convert",
    "follow_up",
]


@dataclass(frozen=True)
class Scope:
    """What one user's rights rest on, read once per operation."""

    user_id: int | None
    is_active: bool
    is_admin: bool
    administered_pool_ids: frozenset[int]
    # Pools the user belongs to, and of those the ones members may claim from.
    member_pool_ids: frozenset[int]
    claimable_pool_ids: frozenset[int]
    managed_department_ids: frozenset[int]

    @property
    def pool_ids(self) -> frozenset[int]:
        return self.administered_pool_ids | self.member_pool_ids


def scope_of(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(None, False, False, frozenset(), frozenset(), frozenset(), frozenset())
    managed_root = user.department_id if user.role == User.Role.MANAGER else None
    member_pools: dict[int, str] = {}
    administered: set[int] = set()
    managed: set[int] = set()
    with connection.cursor() as cursor:
        cursor.execute(_SCOPE_SQL, [user.department_id, managed_root, user.pk, user.pk])
        for kind, row_id, visibility in cursor.fetchall():
            if kind == "member":
                member_pools[row_id] = visibility
            elif kind == "admin":
                administered.add(row_id)
            else:
                managed.add(row_id)
    claimable = {
        pk for pk, visibility in member_pools.items() if visibility == Pool.Visibility.CLAIMABLE
    }
    return Scope(
        user_id=user.pk,
        is_active=True,
        is_admin=user.is_system_admin,
        administered_pool_ids=frozenset(administered),
        member_pool_ids=frozenset(member_pools),
        claimable_pool_ids=frozenset(claimable),
        managed_department_ids=frozenset(managed),
    )


def _scope_sql() -> str:
    """One statement for everything a scope rests on (every request reads it, so one
    round trip, not four): the pools the user belongs to (directly, or through their
    department or one above it) with their visibility, the pools they administer, and
    for a manager their department and those below it. Recursive CTEs are spelled the
    same in SQLite and PostgreSQL; UNION (not UNION ALL) stops at a cycle."""
    department = Department._meta.db_table
    members = Pool.members.through._meta.db_table
    member_departments = Pool.member_departments.through._meta.db_table
    admins = Pool.admins.through._meta.db_table
    return f"""
        WITH RECURSIVE
        above (id, parent_id) AS (
            SELECT id, parent_id FROM {department} WHERE id = %s
            UNION SELECT d.id, d.parent_id FROM {department} d JOIN above ON d.id = above.parent_id
        ),
        below (id) AS (
            SELECT id FROM {department} WHERE id = %s
            UNION SELECT d.id FROM {department} d JOIN below ON d.parent_id = below.id
        )
        SELECT 'member', p.id, p.visibility FROM {Pool._meta.db_table} p
        WHERE p.id IN (SELECT pool_id FROM {members} WHERE user_id = %s)
           OR p.id IN (SELECT pool_id FROM {member_departments}
                       WHERE department_id IN (SELECT id FROM above))
        UNION ALL SELECT 'admin', pool_id, NULL FROM {admins} WHERE user_id = %s
        UNION ALL SELECT 'managed', id, NULL FROM below
    """  # noqa: S608 - table names from our own models, values as parameters


_SCOPE_SQL = _scope_sql()


def _scope_condition(scope: Scope, model: type[PooledRecord]) -> Q:
    """The rows of `model` this scope reaches, deleted or not."""
    if not scope.is_active:
        return Q(pk__in=[])
    if scope.is_admin:
        return Q()
    collaborating = model.collaborators.through.objects.filter(
        **{f"{model.entity}_id": OuterRef("pk"), "user_id": scope.user_id}
    )
    condition = Q(owner_id=scope.user_id) | Q(Exists(collaborating))
    if scope.administered_pool_ids:
        condition |= Q(pool_id__in=scope.administered_pool_ids)
    if scope.claimable_pool_ids:
        condition |= Q(pool_id__in=scope.claimable_pool_ids, owner__isnull=True) & ~Q(
            status__in=model.CLOSED_STATUSES
        )
    if scope.managed_department_ids:
        condition |= Q(owner__department_id__in=scope.managed_department_ids)
    return condition


def reaches(scope: Scope, record: PooledRecord) -> bool:
    """`_scope_condition` for one record already fetched: a batch step fetches by id and
    asks here, which is cheaper than compiling the condition into its query. The two
    must agree; test_access.py checks them against each other."""
    if not scope.is_active:
        return False
    if scope.is_admin:
        return True
    return (
        record.owner_id == scope.user_id
        or record.pool_id in scope.administered_pool_ids
        or (
            record.pool_id in scope.claimable_pool_ids
            and record.owner_id is None
            and record.status not in record.CLOSED_STATUSES
        )
        or _manages_owner(scope, record)
        or is_collaborator(scope, record)
    )


def visible_records(user, model: type[PooledRecord], *, scope: Scope | None = None) -> QuerySet:
    """Live records of `model` that `user` may see."""
    scope = scope or scope_of(user)
    return model.objects.alive().filter(_scope_condition(scope, model))


def recycle_bin(user, model: type[PooledRecord], *, scope: Scope | None = None) -> QuerySet:
    """Deleted records that `user` may restore or purge."""
    scope = scope or scope_of(user)
    deleted = model.objects.in_recycle_bin()
    if not scope.is_active:
        return deleted.none()
    if scope.is_admin:
        return deleted
    condition = Q(pool_id__in=scope.administered_pool_ids) | Q(
        pool__isnull=True, owner_id=scope.user_id
    )
    if scope.managed_department_ids:
        condition |= Q(pool__isnull=True, owner__department_id__in=scope.managed_department_ids)
    return deleted.filter(condition)


def visible_pools(user, *, kind: str | None = None, scope: Scope | None = None) -> QuerySet:
    """Pools `user` administers or belongs to (all of them for a system admin)."""
    scope = scope or scope_of(user)
    pools = Pool.objects.all() if scope.is_admin else Pool.objects.filter(pk__in=scope.pool_ids)
    return pools.filter(kind=kind) if kind else pools


def is_collaborator(scope: Scope, record: PooledRecord) -> bool:
    prefetched = getattr(record, "_prefetched_objects_cache", {}).get("collaborators")
    if prefetched is not None:  # lists prefetch collaborators: no query per row
        return any(user.pk == scope.user_id for user in prefetched)
    return record.collaborators.filter(pk=scope.user_id).exists()


def _manages_owner(scope: Scope, record: PooledRecord) -> bool:
    return bool(
        scope.managed_department_ids
        and record.owner_id
        and record.owner.department_id in scope.managed_department_ids
    )


def can(scope: Scope, action: Action, record: PooledRecord) -> bool:
    """May this scope take `action` on a record it can see? (State rules, such as
    "already owned", are the services' to judge; this is only about who.)"""
    if not scope.is_active:
        return False
    is_owner = record.owner_id is not None and record.owner_id == scope.user_id
    pool_admin = scope.is_admin or (
        record.pool_id is not None and record.pool_id in scope.administered_pool_ids
    )
    if action == "view":
        return True
    if action == "claim":
        return record.pool_id is not None and (
            record.pool_id in scope.claimable_pool_ids
            or record.pool_id in scope.administered_pool_ids
        )
    if action in ("assign", "reclaim"):
        return pool_admin
    if action in ("return", "put_into_pool"):
        return is_owner or (action == "put_into_pool" and scope.is_admin)
    if action in ("delete", "restore", "purge"):
        # Records in no pool have no pool admin: their owner and the owner's manager
        # look after them.
        if record.pool_id is None:
            return scope.is_admin or is_owner or _manages_owner(scope, record)
        return pool_admin
    if action == "convert":
        return is_owner or pool_admin
    if action in ("edit", "follow_up"):
        return (
            is_owner
            or pool_admin
            or _manages_owner(scope, record)
            or is_collaborator(scope, record)
        )
    raise ValueError(f"unknown action {action!r}")


def get_record_for(user, model: type[PooledRecord], pk, action: Action = "view"):
    """The live record `pk` if `user` may see it (else 404) and take `action` (else 403)."""
    scope = scope_of(user)
    try:
        if not 0 < int(pk) <= MAX_ID:
            raise ValueError(pk)
        record = (
            visible_records(user, model, scope=scope).select_related("owner", "pool").get(pk=pk)
        )
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such record.")) from None
    if not can(scope, action, record):
        raise PermissionDenied(_("You may not do that with this record."))
    return record


def fetch_for_action(scope: Scope, model: type[PooledRecord], pk: int, action: Action):
    """The record for one step of a batch, or Refused with the code API.md names."""
    if action in ("restore", "purge"):
        record = (
            recycle_bin(None, model, scope=scope)
            .select_related("owner", "pool")
            .filter(pk=pk)
            .first()
        )
        if record is None:
            if visible_records(None, model, scope=scope).filter(pk=pk).exists():
                raise Refused(Refusal("not_deleted", _("This record is not in the recycle bin.")))
            raise Refused(not_in_scope())
    else:
        # A claimable record has no owner to join (claims are the hot path: joining and
        # building the owner costs a third of the fetch); other actions use the owner.
        related = ("pool",) if action == "claim" else ("owner", "pool")
        record = model.objects.select_related(*related).filter(pk=pk).first()
        if record is None or not reaches(scope, record):
            raise Refused(not_in_scope())
        if record.is_deleted:
            raise Refused(Refusal("deleted", _("This record is in the recycle bin.")))
    if not can(scope, action, record):
        raise Refused(Refusal("forbidden", _("You may not do that with this record.")))
    return record


def not_in_scope() -> Refusal:
    return Refusal("not_in_scope", _("No such record."))


ContactVisibility = Literal["visible", "hidden", "masked"]


def contact_visibility(scope: Scope, record: PooledRecord) -> ContactVisibility:
    """Whether `scope` sees the record's phone and e-mail as they are, masked or not at all.

    A pool may hide contact details from members until they claim; admins, the owner,
    collaborators and the owner's manager always see them.
    """
    pool = record.pool
    if pool is None or pool.contact_visibility == Pool.ContactVisibility.VISIBLE:
        return "visible"
    if (
        scope.is_admin
        or record.pool_id in scope.administered_pool_ids
        or (record.owner_id is not None and record.owner_id == scope.user_id)
        or _manages_owner(scope, record)
        or is_collaborator(scope, record)
    ):
        return "visible"
    return pool.contact_visibility


# The custom field types (fields.models.CustomField.Type) whose values are contact details.
CONTACT_FIELD_TYPES = ("phone", "email")


def contact_custom_fields(entity: str) -> dict[str, str]:
    """The custom fields of `entity` that hold contact details, key → type, active or
    not: their values are shown, masked or hidden as the standard contact fields are."""
    from leadpool.fields.models import CustomField

    fields = CustomField.objects.filter(entity=entity, type__in=CONTACT_FIELD_TYPES)
    return dict(fields.values_list("key", "type"))


def custom_as_seen(record: PooledRecord, visibility: ContactVisibility, contact_fields) -> dict:
    """The record's custom values as its reader sees them: a custom phone or e-mail is
    shown, masked or hidden as the record's standard ones are (`visibility`, what
    contact_visibility answered for this reader). `contact_fields()` answers
    contact_custom_fields for the record's entity; it is called only for a record whose
    contacts are not visible, so a caller that lists many can read it once, and not at
    all when every contact is visible."""
    custom = record.custom or {}
    if not custom or visibility == "visible":
        return custom
    shown = dict(custom)
    for key, kind in contact_fields().items():
        if shown.get(key) in (None, ""):
            continue
        if visibility == "hidden":
            shown[key] = ""
        else:
            shown[key] = mask_contact(kind, str(shown[key]))
    return shown


def contacts_visible_condition(scope: Scope, model: type[PooledRecord]) -> Q:
    """The rows whose phone and e-mail this scope sees as they are: `contact_visibility`
    as a filter. Searches by phone or e-mail fragments must keep to these rows, or a
    member could read a hidden number a few digits at a time."""
    if scope.is_admin:
        return Q()
    if not scope.is_active:
        return Q(pk__in=[])
    collaborating = model.collaborators.through.objects.filter(
        **{f"{model.entity}_id": OuterRef("pk"), "user_id": scope.user_id}
    )
    condition = (
        Q(pool__isnull=True)
        | Q(pool__contact_visibility=Pool.ContactVisibility.VISIBLE)
        | Q(owner_id=scope.user_id)
        | Q(Exists(collaborating))
    )
    if scope.administered_pool_ids:
        condition |= Q(pool_id__in=scope.administered_pool_ids)
    if scope.managed_department_ids:
        condition |= Q(owner__department_id__in=scope.managed_department_ids)
    return condition


def contact_details(scope: Scope, record: PooledRecord) -> dict[str, str]:
    """Phone, other phone and e-mail as this scope may see them."""
    return contacts_as_seen(record, contact_visibility(scope, record))


def contacts_as_seen(record: PooledRecord, visibility: ContactVisibility) -> dict[str, str]:
    """Phone, other phone and e-mail shown, masked or hidden as `visibility` says: for a
    caller that needs the visibility itself too (it may cost a collaborator query)."""
    raw = {"phone": record.phone, "other_phone": record.other_phone, "email": record.email}
    if visibility == "visible":
        return raw
    if visibility == "hidden":
        return {key: "" for key in raw}
    return {
        "phone": mask_phone(record.phone) if record.phone else "",
        "other_phone": mask_phone(record.other_phone) if record.other_phone else "",
        "email": mask_email(record.email) if record.email else "",
    }
