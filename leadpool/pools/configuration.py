"""Creating pools and editing their members, admins and rules.

Rule values are checked here, for every interface; after a change to the automatic
reclaim settings, every owned record of the pool gets its reclaim time recomputed, so
no record shows a stale "reclaimed in 3 days".
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from leadpool.accounts.models import Department, User
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry, Event
from leadpool.history.services import record_event
from leadpool.pools import access
from leadpool.pools.models import Pool
from leadpool.pools.services import compute_reclaim_at

COUNT_RULES = ("claim_limit_per_day", "max_held")
DAY_RULES = (
    "reclaim_no_followup_days",
    "reclaim_not_converted_days",
    "reclaim_warning_days",
    "retention_days",
)
HOUR_RULES = ("reclaim_cooldown_hours", "claim_embargo_hours")
FLAG_RULES = (
    "max_held_counts_converted",
    "claim_reason_required",
    "reclaim_exempt_open_opportunity",
    "redistribute_reclaimed",
)
CHOICE_RULES = {
    "visibility": Pool.Visibility,
    "contact_visibility": Pool.ContactVisibility,
    "distribution": Pool.Distribution,
    "on_retention_expiry": Pool.RetentionAction,
    "score_threshold_action": Pool.ThresholdAction,
}
RULES = (
    *COUNT_RULES,
    *DAY_RULES,
    *HOUR_RULES,
    *FLAG_RULES,
    *CHOICE_RULES,
    "return_reasons",
    "routing",
    "retention_move_to_pool",
    "score_threshold",
    "distribution_members",
)
# The range each numeric rule accepts: (smallest, largest).
RULE_LIMITS = {
    **{field: (1, 1_000_000) for field in COUNT_RULES},
    **{field: (1, 3650) for field in DAY_RULES},
    **{field: (0, 24 * 3650) for field in HOUR_RULES},
    # Lead scores may be negative (rules take points away), so a threshold may be too.
    "score_threshold": (-1_000_000, 1_000_000),
}
RECLAIM_RULES = ("reclaim_no_followup_days", "reclaim_not_converted_days")
PEOPLE = ("members", "member_departments")
MAX_RETURN_REASON_LENGTH = 100


def create_pool(*, by, name: str, kind: str, admins: list, **settings) -> Pool:
    """A new pool (system admins only), with its admins, members and rules."""
    if not access.scope_of(by).is_admin:
        raise PermissionDenied(_("Only system admins create pools."))
    errors: dict[str, list[str]] = {}
    if kind not in Pool.Kind.values:
        errors["kind"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Pool.Kind.values)}
        ]
        raise ValidationError(errors)
    pool = Pool(kind=kind)
    with transaction.atomic():
        _apply(pool, {"name": name, "admins": admins, **settings}, errors, creating=True)
    return pool


def update_pool(*, pool: Pool, by, changes: dict) -> Pool:
    """Edit a pool's name, members and rules (its admins or a system admin).

    Its admins change through `transfer_pool`, or here by a system admin.
    """
    scope = access.scope_of(by)
    if not (scope.is_admin or pool.pk in scope.administered_pool_ids):
        raise PermissionDenied(_("Only this pool's admins may change it."))
    if "admins" in changes and not scope.is_admin:
        raise ValidationError({"admins": [_("Hand the pool to other admins by transferring it.")]})
    if "kind" in changes and changes["kind"] != pool.kind:
        raise ValidationError({"kind": [_("A pool's kind cannot change.")]})
    with transaction.atomic():
        pool = Pool.objects.select_for_update().get(pk=pool.pk)
        changed = _apply(
            pool, {k: v for k, v in changes.items() if k != "kind"}, {}, creating=False
        )
        if changed:
            record_event(
                None,
                action=Event.Action.EDIT_POOL,
                actor=by,
                from_pool_id=pool.pk,
                to_pool_id=pool.pk,
                details={"fields": changed},
            )
            audit(
                AuditEntry.Action.POOL_CHANGED,
                actor=by,
                target=f"pool {pool.pk}",
                details={"pool": pool.name, "fields": changed},
            )
        if set(changed) & set(RECLAIM_RULES):
            recompute_reclaim_times(pool)
    return pool


def _apply(pool: Pool, values: dict, errors: dict, *, creating: bool) -> list[str]:
    """Validate `values`, set them on `pool` and save it; return the changed field names."""
    known = {"name", "description", "admins", *PEOPLE, *RULES}
    for field in values:
        if field not in known:
            errors[field] = [_("“%(field)s” is not a pool setting.") % {"field": field}]
    plain: dict = {}
    relations: dict[str, list] = {}
    if "name" in values or creating:
        name = str(values.get("name") or "").strip()
        if not name or len(name) > 100:
            errors["name"] = [_("Give the pool a name of at most 100 characters.")]
        elif Pool.objects.filter(kind=pool.kind, name=name).exclude(pk=pool.pk).exists():
            errors["name"] = [_("There is already a pool called “%(name)s”.") % {"name": name}]
        plain["name"] = name
    if "description" in values:
        plain["description"] = str(values["description"] or "").strip()
    for field, (minimum, maximum) in RULE_LIMITS.items():
        if field in values:
            plain[field] = _whole(values[field], field, errors, minimum=minimum, maximum=maximum)
    if values.get("score_threshold") is not None and pool.kind != Pool.Kind.LEAD:
        errors["score_threshold"] = [_("Only leads have a score; leave this empty.")]
    if (
        values.get("score_threshold_action") == Pool.ThresholdAction.CONVERT
        and pool.kind != Pool.Kind.LEAD
    ):
        errors["score_threshold_action"] = [_("Only leads are converted; notify the owner.")]
    for field in FLAG_RULES:
        if field in values:
            if not isinstance(values[field], bool):
                errors[field] = [_("Give true or false.")]
            plain[field] = values[field]
    for field, choices in CHOICE_RULES.items():
        if field in values:
            if values[field] not in choices.values:
                errors[field] = [
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)}
                ]
            plain[field] = values[field]
    if "return_reasons" in values:
        plain["return_reasons"] = _return_reasons(values["return_reasons"], errors)
    if "retention_move_to_pool" in values:
        plain["retention_move_to_pool"] = _move_target(
            pool, values["retention_move_to_pool"], errors
        )
    if "routing" in values:
        plain["routing"] = _routing(pool, values["routing"], errors)
    if "admins" in values or creating:
        relations["admins"] = _users(values.get("admins"), "admins", errors, required=True)
    for field in ("members", "distribution_members"):
        if field in values:
            relations[field] = _users(values[field], field, errors, required=False)
    if "member_departments" in values:
        relations["member_departments"] = _departments(values["member_departments"], errors)
    if {"distribution", "distribution_members", "admins", *PEOPLE} & set(values):
        _check_distribution(pool, plain, relations, errors, creating=creating)
    target = plain.get("on_retention_expiry", pool.on_retention_expiry)
    move_to = plain.get("retention_move_to_pool", pool.retention_move_to_pool)
    if (
        target == Pool.RetentionAction.MOVE
        and move_to is None
        and "retention_move_to_pool" not in errors
    ):
        errors["retention_move_to_pool"] = [_("Choose the pool to move expired records to.")]
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in plain.items() if getattr(pool, field) != value]
    for field, value in plain.items():
        setattr(pool, field, value)
    pool.save()
    for field, items in relations.items():
        manager = getattr(pool, field)
        if creating or set(manager.values_list("pk", flat=True)) != {item.pk for item in items}:
            manager.set(items)
            changed.append(field)
    return changed if not creating else []


def _check_distribution(
    pool: Pool, plain: dict, relations: dict, errors: dict, *, creating: bool
) -> None:
    """Round robin and load balancing need people to hand records to, and only the pool's
    own members (directly or through a department) or admins may be among them."""
    if {"distribution", "distribution_members", "admins", *PEOPLE} & set(errors):
        return

    def final(field: str) -> set[int]:
        if field in relations:
            return {item.pk for item in relations[field]}
        if creating or pool.pk is None:
            return set()
        return set(getattr(pool, field).values_list("pk", flat=True))

    chosen = final("distribution_members")
    strategy = plain.get("distribution", pool.distribution)
    if strategy != Pool.Distribution.MANUAL and not chosen:
        errors["distribution_members"] = [
            _("Choose the members that “%(distribution)s” hands records to.")
            % {"distribution": Pool.Distribution(strategy).label}
        ]
        return
    if not chosen:
        return
    departments = Department.objects.all().subtree_ids(final("member_departments"))
    belonging = (
        final("members")
        | final("admins")
        | set(
            User.objects.filter(pk__in=chosen, department_id__in=departments).values_list(
                "pk", flat=True
            )
        )
    )
    outside = sorted(chosen - belonging)
    if outside:
        names = ", ".join(str(user) for user in User.objects.filter(pk__in=outside).order_by("pk"))
        errors["distribution_members"] = [
            _("%(users)s neither belong to this pool nor administer it.") % {"users": names}
        ]


def _whole(raw, field: str, errors: dict, *, minimum: int, maximum: int) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= maximum:
        errors[field] = [
            _("Give a whole number from %(min)d to %(max)d, or null to turn it off.")
            % {"min": minimum, "max": maximum}
        ]
        return None
    return raw


def _return_reasons(raw, errors: dict) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        errors["return_reasons"] = [_("Give a list of reasons.")]
        return []
    reasons = [item.strip() for item in raw]
    if any(not item or len(item) > MAX_RETURN_REASON_LENGTH for item in reasons):
        errors["return_reasons"] = [
            _("Each reason needs 1 to %(max)d characters.") % {"max": MAX_RETURN_REASON_LENGTH}
        ]
    elif len(set(reasons)) != len(reasons):
        errors["return_reasons"] = [_("Each reason may appear once.")]
    return reasons


def _move_target(pool: Pool, raw, errors: dict) -> Pool | None:
    if raw in (None, ""):
        return None
    pool_id = raw.pk if isinstance(raw, Pool) else raw
    target = Pool.objects.filter(pk=pool_id, kind=pool.kind).first()
    if target is None or (pool.pk and target.pk == pool.pk):
        errors["retention_move_to_pool"] = [
            _("Choose another lead pool.")
            if pool.kind == Pool.Kind.LEAD
            else _("Choose another customer pool.")
        ]
        return None
    return target


ROUTING_FIELDS = {"source", "region", "industry"}
ROUTING_OPERATORS = {"equals", "in", "contains", "empty"}


def _routing(pool: Pool, raw, errors: dict) -> list[dict]:
    """Ordered routing conditions: [{"when": {field: {op: value}}, "to_user"|"to_pool": id}]."""
    problem = _("Each routing entry needs “when” conditions and one of “to_user” or “to_pool”.")
    if not isinstance(raw, list):
        errors["routing"] = [problem]
        return []
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("when"), dict):
            errors["routing"] = [problem]
            return []
        targets = [key for key in ("to_user", "to_pool") if entry.get(key) is not None]
        if len(targets) != 1 or set(entry) - {"when", "to_user", "to_pool"}:
            errors["routing"] = [problem]
            return []
        for field, condition in entry["when"].items():
            known_field = field in ROUTING_FIELDS or field.startswith("custom.")
            if (
                not known_field
                or not isinstance(condition, dict)
                or not condition
                or (set(condition) - ROUTING_OPERATORS)
            ):
                errors["routing"] = [
                    _("Entry %(n)d: “%(field)s” is not a condition we know.")
                    % {"n": position, "field": field}
                ]
                return []
        problem_value = _value_problem(entry["when"])
        if problem_value:
            errors["routing"] = [
                _("Entry %(n)d: %(problem)s") % {"n": position, "problem": problem_value}
            ]
            return []
        if targets == ["to_user"]:
            if not User.objects.filter(pk=entry["to_user"], is_active=True).exists():
                errors["routing"] = [
                    _("Entry %(n)d: there is no active user %(user)s.")
                    % {"n": position, "user": entry["to_user"]}
                ]
                return []
        elif not Pool.objects.filter(pk=entry["to_pool"], kind=pool.kind).exists():
            errors["routing"] = [
                (
                    _("Entry %(n)d: there is no lead pool %(pool)s.")
                    if pool.kind == Pool.Kind.LEAD
                    else _("Entry %(n)d: there is no customer pool %(pool)s.")
                )
                % {"n": position, "pool": entry["to_pool"]}
            ]
            return []
    loop = _routing_loop(pool, raw)
    if loop:
        errors["routing"] = [loop]
        return []
    return raw


def _value_problem(when: dict) -> str | None:
    """What is wrong with a condition's value for its operator, if anything."""
    for field, condition in when.items():
        for operator, value in condition.items():
            if operator == "empty" and not isinstance(value, bool):
                return _("“%(field)s”: “empty” takes true or false.") % {"field": field}
            if operator == "in" and (
                not isinstance(value, list)
                or not value
                or not all(isinstance(item, str | int | float) for item in value)
            ):
                return _("“%(field)s”: “in” takes a list of values.") % {"field": field}
            if operator in ("equals", "contains") and (
                isinstance(value, bool) or not isinstance(value, str | int | float)
            ):
                return _("“%(field)s”: “%(operator)s” takes a text or a number.") % {
                    "field": field,
                    "operator": operator,
                }
    return None


