"""Web forms: they only shape input; the services (pools/records.py, activity/services.py)
judge it, and their errors land on the fields they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leadpool.activity.models import FollowUp

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
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's errors on the fields they name (the rest above the form)."""
        for field, messages in error.message_dict.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)


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
