# The customer foreign keys now point at customers.Customer (the same table, moved in state only).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0004_message_in_document_idx'),
        ('customers', '0001_customer_from_leads'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='conversation',
                    name='customer',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='conversations', to='customers.customer'),
                ),
            ],
        ),
    ]
