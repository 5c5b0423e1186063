from django.contrib import admin

from leadpool.customers.models import (
    Contact,
    Customer,
    CustomFieldMapping,
    Opportunity,
    Order,
    OrderLine,
)
from leadpool.pools.admin import PooledRecordAdmin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "phone", "email", "is_primary"]


@admin.register(Customer)
class CustomerAdmin(PooledRecordAdmin):
    inlines = [ContactInline]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "date", "amount", "currency", "status"]
    list_filter = ["status", "currency"]
    search_fields = ["number", "customer__name"]
    raw_id_fields = ["customer", "lead"]
    inlines = [OrderLineInline]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "stage", "amount", "currency", "expected_close_date"]
    list_filter = ["stage"]
    search_fields = ["name", "customer__name"]
    raw_id_fields = ["customer", "lead"]


@admin.register(CustomFieldMapping)
class CustomFieldMappingAdmin(admin.ModelAdmin):
    list_display = ["lead_field", "customer_field"]
