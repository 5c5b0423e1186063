from django.contrib import admin

from leadpool.fields.models import CustomField


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "entity", "type", "is_required", "order", "is_active"]
    list_filter = ["entity", "type", "is_active"]
