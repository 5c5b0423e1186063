from django.db import migrations

from leadpool.core.postgres import search_indexes


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_rule_sweeps")]

    operations = [search_indexes("customers_customer")]
