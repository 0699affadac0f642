# The customer foreign keys now point at customers.Customer (the same table, moved in state only).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('carts', '0002_initial'),
        ('customers', '0001_customer_from_leads'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='cart',
                    name='customer',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='carts', to='customers.customer', verbose_name='customer'),
                ),
                migrations.AlterField(
                    model_name='sessioncontext',
                    name='customer',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
                ),
            ],
        ),
    ]
