"""What the public form page shows for each asked field: its input name, label and widget."""

from leadpool.capture.models import CUSTOM_PREFIX, STANDARD_FIELDS, LeadForm
from leadpool.fields.models import CustomField
from leadpool.fields.services import active_fields

STANDARD_WIDGETS = {"phone": "tel", "email": "email", "notes": "textarea"}
CUSTOM_WIDGETS = {
    CustomField.Type.LONG_TEXT: "textarea",
    CustomField.Type.NUMBER: "number",
    CustomField.Type.DATE: "date",
    CustomField.Type.DATETIME: "datetime-local",
    CustomField.Type.CHOICE: "select",
    CustomField.Type.MULTI_CHOICE: "checkboxes",
    CustomField.Type.PHONE: "tel",
    CustomField.Type.EMAIL: "email",
    CustomField.Type.URL: "url",
    CustomField.Type.BOOLEAN: "checkbox",
}


def form_page_fields(
    form: LeadForm,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    custom: dict[str, CustomField] | None = None,
) -> list[dict]:
    """The asked fields in order: {key, label, required, widget, choices}, plus the
    person's `value` and `errors` when the page is shown again after a mistake.

    Labels are in the active language; retired custom fields are left out. `custom`:
    the active lead custom fields, when the caller shows many forms and read them once.
    """
    if custom is None:
        custom = active_fields(CustomField.Entity.LEAD)
    shown = []
    for entry in form.fields:
        key = entry["key"]
        if key.startswith(CUSTOM_PREFIX):
            field = custom.get(key[len(CUSTOM_PREFIX) :])
            if field is None:
                continue
            label, choices = field.label, field.choices
            widget = CUSTOM_WIDGETS.get(field.type, "text")
        else:
            label, choices = str(STANDARD_FIELDS[key]), []
            widget = STANDARD_WIDGETS.get(key, "text")
        item = {
            "key": key,
            "label": label,
            "required": bool(entry.get("required")),
            "widget": widget,
            "choices": list(choices),
        }
        if values is not None:
            value = values.get(key, "")
            item["value"] = value if isinstance(value, list) else str(value)
            item["errors"] = (errors or {}).get(key, [])
        shown.append(item)
    return shown
