"""The forms of the Settings section (users, departments, custom fields, the conversion
mapping) and of a user's own preferences. Each exposes only what its page may set and
hands it, as data, to the service the REST API calls too (accounts/services.py,
fields/services.py, customers/services.py), whose errors land back on its fields."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leadpool.accounts.models import Department, User
from leadpool.fields.models import CustomField
from leadpool.history.models import Notification

BOXES = {"class": "choices-box"}
MAX_CHOICES = 500
MAX_CHOICE_LENGTH = 100


class ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's {field: [messages]} on the fields it names, the rest on top."""
        errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def department_choices(exclude: set[int] | None = None) -> list[tuple[int, str]]:
    """Every department as "HQ / East Sales / East Team", in tree order."""
    return [
        (department.pk, path)
        for department, _depth, path in department_tree()
        if department.pk not in (exclude or set())
    ]


def department_tree(departments=None) -> list[tuple[Department, int, str]]:
    """(department, depth, path) for every department, parents before their children.
    Departments number in the hundreds at most: one query, the tree built in Python."""
    departments = list(departments if departments is not None else Department.objects.all())
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department)
    tree: list[tuple[Department, int, str]] = []
    pending = [(department, 0, "") for department in reversed(children.get(None, []))]
    while pending:
        department, depth, above = pending.pop()
        path = f"{above} / {department.name}" if above else department.name
        tree.append((department, depth, path))
        for child in reversed(children.get(department.pk, [])):
            pending.append((child, depth + 1, path))
    return tree


class UserForm(ServiceErrorsMixin, forms.Form):
    """A user as a system admin creates or edits them; the password only on creation
    (afterwards it is reset with PasswordForm)."""

    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=User.Role.choices,
        help_text=_(
            "System admins manage everything; sales managers see their department and the "
            "departments below it; sales see what they own and the pools they belong to."
        ),
    )
    department = forms.TypedChoiceField(
        label=_("Department"), coerce=int, empty_value=None, required=False
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Deactivated users cannot sign in; their records and history keep them."),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user: User | None = None, **kwargs):
        if user is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "username": user.username,
                "display_name": user.display_name,
                "email": user.email,
                "role": user.role,
                "department": user.department_id,
                "is_active": user.is_active,
            }
        kwargs.setdefault("initial", {}).setdefault("is_active", True)
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("No department")), *department_choices()]
        if user is not None:
            del self.fields["password"]

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class PasswordForm(ServiceErrorsMixin, forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirmation = forms.CharField(
        label=_("The new password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("confirmation") != data["password"]:
            self.add_error("confirmation", _("The two passwords differ."))
        return data


class DepartmentForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = forms.TypedChoiceField(
        label=_("Parent department"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Managers of a department also see the departments below it."),
    )

    def __init__(self, *args, department: Department | None = None, **kwargs):
        if department is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": department.name, "parent": department.parent_id}
        super().__init__(*args, **kwargs)
        # A department cannot move under itself or below it (the service says so too).
        below = Department.objects.subtree_ids([department.pk]) if department is not None else set()
        self.fields["parent"].choices = [("", _("None (top level)")), *department_choices(below)]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class CustomFieldForm(ServiceErrorsMixin, forms.Form):
    """A custom field's definition. Its record type, key and type are chosen once: the
    stored values were checked against them (fields/services.save_field)."""

    key = forms.CharField(
        label=_("Key"),
        max_length=50,
        help_text=_(
            "The name used in the API, imports and exports: lower-case letters, digits and "
            "underscores, starting with a letter. It cannot change later."
        ),
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    type = forms.ChoiceField(
        label=_("Type"),
        choices=CustomField.Type.choices,
        help_text=_("It cannot change later."),
    )
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single and multiple choice fields: one per line."),
    )
    is_required = forms.BooleanField(
        label=_("Required"),
        required=False,
        help_text=_("New records must have a value; older ones only when edited to clear it."),
    )
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        help_text=_("Smaller numbers come first in forms and lists."),
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("A retired field keeps its stored values; forms no longer ask for it."),
    )

    def __init__(self, *args, field: CustomField | None = None, **kwargs):
        if field is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "label": field.label,
                "choices": "\n".join(field.choices),
                "is_required": field.is_required,
                "order": field.order,
                "is_active": field.is_active,
            }
        super().__init__(*args, **kwargs)
        if field is not None:
            for name in ("key", "type"):
                del self.fields[name]

    def clean_choices(self) -> list[str]:
        # The API's limits (fields/serializers.py), so both accept the same definitions.
        choices = _lines(self.cleaned_data["choices"])
        if len(choices) > MAX_CHOICES:
            raise ValidationError(
                _("Give at most %(max)d choices (this has %(count)d).")
                % {"max": MAX_CHOICES, "count": len(choices)}
            )
        too_long = [choice for choice in choices if len(choice) > MAX_CHOICE_LENGTH]
        if too_long:
            raise ValidationError(
                _("Keep each choice to %(max)d characters: %(choice)s")
                % {"max": MAX_CHOICE_LENGTH, "choice": too_long[0][:40] + "…"}
            )
        return choices

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class MappingForm(ServiceErrorsMixin, forms.Form):
    """One choice per active lead custom field: the customer custom field it fills on
    conversion, or none. Named `lead_<id>`."""

    def __init__(self, *args, lead_fields, customer_fields, current: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        targets = [("", _("Not carried over"))] + [
            (field.pk, f"{field.label} ({field.get_type_display()})") for field in customer_fields
        ]
        self.lead_fields = list(lead_fields)
        for field in self.lead_fields:
            self.fields[f"lead_{field.pk}"] = forms.TypedChoiceField(
                label=f"{field.label} ({field.get_type_display()})",
                choices=targets,
                coerce=int,
                empty_value=None,
                required=False,
                initial=current.get(field.pk),
            )

    def rows(self):
        for field in self.lead_fields:
            yield field, self[f"lead_{field.pk}"]

    def chosen(self) -> dict[int, int | None]:
        """{lead field id: customer field id or None}."""
        return {field.pk: self.cleaned_data[f"lead_{field.pk}"] for field in self.lead_fields}


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Of these pages and of the e-mails LeadPool sends you."),
    )
    email_notifications = forms.MultipleChoiceField(
        label=_("Also send me by e-mail"),
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=BOXES),
        help_text=_(
            "They always appear under Notifications; the ones ticked also come in an e-mail "
            "digest to your address."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("Your browser's language")),
            *settings.LANGUAGES,
        ]
