"""Users and departments: created and changed by system admins only; each user's own
preferences (language, e-mailed notifications) by that user."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from leadpool.accounts.models import Department, User
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry, Notification

USER_FIELDS = {"username", "display_name", "email", "role", "department", "is_active", "password"}


def _require_admin(by) -> None:
    if not (by.is_authenticated and by.is_system_admin):
        raise PermissionDenied(_("Only system admins manage users and departments."))


def save_user(*, by, user: User | None = None, data: dict) -> User:
    """Create (`user` None) or edit a user; the password is checked by Django's validators."""
    _require_admin(by)
    creating = user is None
    user = user or User()
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - USER_FIELDS)
    for field in unknown:
        errors[field] = [_("Unknown field.")]
    if creating:
        for field in ("username", "password"):
            if not data.get(field):
                errors[field] = [_("This field is required.")]
    if "username" in data:
        username = str(data["username"]).strip()
        if User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
            errors["username"] = [_("This username is taken.")]
        user.username = username
    for field in ("display_name", "email"):
        if field in data:
            setattr(user, field, str(data[field] or "").strip())
    if "role" in data:
        if user.pk == by.pk and data["role"] != User.Role.ADMIN and not by.is_superuser:
            errors["role"] = [_("You cannot take away your own admin role.")]
        elif data["role"] not in User.Role.values:
            errors["role"] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(User.Role.values)}
            ]
        user.role = data["role"]
    if "department" in data:
        department = data["department"]
        if department is not None and not Department.objects.filter(pk=department).exists():
            errors["department"] = [_("There is no department %(id)s.") % {"id": department}]
        user.department_id = department
    if "is_active" in data:
        if user.pk == by.pk and data["is_active"] is False:
            errors["is_active"] = [_("You cannot deactivate yourself.")]
        user.is_active = bool(data["is_active"])
    if data.get("password"):
        try:
            validate_password(data["password"], user)
        except ValidationError as error:
            errors["password"] = list(error.messages)
    if not errors:
        try:
            user.full_clean(exclude=["password", "department"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if data.get("password"):
        user.set_password(data["password"])
    # Only system admins may use the Django admin, and it is all-seeing.
    user.is_staff = user.role == User.Role.ADMIN or user.is_superuser
    with transaction.atomic():
        user.save()
        # Which settings changed, never their values: a password stays out of the log.
        details = {"created": creating, "fields": sorted(data)}
        audit(AuditEntry.Action.SETTINGS_CHANGED, actor=by, target=_target(user), details=details)
    return user


def _target(thing) -> str:
    """How the audit log names a changed user, department or field: kind, id and name."""
    return f"{thing._meta.model_name}:{thing.pk} {thing}"


def save_department(*, by, department: Department | None = None, data: dict) -> Department:
    _require_admin(by)
    department = department or Department()
    errors: dict[str, list[str]] = {}
    for field in sorted(set(data) - {"name", "parent"}):
        errors[field] = [_("Unknown field.")]
    if "name" in data or department.pk is None:
        name = str(data.get("name") or "").strip()
        if not name or len(name) > 100:
            errors["name"] = [_("Give a name of at most 100 characters.")]
        department.name = name
    if "parent" in data:
        parent_id = data["parent"]
        if parent_id is not None:
            if not Department.objects.filter(pk=parent_id).exists():
                errors["parent"] = [_("There is no department %(id)s.") % {"id": parent_id}]
            elif department.pk and department.pk in Department.objects.subtree_ids(
                [department.pk]
            ) & (Department.objects.ancestor_ids(parent_id)):
                errors["parent"] = [_("A department cannot sit under itself.")]
        department.parent_id = parent_id
    if not errors:
        siblings = Department.objects.filter(parent_id=department.parent_id, name=department.name)
        if siblings.exclude(pk=department.pk).exists():
            errors["name"] = [_("There is already a department with this name here.")]
    if errors:
        raise ValidationError(errors)
    created = department.pk is None
    with transaction.atomic():
        department.save()
        details = {"created": created, "fields": sorted(data)}
        audit(
            AuditEntry.Action.SETTINGS_CHANGED,
            actor=by,
            target=_target(department),
            details=details,
        )
    return department


def delete_department(*, by, department: Department) -> None:
    _require_admin(by)
    if department.children.exists() or department.users.exists():
        raise ValidationError(
            {"non_field_errors": [_("Move its users and sub-departments out first.")]}
        )
    if department.member_pools.exists():
        raise ValidationError(
            {"non_field_errors": [_("Remove it from the pools it belongs to first.")]}
        )
    with transaction.atomic():
        target = _target(department)
        department.delete()
        audit(
            AuditEntry.Action.SETTINGS_CHANGED, actor=by, target=target, details={"deleted": True}
        )


def save_preferences(*, user: User, language: str, email_notifications: list[str]) -> User:
    """A user's own preferences: the language of their pages and e-mails (blank: the
    browser's, and the site's for e-mails) and the notification kinds they also want by
    e-mail (history Notification.Kind values)."""
    errors: dict[str, list[str]] = {}
    if language not in {"", *(code for code, _name in settings.LANGUAGES)}:
        errors["language"] = [_("There is no language “%(code)s”.") % {"code": language}]
    unknown = [kind for kind in email_notifications if kind not in Notification.Kind.values]
    if unknown:
        errors["email_notifications"] = [
            _("Unknown notification kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}
        ]
    if errors:
        raise ValidationError(errors)
    user.language = language
    # In the order the kinds are listed, each once, so the stored list is stable.
    user.email_notifications = [
        kind for kind in Notification.Kind.values if kind in set(email_notifications)
    ]
    user.save(update_fields=["language", "email_notifications"])
    return user
