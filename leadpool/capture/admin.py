from django.contrib import admin

from leadpool.capture.models import LeadForm


@admin.register(LeadForm)
class LeadFormAdmin(admin.ModelAdmin):
    """Read-only here: forms are set up through the API (/api/v1/forms/), whose service
    checks the fields, origins and the pool admin's rights; the admin would bypass it."""

    list_display = ["name", "pool", "on_duplicate", "is_active", "created_by", "created_at"]
    list_filter = ["is_active", "pool"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
