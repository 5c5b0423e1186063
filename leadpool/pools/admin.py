from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from leadpool.pools.models import Pool
from leadpool.pools.records import EDITABLE_FIELDS, clean_record_data, create_record, update_record


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "visibility", "distribution", "claim_limit_per_day", "max_held"]
    list_filter = ["kind", "visibility"]
    search_fields = ["name"]
    filter_horizontal = ["admins", "members", "member_departments", "distribution_members"]


class PooledRecordForm(forms.ModelForm):
    """Validates with the same rules as every other way in (pools/records.py)."""

    def clean(self):
        cleaned = super().clean()
        data = {
            field: cleaned[field]
            for field in self.changed_data
            if field in EDITABLE_FIELDS and field in cleaned and field != "collaborators"
        }
        try:
            clean_record_data(
                self._meta.model, data, record=self.instance if self.instance.pk else None
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        return cleaned


class PooledRecordAdmin(admin.ModelAdmin):
    """Leads and customers in the Django admin: fields are edited through the services,
    so validation, normalisation and history are the same as everywhere else; owner and
    pool change only through the pool operations."""

    form = PooledRecordForm
    list_display = ["__str__", "company", "phone", "status", "owner", "pool", "created_at"]
    list_filter = ["status", "pool", "deleted_at"]
    search_fields = ["name", "company", "phone", "email"]
    list_select_related = ["owner", "pool"]
    readonly_fields = [
        "owner",
        "pool",
        "created_by",
        "created_at",
        "updated_at",
        "claimed_at",
        "assigned_at",
        "pooled_at",
        "last_followup_at",
        "reclaim_at",
        "deleted_at",
        "deleted_by",
    ]
    raw_id_fields = ["collaborators"]

    def save_model(self, request, obj, form, change):
        data = {
            field: form.cleaned_data[field]
            for field in form.changed_data
            if field in EDITABLE_FIELDS and field != "collaborators"
        }
        if change:
            record = type(obj).objects.get(pk=obj.pk)
            update_record(record=record, by=request.user, changes=data, allow_duplicate=True)
        else:
            data.setdefault("name", form.cleaned_data.get("name", ""))
            saved = create_record(model=type(obj), by=request.user, data=data, allow_duplicate=True)
            obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        # Collaborators go through update_record too, so the history records the change.
        if "collaborators" in form.changed_data:
            record = form.instance.__class__.objects.get(pk=form.instance.pk)
            update_record(
                record=record,
                by=request.user,
                changes={"collaborators": list(form.cleaned_data["collaborators"])},
            )

    def has_delete_permission(self, request, obj=None):
        # Deleting goes through the recycle bin (delete_records), never straight to SQL.
        return False
