"""Forms of the import wizard and the export dialog: they shape input only; the services
in transfer/imports.py and transfer/exports.py judge it."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from leadpool.accounts.models import User
from leadpool.fields.services import active_fields
from leadpool.pools import access
from leadpool.pools.models import Pool
from leadpool.transfer.exports import FORMATS
from leadpool.transfer.import_rows import CUSTOM_PREFIX, IMPORT_FIELDS, MATCH_KEYS
from leadpool.transfer.imports import MODELS
from leadpool.transfer.models import ImportJob

ENTITY_CHOICES = [("lead", _("Leads")), ("customer", _("Customers"))]
MATCH_CHOICES = [("phone", _("Phone")), ("email", _("E-mail"))]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or GBK, as Excel saves it; comma, semicolon or tab), XLSX or XLS. "
            "The first row holds the column headers."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xls,.xlsb,.ods"}),
    )
    entity = forms.ChoiceField(label=_("Import as"), choices=ENTITY_CHOICES, initial="lead")
    pool = forms.TypedChoiceField(
        label=_("Into the pool"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Pools you administer; the pool's distribution rules then apply."),
    )
    owner = forms.TypedChoiceField(
        label=_("Or to the owner"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Without a pool, the records are the owner's (yours by default)."),
    )
    dedupe = forms.ChoiceField(
        label=_("Rows already on file"),
        choices=ImportJob.Dedupe.choices,
        initial=ImportJob.Dedupe.SKIP,
        widget=forms.RadioSelect,
    )
    match_on = forms.MultipleChoiceField(
        label=_("Duplicates by"),
        choices=MATCH_CHOICES,
        initial=list(MATCH_KEYS),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Rows with the same phone or e-mail as a record on file (or an earlier row)."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = access.scope_of(user)
        pools = (
            Pool.objects.all()
            if scope.is_admin
            else Pool.objects.filter(pk__in=scope.administered_pool_ids)
        )
        self.pools = {pool.pk: pool for pool in pools}
        self.fields["pool"].choices = [("", _("No pool"))] + [
            (pool.pk, f"{pool.name} ({pool.get_kind_display()})") for pool in self.pools.values()
        ]
        # Everyone may import their own records; others' only where the service allows it
        # (a system admin, a pool's admin, a manager for their department).
        may_choose = scope.is_admin or scope.administered_pool_ids or scope.managed_department_ids
        people = User.objects.filter(is_active=True) if may_choose else User.objects.none()
        self.fields["owner"].choices = [("", _("Me"))] + [
            (person.pk, str(person)) for person in people if person.pk != user.pk
        ]

    def clean(self):
        data = super().clean()
        pool = self.pools.get(data.get("pool"))
        entity = data.get("entity")
        if pool is not None and entity and pool.kind != MODELS[entity].pool_kind:
            message = (
                _("“%(pool)s” is not a lead pool.")
                if entity == "lead"
                else _("“%(pool)s” is not a customer pool.")
            )
            self.add_error("pool", message % {"pool": pool})
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def field_choices(entity: str) -> list[tuple[str, str]]:
    """What an import column may fill: nothing, a standard field, or a custom field."""
    model = MODELS[entity]
    choices = [("", _("Don't import"))]
    choices += [
        (name, capfirst(model._meta.get_field(name).verbose_name)) for name in IMPORT_FIELDS
    ]
    choices += [
        (CUSTOM_PREFIX + key, _("%(label)s (custom field)") % {"label": custom.label})
        for key, custom in active_fields(model.entity).items()
    ]
    return choices


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(name, name.upper()) for name in FORMATS], initial="csv")
    scope = forms.ChoiceField(
        choices=[("selected", _("The ticked records")), ("filtered", _("The whole filtered list"))],
        initial="selected",
    )
    what = forms.ChoiceField(choices=[("records", ""), ("calls", "")], initial="records")
