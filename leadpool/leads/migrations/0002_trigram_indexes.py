from django.db import migrations

from leadpool.core.postgres import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [
        trigram_indexes(
            "leads_lead", ["name", "company_normalized", "phone_normalized", "email_normalized"]
        )
    ]
