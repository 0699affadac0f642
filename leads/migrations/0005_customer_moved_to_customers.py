# Customer now lives in the customers app (same table): leads forgets it in state only, after
# every foreign key to it was re-pointed at customers.Customer.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0004_customer_in_customers'),
        ('carts', '0003_customer_in_customers'),
        ('orders', '0004_customer_in_customers'),
        ('conversations', '0005_customer_in_customers'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='Customer')],
        ),
    ]
