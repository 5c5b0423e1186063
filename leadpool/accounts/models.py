from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class DepartmentQuerySet(models.QuerySet):
    def subtree_ids(self, root_ids) -> set[int]:
        """The given departments and every department below them.

        Departments number in the hundreds at most: one query and a walk in Python is
        the simple way. (access.scope_of, which every request runs, walks the tree in
        its one SQL statement instead, with recursive CTEs.)
        """
        children: dict[int | None, list[int]] = {}
        for department_id, parent_id in self.values_list("id", "parent_id"):
            children.setdefault(parent_id, []).append(department_id)
        found: set[int] = set()
        pending = [root for root in root_ids if root is not None]
        while pending:
            department_id = pending.pop()
            if department_id in found:
                continue
            found.add(department_id)
            pending.extend(children.get(department_id, []))
        return found

    def ancestor_ids(self, department_id: int | None) -> set[int]:
        """The department and every department above it."""
        parents = dict(self.values_list("id", "parent_id"))
        found: set[int] = set()
        while department_id is not None and department_id not in found:
            found.add(department_id)
            department_id = parents.get(department_id)
        return found


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="department_name_unique_under_parent"
            ),
            # NULL parents are distinct in a unique index, so top-level names need their own.
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="department_top_level_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CaseInsensitiveUserManager(UserManager):
    # Usernames are unique whatever their case, and log in whatever the case typed.
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class User(AbstractUser):
    class Role(models.TextChoices):
        ADMIN = "admin", _("System admin")
        MANAGER = "manager", _("Sales manager")
        SALES = "sales", _("Sales")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.SALES)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    # The language of what LeadPool sends this user (e-mails); blank: the site's.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    # The notification kinds (history Notification.Kind) this user also wants by e-mail,
    # in a digest; none until they opt in.
    email_notifications = models.JSONField(_("e-mail notifications"), default=list, blank=True)

    objects = CaseInsensitiveUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_unique_any_case"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_system_admin(self) -> bool:
        # A Django superuser (from `createsuperuser`) is a system admin whatever its role.
        return self.is_active and (self.is_superuser or self.role == self.Role.ADMIN)
