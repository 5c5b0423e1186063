from django.contrib import admin

from leadpool.history.models import AuditEntry, Event, Notification


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The ownership trail: read-only, as it is everywhere."""

    list_display = [
        "at",
        "action",
        "lead_id",
        "customer_id",
        "actor",
        "from_owner",
        "to_owner",
        "from_pool",
        "to_pool",
        "rule",
    ]
    list_filter = ["action", "rule"]
    list_select_related = ["actor", "from_owner", "to_owner", "from_pool", "to_pool"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "read_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log: read-only for everyone, superusers included."""

    list_display = ["at", "action", "actor", "username", "target", "address"]
    list_filter = ["action"]
    search_fields = ["username", "target"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
