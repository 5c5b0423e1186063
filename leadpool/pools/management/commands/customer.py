from leadpool.customers.models import Customer
from leadpool.pools.management.records_command import RecordsCommand


class Command(RecordsCommand):
    help = "Customer pool operations as a user: leadpool customer claim 7 --as zhang.wei"
    model = Customer
