"""Web forms: they only shape input; the services (pools/records.py, activity/services.py)
judge it, and their errors land on the fields they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from leadpool.activity.models import CallRecord, FollowUp
from leadpool.fields.models import CustomField
from leadpool.fields.services import active_fields

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
RECORD_FIELDS = (
    "name",
    "company",
    "phone",
    "other_phone",
    "email",
    "source",
    "region",
    "industry",
    "notes",
)


class RecordForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False)
    company = forms.CharField(label=_("Company"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    other_phone = forms.CharField(label=_("Other phone"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    source = forms.CharField(label=_("Source"), required=False)
    region = forms.CharField(label=_("Region"), required=False)
    industry = forms.CharField(label=_("Industry"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    next_followup_at = forms.DateTimeField(
        label=_("Next follow-up"), required=False, widget=DATETIME_INPUT
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    allow_duplicate = forms.BooleanField(label=_("Save it anyway"), required=False)

    def __init__(self, *args, model, record=None, pools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = active_fields(model.entity)
        for key, custom in self.custom_fields.items():
            # Named as the services name their errors ("custom.level"), so they land here.
            self.fields[CUSTOM_PREFIX + key] = custom_form_field(custom)
        for name in ("phone", "other_phone", "email", "company", "name"):
            # Typing here asks for a live duplicate check (htmx, see form.html).
            self.fields[name].widget.attrs["data-duplicate-check"] = name
        if record is not None and record.is_closed:
            del self.fields["status"]  # a converted record keeps its status
        else:
            self.fields["status"].choices = [
                (value, label)
                for value, label in model.Status.choices
                if value not in model.CLOSED_STATUSES
            ]
        if pools is None:
            return
        self.fields["pool"] = forms.ChoiceField(
            label=_("Pool"),
            required=False,
            choices=[("", _("No pool: I keep it"))] + [(str(p.pk), p.name) for p in pools],
        )
        self.order_fields(["pool"])

    def changes(self) -> dict:
        """The record fields, as the services take them."""
        data = {name: self.cleaned_data[name] for name in RECORD_FIELDS}
        if "status" in self.fields and self.cleaned_data.get("status"):
            data["status"] = self.cleaned_data["status"]
        data["next_followup_at"] = self.cleaned_data.get("next_followup_at")
        if self.custom_fields:
            # Raw values: fields/services.py converts and checks them, as for the API.
            data["custom"] = {
                key: self.cleaned_data.get(CUSTOM_PREFIX + key) for key in self.custom_fields
            }
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's errors on the fields they name (the rest above the form)."""
        for field, messages in error.message_dict.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)


CUSTOM_PREFIX = "custom."


def custom_form_field(custom: CustomField) -> forms.Field:
    """A form field for a custom field (自定义字段): the widget fits its type; the value is
    left as typed, for the service to judge."""
    types = CustomField.Type
    options = {"label": custom.label, "required": False}
    if custom.type == types.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in custom.choices)], **options)
    if custom.type == types.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in custom.choices],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "choices-box"}),
            **options,
        )
    if custom.type == types.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **options
        )
    widgets = {
        types.LONG_TEXT: forms.Textarea(attrs={"rows": 3}),
        types.NUMBER: forms.TextInput(attrs={"inputmode": "decimal"}),
        types.DATE: forms.DateInput(attrs={"type": "date"}),
        types.DATETIME: forms.DateTimeInput(attrs={"type": "datetime-local"}),
        types.PHONE: forms.TextInput(attrs={"type": "tel"}),
        types.EMAIL: forms.TextInput(attrs={"type": "email"}),
        types.URL: forms.TextInput(attrs={"type": "url"}),
    }
    return forms.CharField(widget=widgets.get(custom.type, forms.TextInput()), **options)


def custom_initial(record) -> dict:
    """The record's custom values as the form shows them."""
    initial = {}
    for key, value in (record.custom or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, str) and "T" in value and value[:4].isdigit():
            moment = parse_datetime(value)
            if moment is not None:  # a datetime field: local time for the browser's input
                value = timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
        initial[CUSTOM_PREFIX + key] = value
    return initial


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUp.Kind.choices)
    content = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_step = forms.CharField(label=_("Next step"), required=False)
    next_followup_at = forms.DateTimeField(
        label=_("Next follow-up"), required=False, widget=DATETIME_INPUT
    )

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class ConvertForm(forms.Form):
    """Converting a lead (转成单客户): a new customer or an existing one, and optionally
    an order of one line."""

    existing_customer = forms.TypedChoiceField(
        label=_("Customer"), required=False, coerce=int, empty_value=None
    )
    customer_name = forms.CharField(label=_("New customer's name"), required=False)
    allow_duplicate = forms.BooleanField(
        label=_("Create a new customer even though it may be on file"), required=False
    )
    with_order = forms.BooleanField(label=_("Record an order"), required=False)
    product_name = forms.CharField(label=_("Product"), required=False)
    quantity = forms.DecimalField(label=_("Quantity"), required=False, initial=1)
    unit_price = forms.DecimalField(label=_("Unit price"), required=False)
    currency = forms.CharField(label=_("Currency"), required=False, initial="CNY")

    # Where the service's error keys land on this form.
    ERROR_FIELDS = {
        "existing_customer": "existing_customer",
        "customer.name": "customer_name",
        "order.lines": "product_name",
        "order.lines.0.product_name": "product_name",
        "order.lines.0.quantity": "quantity",
        "order.lines.0.unit_price": "unit_price",
        "order.currency": "currency",
    }

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["existing_customer"].choices = [("", _("Create a new customer"))] + [
            (match.id, _("Link to “%(customer)s”") % {"customer": match.display})
            for match in candidates
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {
            "existing_customer": data["existing_customer"],
            "allow_duplicate": data["allow_duplicate"],
            "customer": {"name": data["customer_name"]} if data["customer_name"] else None,
        }
        if data["existing_customer"] is not None:
            arguments["customer"] = None
        if data["with_order"]:
            line = {
                "product_name": data["product_name"],
                "quantity": str(data["quantity"] if data["quantity"] is not None else ""),
                "unit_price": str(data["unit_price"] if data["unit_price"] is not None else ""),
            }
            arguments["order"] = {"currency": data["currency"] or "CNY", "lines": [line]}
        return arguments

    def add_service_errors(self, error: ValidationError) -> None:
        for key, messages in error.message_dict.items():
            target = self.ERROR_FIELDS.get(key)
            for message in messages:
                self.add_error(target, message)


class CallForm(forms.Form):
    number = forms.CharField(label=_("Number"), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=CallRecord.Direction.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallRecord.Outcome.choices)
    started_at = forms.DateTimeField(label=_("Started"), widget=DATETIME_INPUT)
    duration_seconds = forms.IntegerField(
        label=_("Duration (seconds)"), required=False, min_value=0, initial=0
    )
    recording_url = forms.CharField(label=_("Recording link"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data["duration_seconds"] = data["duration_seconds"] or 0
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
