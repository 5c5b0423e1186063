from django.contrib import admin

from leadpool.activity.models import CallRecord, FollowUp


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "lead", "customer", "author"]
    list_filter = ["kind"]
    raw_id_fields = ["lead", "customer"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(CallRecord)
class CallRecordAdmin(admin.ModelAdmin):
    list_display = ["started_at", "number", "direction", "outcome", "duration_seconds", "author"]
    list_filter = ["direction", "outcome"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
