from django.db import migrations

from leadpool.core.postgres import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        trigram_indexes(
            "customers_customer",
            ["name", "company_normalized", "phone_normalized", "email_normalized"],
        )
    ]