def _routing_loop(pool: Pool, routing: list[dict]) -> str | None:
    """Why routing from `pool` would come back to it (A → B → A), or None.

    Records would bounce between the pools; distribution stops such a chain too, but
    a setting that cannot mean anything is refused when saved.
    """
    if pool.pk is None:
        return None  # nobody routes to a pool not yet created
    routes = {
        pk: [entry.get("to_pool") for entry in (entries or []) if isinstance(entry, dict)]
        for pk, entries in Pool.objects.filter(kind=pool.kind)
        .exclude(pk=pool.pk)
        .values_list("pk", "routing")
    }
    routes[pool.pk] = [entry.get("to_pool") for entry in routing]
    names = dict(Pool.objects.filter(kind=pool.kind).values_list("pk", "name"))
    for position, entry in enumerate(routing, start=1):
        start = entry.get("to_pool")
        if start is None:
            continue
        # Depth-first over the other pools' routing; pools number in the dozens.
        pending: list[list[int]] = [[pool.pk, start]]
        seen: set[int] = set()
        while pending:
            path = pending.pop()
            here = path[-1]
            if here == pool.pk:
                return _("Entry %(n)d: routing loops back to this pool (%(path)s).") % {
                    "n": position,
                    "path": " → ".join(names.get(pk, str(pk)) for pk in path),
                }
            if here in seen:
                continue
            seen.add(here)
            pending.extend([*path, target] for target in routes.get(here, []) if target)
    return None


