from django.contrib import admin

from leadpool.leads.models import Lead
from leadpool.pools.admin import PooledRecordAdmin


@admin.register(Lead)
class LeadAdmin(PooledRecordAdmin):
    pass
