from django.contrib import admin

from leadpool.customers.models import Contact, Customer
from leadpool.pools.admin import PooledRecordAdmin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "phone", "email", "is_primary"]


@admin.register(Customer)
class CustomerAdmin(PooledRecordAdmin):
    inlines = [ContactInline]
