"""Every endpoint of the REST API v1, in one table (API.md is the contract)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from leadpool.accounts.api import DepartmentViewSet, TokenView, UserViewSet
from leadpool.activity.api import DueFollowUpsView
from leadpool.capture.api import LeadFormViewSet
from leadpool.customers.api import (
    ContactViewSet,
    CustomerViewSet,
    MappingViewSet,
    OpportunityViewSet,
    OrderViewSet,
)
from leadpool.fields.api import CustomFieldViewSet
from leadpool.history.api import AuditViewSet, NotificationViewSet
from leadpool.leads.api import LeadViewSet
from leadpool.pools.api import DuplicatesView, PoolViewSet
from leadpool.pools.automation_api import RulesRunView
from leadpool.scoring.api import ScoringRuleViewSet
from leadpool.transfer.api import CustomerExportView, LeadCallsExportView, LeadExportView
from leadpool.transfer.import_api import ImportViewSet

router = SimpleRouter()
# Both /api/v1/leads/claim (as API.md writes it) and /api/v1/leads/claim/ work.
router.trailing_slash = "/?"
router.register("users", UserViewSet, basename="user")
router.register("departments", DepartmentViewSet, basename="department")
router.register("pools", PoolViewSet, basename="pool")
router.register("leads", LeadViewSet, basename="lead")
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("orders", OrderViewSet, basename="order")
router.register("fields", CustomFieldViewSet, basename="field")
router.register("field-mappings", MappingViewSet, basename="field-mapping")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("imports", ImportViewSet, basename="import")
router.register("audit", AuditViewSet, basename="audit")
router.register("forms", LeadFormViewSet, basename="form")
router.register("scoring-rules", ScoringRuleViewSet, basename="scoring-rule")

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="auth-token"),
    path("duplicates", DuplicatesView.as_view(), name="duplicates"),
    path("rules/run", RulesRunView.as_view(), name="rules-run"),
    path("followups/due", DueFollowUpsView.as_view(), name="followups-due"),
    # Exports before the router, so no record route can ever shadow them.
    path("leads/export", LeadExportView.as_view(), name="lead-export"),
    path("leads/calls/export", LeadCallsExportView.as_view(), name="lead-calls-export"),
    path("customers/export", CustomerExportView.as_view(), name="customer-export"),
    *router.urls,
]
