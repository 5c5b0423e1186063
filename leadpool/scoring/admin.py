from django.contrib import admin

from leadpool.scoring.models import ScoringRule


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    """Read-only here: rules are set up through the API (/api/v1/scoring-rules/), whose
    service validates them and has every lead rescored; the admin would bypass both."""

    list_display = ["name", "field", "operator", "points", "is_active", "position"]
    list_filter = ["is_active", "field"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