def _users(raw, field: str, errors: dict, *, required: bool) -> list[User]:
    ids = [item.pk if isinstance(item, User) else item for item in (raw or [])]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        errors[field] = [_("Give a list of user ids.")]
        return []
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    missing = sorted(set(ids) - {user.pk for user in users})
    if missing:
        errors[field] = [
            _("There is no active user %(users)s.") % {"users": ", ".join(map(str, missing))}
        ]
    elif required and not users:
        errors[field] = [_("A pool needs at least one admin.")]
    return users


def _departments(raw, errors: dict) -> list[Department]:
    ids = [item.pk if isinstance(item, Department) else item for item in (raw or [])]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        errors["member_departments"] = [_("Give a list of department ids.")]
        return []
    departments = list(Department.objects.filter(pk__in=ids))
    missing = sorted(set(ids) - {d.pk for d in departments})
    if missing:
        errors["member_departments"] = [
            _("There is no department %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        ]
    return departments


def recompute_reclaim_times(pool: Pool, *, batch_size: int = 2000) -> int:
    """Recompute `reclaim_at` of every owned live record in `pool`; return how many changed."""
    from leadpool.customers.models import Customer
    from leadpool.leads.models import Lead

    model = Lead if pool.kind == Pool.Kind.LEAD else Customer
    changed = 0
    owned = model.objects.alive().filter(pool=pool, owner__isnull=False).order_by("pk")
    last_pk = 0
    while True:
        batch = list(owned.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return changed
        stale = []
        for record in batch:
            reclaim_at = compute_reclaim_at(record, pool)
            if reclaim_at != record.reclaim_at:
                record.reclaim_at = reclaim_at
                stale.append(record)
        model.objects.bulk_update(stale, ["reclaim_at"], batch_size=500)
        changed += len(stale)
        last_pk = batch[-1].pk
