from leadpool.activity.api import ActivityRoutes
from leadpool.customers.models import Customer
from leadpool.history.api import HistoryRoutes
from leadpool.pools.api import RecordViewSet


class CustomerViewSet(ActivityRoutes, HistoryRoutes, RecordViewSet):
    """/api/v1/customers/"""

    model = Customer
