from django.db import migrations

from leadpool.core.postgres import search_indexes


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_lead_score")]

    operations = [search_indexes("leads_lead")]
