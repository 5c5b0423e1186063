from leadpool.leads.models import Lead
from leadpool.pools.management.records_command import RecordsCommand


class Command(RecordsCommand):
    help = "Lead pool operations as a user: leadpool lead claim 12 13 --as zhang.wei"
    model = Lead
